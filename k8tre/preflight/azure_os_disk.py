"""Preflight rules for AKS node OS disks: ephemeral where the VM size allows, and only where the disk fits.

An ephemeral OS disk lives on the host's local storage: the VM size's cache where it has one
(older generations), else its temporary disk; the OS disk must fit in that space, or AKS
answers with a validation error. Sizes without local storage (``Dsv5``: "remote storage only")
cannot have one at all (https://learn.microsoft.com/azure/aks/concepts-storage#ephemeral-os-disks-in-aks,
https://learn.microsoft.com/azure/virtual-machines/ephemeral-os-disks#size-requirements).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..offline.graph import Graph
from ..policies.registry import Evaluation
from . import azure_graph as ag
from .registry import PreflightContext, preflight_rule

_DSV5 = "https://learn.microsoft.com/azure/virtual-machines/sizes/general-purpose/dsv5-series"
_DDSV5 = "https://learn.microsoft.com/azure/virtual-machines/sizes/general-purpose/ddsv5-series"


@dataclass(frozen=True)
class VmSize:
    """What a VM size offers an ephemeral OS disk, from Microsoft's size table."""

    vcpus: int
    """vCPUs."""
    memory_gib: int
    """Memory."""
    cache_gib: int
    """Dedicated cache (0: none; the v5 generation has none)."""
    temp_gib: int
    """Local temporary storage (0: remote storage only)."""
    source: str
    """Microsoft's page for the size's series."""

    @property
    def ephemeral_capacity_gib(self) -> int:
        """Where AKS places an ephemeral OS disk: the cache if the size has one, else the temporary disk."""
        return self.cache_gib or self.temp_gib


VM_SIZES: dict[str, VmSize] = {
    # Dsv5: remote storage only, "Ephemeral OS Disks: Not Supported".
    "Standard_D2s_v5": VmSize(2, 8, 0, 0, _DSV5),
    "Standard_D4s_v5": VmSize(4, 16, 0, 0, _DSV5),
    "Standard_D8s_v5": VmSize(8, 32, 0, 0, _DSV5),
    "Standard_D16s_v5": VmSize(16, 64, 0, 0, _DSV5),
    # Ddsv5: the same machines with a local temporary SSD, "Ephemeral OS Disks: Supported".
    "Standard_D2ds_v5": VmSize(2, 8, 0, 75, _DDSV5),
    "Standard_D4ds_v5": VmSize(4, 16, 0, 150, _DDSV5),
    "Standard_D8ds_v5": VmSize(8, 32, 0, 300, _DDSV5),
    "Standard_D16ds_v5": VmSize(16, 64, 0, 600, _DDSV5),
}
"""The VM sizes the stacks use or are likely to, with their local storage. A size not listed here fails the ephemeral
rule until it is added, with its source: the rule never guesses a size's disks."""


def _fits(vm_size: str, os_disk_gib: object) -> tuple[bool, str]:
    size = VM_SIZES.get(vm_size)
    if size is None:
        return False, f"VM size {vm_size} is not in the table of sizes (k8tre/preflight/azure_os_disk.py)"
    if not isinstance(os_disk_gib, int):
        # AKS would size the disk to the whole temporary disk, leaving none for the node: name it.
        return False, "osDiskSizeGB is not set"
    capacity = size.ephemeral_capacity_gib
    return os_disk_gib <= capacity, f"{vm_size} holds {capacity} GiB locally, the OS disk is {os_disk_gib} GiB"


@preflight_rule(
    "azure-aks-ephemeral-os-disk-fits",
    cloud="azure",
    constraint="An agent pool with an ephemeral OS disk uses a VM size with local storage (cache, else temporary disk) "
    "at least as large as its osDiskSizeGB; otherwise AKS refuses the pool.",
    source="https://learn.microsoft.com/azure/aks/concepts-storage#ephemeral-os-disks-in-aks",
)
def ephemeral_os_disk_fits(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Every ephemeral pool's OS disk fits its VM size's local storage."""
    evaluation = Evaluation()
    for cluster in graph.of_type(*ag.MANAGED_CLUSTER):
        for pool in cluster.inputs.get("agentPoolProfiles") or []:
            if pool.get("osDiskType") != "Ephemeral":
                continue
            ok, detail = _fits(str(pool.get("vmSize")), pool.get("osDiskSizeGB"))
            evaluation.check(cluster.urn, ok, f"pool {pool.get('name')!r}: {detail}")
    return evaluation


@preflight_rule(
    "azure-aks-ephemeral-os-disk-preferred",
    cloud="azure",
    constraint="Microsoft strongly recommends ephemeral OS disks whenever possible (lower latency, faster scaling, "
    "reimaging and upgrades, no separate disk to pay for): a pool whose VM size could hold its OS disk locally uses one.",
    source="https://learn.microsoft.com/azure/aks/concepts-storage#ephemeral-os-disks-in-aks",
    severity="warning",
)
def ephemeral_os_disk_preferred(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """No pool keeps a managed OS disk that its VM size could have had locally."""
    evaluation = Evaluation()
    for cluster in graph.of_type(*ag.MANAGED_CLUSTER):
        for pool in cluster.inputs.get("agentPoolProfiles") or []:
            could, _ = _fits(str(pool.get("vmSize")), pool.get("osDiskSizeGB"))
            managed = pool.get("osDiskType") != "Ephemeral"
            evaluation.check(
                cluster.urn,
                not (managed and could),
                f"pool {pool.get('name')!r} has a managed OS disk though {pool.get('vmSize')} could hold it locally",
            )
    return evaluation
