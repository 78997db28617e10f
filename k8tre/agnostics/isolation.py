"""Cluster-wide default-deny, and the load-balancer addresses Cilium announces where no cloud LB exists."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from ..infrastructure import Cluster
from ..manifest import custom_object
from .network_policy import default_deny_policy


class DefaultDeny(pulumi.ComponentResource):
    """The ``CiliumClusterwideNetworkPolicy`` that denies everything not explicitly allowed."""

    def __init__(self, name: str, cluster: Cluster, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("k8tre:agnostics:DefaultDeny", name, None, opts)
        self.policy = custom_object(f"{name}-policy", default_deny_policy(), cluster, self)
        self.register_outputs({})


def lb_pool_objects(cidrs: Sequence[str]) -> list[dict[str, object]]:
    """A Cilium LB IPAM pool of ``cidrs`` and an L2 announcement policy for it."""
    return [
        {
            "apiVersion": "cilium.io/v2",
            "kind": "CiliumLoadBalancerIPPool",
            "metadata": {"name": "k8tre-lb-pool"},
            "spec": {"blocks": [{"cidr": cidr} for cidr in cidrs]},
        },
        {
            "apiVersion": "cilium.io/v2alpha1",
            "kind": "CiliumL2AnnouncementPolicy",
            "metadata": {"name": "k8tre-lb-l2"},
            # Every node may answer: small K3s clusters run workloads on their servers too.
            "spec": {"loadBalancerIPs": True},
        },
    ]


class LoadBalancerPool(pulumi.ComponentResource):
    """LoadBalancer addresses on machines' own network, announced by Cilium (used where no cloud LB exists)."""

    def __init__(self, name: str, cluster: Cluster, cidrs: Sequence[str], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("k8tre:agnostics:LoadBalancerPool", name, None, opts)
        pool, l2 = lb_pool_objects(cidrs)
        custom_object(f"{name}-pool", pool, cluster, self)
        custom_object(f"{name}-l2", l2, cluster, self)
        self.register_outputs({})
