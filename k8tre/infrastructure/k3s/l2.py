"""Cilium's L2 announcements on K3s: client rate limits sized for the leases, and the device they go out on.

Each LoadBalancer address Cilium announces is held through a Lease its leader renews every
``leaseRenewDeadline``; Cilium's docs size the agent's API client for it as
``QPS = #services / leaseRenewDeadline`` on top of its ordinary traffic, with bursts somewhat higher,
and warn that the default limit is soon reached ("Sizing client rate limit":
https://docs.cilium.io/en/stable/network/l2-announcements/#sizing-client-rate-limit). The number of
services is bounded by the pool: one address each at most. Announcements go out only on Cilium's
selected devices; naming the machines' interface keeps them off any other network a multi-homed
machine is on (same page, "Troubleshooting": devices).
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Sequence
from typing import Any, Final

RENEW_DEADLINE_SECONDS: Final = 5
"""Cilium's default ``leaseRenewDeadline`` (the chart's values.yaml), which the program leaves as it is."""
BASE_QPS: Final = 10
"""The agent's own default client rate (chart ``k8sClientRateLimit.qps``), kept for its other API traffic."""


def cilium_l2_values(pool: Sequence[str], device: str | None) -> dict[str, Any]:
    """The Cilium chart values for L2 announcements over ``pool``, pinned to ``device`` when given."""
    services = sum(ipaddress.ip_network(cidr).num_addresses for cidr in pool)
    qps = BASE_QPS + math.ceil(services / RENEW_DEADLINE_SECONDS)
    values: dict[str, Any] = {
        # The lease timings stay Cilium's defaults (15 s, 5 s, 2 s: chart values.yaml, l2announcements), which the
        # sizing above assumes.
        "l2announcements": {"enabled": True},
        "k8sClientRateLimit": {"qps": qps, "burst": 2 * qps},
    }
    if device:
        # The chart writes its (undeclared, commented-out) ``devices`` value to cilium-config's ``devices`` key; the
        # declared ``extraConfig`` map puts the same key there.
        values["extraConfig"] = {"devices": device}
    return values
