"""The shared Argo CD of a management stack: its application controller may reach the registered clusters' API servers."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from ..config.management import RegisteredCluster
from ..flows.expect import Expect, FlowContext, PodsOf, allow, deny
from ..flows.model import Address, Fqdn
from ..infrastructure import Cluster
from ..manifest import custom_object
from .argocd import NAMESPACE
from .network_policy import dns_egress_rule

CONTROLLER_LABELS = {"app.kubernetes.io/name": "argocd-application-controller"}
"""The application controller's pod labels (argo-cd chart, ``argo-cd.selectorLabels``): the component that syncs."""


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def registered_clusters_policy(clusters: Sequence[RegisteredCluster]) -> dict[str, Any]:
    """Egress from the application controller alone to each registered API server's host and port, nothing wider."""
    names = [c.api_host for c in clusters if not _is_address(c.api_host)]
    egress: list[dict[str, Any]] = [dns_egress_rule(names)] if names else []
    for cluster in clusters:
        ports = [{"ports": [{"port": str(cluster.api_port), "protocol": "TCP"}]}]
        if _is_address(cluster.api_host):
            egress.append({"toCIDR": [f"{cluster.api_host}/32"], "toPorts": ports})
        else:
            egress.append({"toFQDNs": [{"matchName": cluster.api_host}], "toPorts": ports})
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "argocd-registered-clusters", "namespace": NAMESPACE, "labels": {"k8tre.io/policy": "service"}},
        "spec": {
            "description": "the application controller delivers to the registered environment clusters' API servers",
            "endpointSelector": {"matchLabels": dict(CONTROLLER_LABELS)},
            "egress": egress,
        },
    }


class ArgoCdRegisteredClusters(pulumi.ComponentResource):
    """On a management cluster: the network opening from the shared Argo CD to the clusters registered with it."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        clusters: Sequence[RegisteredCluster],
        after: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:agnostics:ArgoCdRegisteredClusters", name, None, opts)
        if clusters:
            custom_object(f"{name}-policy", registered_clusters_policy(clusters), cluster, self, depends_on=after)
        self.register_outputs({"clusters": [c.name for c in clusters]})


def registered_api_servers(outputs: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    """(host, port) of each registered cluster, from the management stack's ``registeredClusters`` output."""
    clusters = outputs.get("registeredClusters") or []
    return tuple((str(c["apiHost"]), int(c["apiPort"])) for c in clusters if isinstance(c, Mapping))


def registered_cluster_flows(context: FlowContext) -> list[Expect]:
    """The shared Argo CD's controller reaches each registered API server; its other components do not."""
    controller = PodsOf(NAMESPACE, CONTROLLER_LABELS, "argocd-application-controller")
    server = PodsOf(NAMESPACE, {"app.kubernetes.io/name": "argocd-server"}, "argocd-server")
    repo = PodsOf(NAMESPACE, {"app.kubernetes.io/name": "argocd-repo-server"}, "argocd-repo-server")
    flows: list[Expect] = []
    for host, port in context.registered_api_servers:
        target = Address(host) if _is_address(host) else Fqdn(host)
        flows += [
            allow(controller, target, port, "delivers to the registered environment cluster"),
            deny(server, target, port, "only the controller holds a reason to reach the environments"),
            deny(repo, target, port, "renders manifests; never talks to the environments"),
        ]
    return flows
