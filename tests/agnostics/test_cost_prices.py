"""OpenCost's prices: the stack's price sheet (required on K3s outside dev), else OpenCost's defaults; never the chart's."""

from __future__ import annotations

import pytest

from conftest import expanded_graph_of, graph_of
from k8tre.agnostics.costs import HOURS_PER_MONTH, cost_model
from k8tre.config.costs import OPENCOST_DEFAULTS, PriceSheet


def test_the_sheet_becomes_opencosts_cost_model_with_storage_per_hour() -> None:
    sheet = PriceSheet.model_validate({"cpuCoreHour": 0.05, "ramGibHour": 0.01, "storageGibMonth": 0.073, "gpuHour": 2})
    model = cost_model(sheet)
    assert (model["CPU"], model["RAM"], model["GPU"]) == ("0.05", "0.01", "2")
    assert float(model["storage"]) == pytest.approx(0.073 / HOURS_PER_MONTH)


def test_a_cloud_stack_without_a_sheet_uses_opencosts_defaults_not_the_charts_placeholders() -> None:
    (release,) = [r for r in graph_of("dev").helm_releases() if r["chart"] == "opencost"]
    custom = release["values"]["opencost"]["customPricing"]
    assert custom["enabled"] is True
    assert custom["costModel"] == cost_model(OPENCOST_DEFAULTS)


def test_the_chart_renders_the_sheet_into_the_pricing_configmap_opencost_reads() -> None:
    # The chart's own template turns costModel into the ConfigMap; the chart's placeholder CPU price (1.25) is gone.
    objects = [o for release in expanded_graph_of("dev").workloads if release.chart == "opencost" for o in release.objects]
    (configmap,) = [o for o in objects if o.get("kind") == "ConfigMap" and o["metadata"]["name"] == "custom-pricing-model"]
    data = configmap["data"]
    assert data["CPU"] == f"{OPENCOST_DEFAULTS.cpu_core_hour:g}" and data["provider"] == "custom"
    assert "1.25" not in data.values()
