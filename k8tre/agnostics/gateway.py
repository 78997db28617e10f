"""The shared Cilium Gateway: HTTPS for ``*.<domain>``, HTTP only to redirect to HTTPS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..infrastructure import Cluster
from ..namespace import GATEWAY_ACCESS_LABEL, platform_namespace
from .catalogue import Render, ServiceEntry, kinds
from .cert_manager import GATEWAY_NAME, GATEWAY_NAMESPACE

TLS_SECRET = "k8tre-gateway-tls"  # noqa: S105 - the name of the TLS Secret, not its content


@dataclass(frozen=True)
class GatewayRef:
    """Where application routes attach."""

    name: str
    """The Gateway's name."""
    namespace: str
    """The Gateway's namespace."""
    https_listener: str
    """The listener routes attach to (HTTP only redirects)."""
    domain: str
    """Services are published as ``<app>.<domain>``."""


def certificate_spec(domain: str, issuer: str) -> dict[str, Any]:
    """A certificate for the domain and every name under it, from the cluster issuer."""
    return {
        "secretName": TLS_SECRET,
        "dnsNames": [f"*.{domain}", domain],
        "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": issuer},
        "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
    }


def gateway_spec(domain: str, annotations: dict[str, str]) -> dict[str, Any]:
    """Two listeners for ``*.<domain>``; only labelled namespaces may attach HTTPS routes."""
    spec: dict[str, Any] = {
        "gatewayClassName": "cilium",
        "listeners": [
            {
                "name": "http",
                "protocol": "HTTP",
                "port": 80,
                "hostname": f"*.{domain}",
                # Only the redirect in the Gateway's own namespace: nothing is served in clear text.
                "allowedRoutes": {"namespaces": {"from": "Same"}},
            },
            {
                "name": "https",
                "protocol": "HTTPS",
                "port": 443,
                "hostname": f"*.{domain}",
                "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": TLS_SECRET}]},
                "allowedRoutes": {
                    "namespaces": {"from": "Selector", "selector": {"matchLabels": {GATEWAY_ACCESS_LABEL: "true"}}}
                },
            },
        ],
    }
    if annotations:
        # Cilium copies these onto the Service it creates: this is how the load balancer stays internal.
        spec["infrastructure"] = {"annotations": annotations}
    return spec


def redirect_route_spec() -> dict[str, Any]:
    """Every plain-HTTP request is answered with a permanent redirect to HTTPS."""
    return {
        "parentRefs": [{"name": GATEWAY_NAME, "sectionName": "http"}],
        "rules": [{"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}]}],
    }


def _gateway_variant(render: Render) -> str:
    """How the Gateway's load balancer is provided, read from the rendered Gateway and LB pools."""
    pools = kinds(render, "CiliumLoadBalancerIPPool")
    if pools:
        blocks = [block["cidr"] for pool in pools for block in pool["spec"].get("blocks") or []]
        return f"Cilium LB IPAM + L2 announcements ({', '.join(blocks)})"
    described = []
    # The shared Gateway only: a service's own passthrough Gateway (Argo CD's) is that service's variant.
    for gateway in (g for g in kinds(render, "Gateway") if g["metadata"].get("namespace") == GATEWAY_NAMESPACE):
        annotations = ((gateway.get("spec") or {}).get("infrastructure") or {}).get("annotations") or {}
        described.append(", ".join(f"{k}: {v}" for k, v in sorted(annotations.items())) or "no load-balancer annotations")
    return "; ".join(described)


ENTRY = ServiceEntry(
    name="Shared Gateway",
    gives="one HTTPS entry point for `*.<domain>` on an internal load balancer; HTTP only redirects",
    charts=(),
    flows="`ingress` entity to each published backend, opened by that service's own policy",
    variant=_gateway_variant,
)


class SharedGateway(pulumi.ComponentResource):
    """The Gateway every published service sits behind, its certificate and the HTTP redirect."""

    ref: GatewayRef
    """What applications need to publish behind it."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        domain: str,
        issuer: pulumi.Resource,
        issuer_name: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:agnostics:SharedGateway", name, None, opts)
        namespace = platform_namespace(f"{name}-ns", GATEWAY_NAMESPACE, cluster, self, layer="agnostics")
        after = [namespace]
        certificate = self._object(
            f"{name}-certificate",
            "cert-manager.io/v1",
            "Certificate",
            "k8tre-wildcard",
            certificate_spec(domain, issuer_name),
            cluster,
            [*after, issuer],
        )
        self.gateway = self._object(
            f"{name}-gateway",
            "gateway.networking.k8s.io/v1",
            "Gateway",
            GATEWAY_NAME,
            gateway_spec(domain, dict(cluster.platform.internal_lb_annotations)),
            cluster,
            [*after, certificate],
        )
        self._object(
            f"{name}-redirect",
            "gateway.networking.k8s.io/v1",
            "HTTPRoute",
            "https-redirect",
            redirect_route_spec(),
            cluster,
            [self.gateway],
        )
        self.ref = GatewayRef(GATEWAY_NAME, GATEWAY_NAMESPACE, "https", domain)
        self.register_outputs({"gateway": GATEWAY_NAME})

    def _object(
        self,
        name: str,
        api_version: str,
        kind: str,
        object_name: str,
        spec: dict[str, Any],
        cluster: Cluster,
        after: list[pulumi.Resource],
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            name,
            api_version=api_version,
            kind=kind,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=GATEWAY_NAMESPACE),
            spec=spec,
            opts=cluster.opts(self, depends_on=after),
        )
