"""Cilium's L2 announcements on K3s: sized for the pool (Cilium's formula) and pinned to the machines' interface."""

from __future__ import annotations

from conftest import graph_of
from k8tre.infrastructure.k3s.l2 import cilium_l2_values
from k8tre.policies.facts import plain


def _cilium(stack: str) -> dict[str, object]:
    (release,) = [r for r in graph_of(stack).of_type("kubernetes:helm.sh/v3:Release") if "cilium" in str(r.inputs["chart"])]
    return plain(release.inputs["values"])


def test_the_client_rate_covers_a_lease_per_pool_address() -> None:
    # A /28 holds 16 addresses: 16 services renewing every 5 s need 3.2 QPS on top of the agent's own 10.
    values = cilium_l2_values(["192.168.60.240/28"], None)
    assert values["k8sClientRateLimit"] == {"qps": 14, "burst": 28}
    assert values["l2announcements"] == {"enabled": True}, "Cilium's default lease timings, which the sizing assumes"
    # A /24 pool: 256 leases, 52 QPS more.
    assert cilium_l2_values(["10.0.0.0/24"], None)["k8sClientRateLimit"]["qps"] == 62
    assert "extraConfig" not in values


def test_the_prod_example_pins_cilium_to_the_node_interface() -> None:
    values = _cilium("k3s-prod")
    assert values["extraConfig"] == {"devices": "eth0"}
    assert values["l2announcements"]["enabled"] is True
    assert values["k8sClientRateLimit"]["qps"] > 10, "raised above the default, as Cilium's sizing guide asks"
    assert "extraConfig" not in _cilium("k3s-dev"), "no interface configured: Cilium detects devices"
