"""Publishing a service as ``<app>.<domain>``: behind the shared Gateway, or passed through to a TLS backend.

Two ways, and the hop from the Gateway to the backend is part of each:

- ``publish``: an HTTPRoute on the shared Gateway's HTTPS listener. The Gateway terminates TLS and
  speaks plain HTTP to the backend, because Cilium 1.19 cannot verify a backend's certificate: its
  operator is given no access to ``backendtlspolicies`` (``templates/cilium-operator/clusterrole.yaml``
  in ``charts/cilium-1.19.6.tgz`` lists every Gateway API resource it watches, BackendTLSPolicy not
  among them), and a Cilium maintainer confirms "BackendTLSPolicy support didn't make it to v1.19"
  (cilium/cilium pull request #44743). The route therefore carries the reason its backend hop is
  plaintext (``PLAINTEXT_BACKEND``), and ``tls-on-every-route`` fails a route without one.
- ``publish_passthrough``: the backend terminates TLS itself. A dedicated Gateway with one TLS
  listener in ``Passthrough`` mode and a TLSRoute hand the encrypted stream to the backend untouched.
  It is a Gateway of its own, not a listener of the shared one, because Cilium 1.19.6 marks an
  HTTPS listener for ``*.<domain>`` and a passthrough listener for ``<app>.<domain>`` on the same port
  ``Conflicted``/``ProtocolConflict`` and refuses both (cilium/cilium issues #48092 and #47590), and the
  Gateway API's TLSRoute proposal forbids other listener kinds on a passthrough listener's port
  (kubernetes-sigs/gateway-api GEP-2643).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from ..infrastructure import Cluster
from .gateway import GatewayRef

PLAINTEXT_BACKEND: Final = "k8tre.io/plaintext-backend"
"""Route annotation: why the hop from the Gateway to this route's backend is not TLS (judged by ``tls-on-every-route``)."""
TLSROUTE_API: Final = "gateway.networking.k8s.io/v1alpha2"
"""TLSRoute's version that Cilium 1.19 reads (the vendored experimental CRD serves v1alpha2 and v1alpha3)."""
PASSTHROUGH_LISTENER: Final = "tls-passthrough"


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
    plaintext_reason: str,
) -> k8s.apiextensions.CustomResource:
    """Create the HTTPRoute that publishes ``service:port`` in ``namespace`` as ``<app>.<domain>``.

    The Gateway reaches the backend in plain HTTP (see the module docstring): ``plaintext_reason``
    says why that is acceptable for this backend, and is kept on the route for the reviewer and the
    ``tls-on-every-route`` rule. The namespace must carry the gateway-access label, or the Gateway
    refuses the route.
    """
    if not plaintext_reason.strip():
        raise ValueError(f"route {app}: a plain-HTTP backend hop needs a reason (plaintext_reason), or use publish_passthrough")
    return k8s.apiextensions.CustomResource(
        name,
        api_version="gateway.networking.k8s.io/v1",
        kind="HTTPRoute",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=app, namespace=namespace, annotations={PLAINTEXT_BACKEND: plaintext_reason}),
        spec=route_spec(gateway, app, service, port),
        opts=cluster.opts(parent, depends_on=depends_on),
    )


def passthrough_gateway_spec(hostname: str, annotations: Mapping[str, str]) -> dict[str, Any]:
    """One TLS listener on 443 for ``hostname`` alone, passing the stream through; TLSRoutes from its own namespace only."""
    spec: dict[str, Any] = {
        "gatewayClassName": "cilium",
        "listeners": [
            {
                "name": PASSTHROUGH_LISTENER,
                "protocol": "TLS",
                "port": 443,
                "hostname": hostname,
                "tls": {"mode": "Passthrough"},
                "allowedRoutes": {"namespaces": {"from": "Same"}, "kinds": [{"kind": "TLSRoute"}]},
            }
        ],
    }
    if annotations:
        # As on the shared Gateway: Cilium copies these onto the LoadBalancer Service, keeping it internal.
        spec["infrastructure"] = {"annotations": dict(annotations)}
    return spec


def tls_route_spec(gateway: str, hostname: str, service: str, port: int) -> dict[str, Any]:
    """A TLSRoute sending the TLS stream for ``hostname`` (by SNI) to ``service:port``."""
    return {
        "parentRefs": [{"name": gateway, "sectionName": PASSTHROUGH_LISTENER}],
        "hostnames": [hostname],
        "rules": [{"backendRefs": [{"name": service, "port": port}]}],
    }


def publish_passthrough(
    name: str,
    *,
    domain: str,
    app: str,
    namespace: str,
    service: str,
    port: int,
    cluster: Cluster,
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource],
) -> tuple[k8s.apiextensions.CustomResource, k8s.apiextensions.CustomResource]:
    """Publish ``service:port`` (which must serve TLS for ``<app>.<domain>``) through its own passthrough Gateway.

    The Gateway sits in the service's namespace, on an internal load balancer like the shared one;
    ``<app>.<domain>`` must resolve to its address.
    """
    hostname = f"{app}.{domain}"
    gateway = k8s.apiextensions.CustomResource(
        f"{name}-gateway",
        api_version="gateway.networking.k8s.io/v1",
        kind="Gateway",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=app, namespace=namespace),
        spec=passthrough_gateway_spec(hostname, cluster.platform.internal_lb_annotations),
        opts=cluster.opts(parent, depends_on=depends_on),
    )
    route = k8s.apiextensions.CustomResource(
        f"{name}-route",
        api_version=TLSROUTE_API,
        kind="TLSRoute",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=app, namespace=namespace),
        spec=tls_route_spec(app, hostname, service, port),
        # A route may exist before its Gateway (it attaches once the Gateway does): no chain between them.
        opts=cluster.opts(parent, depends_on=depends_on),
    )
    return gateway, route
