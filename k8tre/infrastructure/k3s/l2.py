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
"""Cilium's default ``leaseRenewDeadline``; written out so the sizing and the setting cannot drift apart."""
BASE_QPS: Final = 10
"""The agent's own default client rate (chart ``k8sClientRateLimit.qps``), kept for its other API traffic."""


def cilium_l2_values(pool: Sequence[str], device: str | None) -> dict[str, Any]:
    """The Cilium chart values for L2 announcements over ``pool``, pinned to ``device`` when given."""
    services = sum(ipaddress.ip_network(cidr).num_addresses for cidr in pool)
    qps = BASE_QPS + math.ceil(services / RENEW_DEADLINE_SECONDS)
    values: dict[str, Any] = {
        "l2announcements": {
            "enabled": True,
            "leaseDuration": "15s",
            "leaseRenewDeadline": f"{RENEW_DEADLINE_SECONDS}s",
            "leaseRetryPeriod": "2s",
        },
        "k8sClientRateLimit": {"qps": qps, "burst": 2 * qps},
    }
    if device:
        values["devices"] = [device]
    return values
