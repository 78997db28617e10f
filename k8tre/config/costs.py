"""What OpenCost charges per unit: the organisation's own price sheet, required where no cloud bills the machines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from .base import K8treModel

if TYPE_CHECKING:
    from .model import K8treConfig

Price = Annotated[float, Field(ge=0, le=1000)]


class PriceSheet(K8treModel):
    """Unit prices in the organisation's billing currency (what it really pays: reserved, negotiated or amortised)."""

    cpu_core_hour: Price
    """One vCPU for an hour."""
    ram_gib_hour: Price
    """One GiB of memory for an hour."""
    storage_gib_month: Price
    """One GiB of persistent volume for a month."""
    gpu_hour: Price = 0.0
    """One GPU for an hour."""


OPENCOST_DEFAULTS = PriceSheet.model_validate(
    {"cpuCoreHour": 0.031611, "ramGibHour": 0.004237, "storageGibMonth": 0.04, "gpuHour": 0.95}
)
"""OpenCost's own default prices (opencost/opencost ``configs/default.json``: CPU 0.031611, RAM 0.004237, GPU 0.95 per
hour, storage 0.00005479452 per GiB-hour = 0.04 per GiB-month): on-demand list prices of a typical cloud in USD,
used when a cloud stack names no price sheet. The chart's own ``costModel`` (CPU 1.25, RAM 0.50 per hour) is a
placeholder forty times higher, never used."""


class CostSettings(K8treModel):
    """Per-project cost visibility (OpenCost)."""

    prices: PriceSheet | None = None
    """The price sheet OpenCost applies. Default on AKS and EKS: OpenCost's list-price defaults (see docs); required
    on K3s outside dev, where the hardware's cost is known only to its owner."""


def costs_issues(config: K8treConfig) -> Iterator[tuple[str, str]]:
    """A K3s stack outside dev names its prices: no cloud list price describes the organisation's own machines."""
    if config.cluster.provider == "k3s" and config.environment != "dev" and config.agnostics.costs.prices is None:
        yield "agnostics.costs.prices", "is required on K3s outside dev: the cost of your own machines (per core, GiB, GPU)"
