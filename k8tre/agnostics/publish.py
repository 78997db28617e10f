"""Publishing a service as ``<app>.<domain>`` behind the shared Gateway."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..infrastructure import Cluster
from .gateway import GatewayRef


def route_spec(gateway: GatewayRef, app: str, service: str, port: int) -> dict[str, Any]:
    """An HTTPRoute spec sending ``https://<app>.<domain>/`` to a Service."""
    return {
        "parentRefs": [{"name": gateway.name, "namespace": gateway.namespace, "sectionName": gateway.https_listener}],
        "hostnames": [f"{app}.{gateway.domain}"],
        "rules": [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                "backendRefs": [{"name": service, "port": port}],
            }
        ],
    }


def publish(
    name: str,
    *,
    gateway: GatewayRef,
    app: str,
    namespace: str,
    service: str,
    port: int,
    cluster: Cluster,
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource],
) -> k8s.apiextensions.CustomResource:
    """Create the HTTPRoute that publishes ``service:port`` in ``namespace`` as ``<app>.<domain>``.

    The namespace must carry the gateway-access label, or the Gateway refuses the route.
    """
    return k8s.apiextensions.CustomResource(
        name,
        api_version="gateway.networking.k8s.io/v1",
        kind="HTTPRoute",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=app, namespace=namespace),
        spec=route_spec(gateway, app, service, port),
        opts=cluster.opts(parent, depends_on=depends_on),
    )
