"""JupyterHub's network: one policy per component (hub, proxy, single-user servers) and its flows.

Cilium adds up every policy that selects a pod, so a namespace-wide policy would give
each notebook whatever the hub needs (the Kubernetes API, Keycloak) and let notebooks
reach each other. Each component therefore gets exactly its own traffic. The labels and
ports are the z2jh chart's (``templates/hub/deployment.yaml``, ``proxy/deployment.yaml``:
``component`` hub/proxy, hub ``http`` 8081, proxy ``http`` 8000 and ``api`` 8001) and
KubeSpawner's (``component: singleuser-server``, notebook port 8888).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..agnostics.network_policy import NAMESPACE_LABEL, dns_egress_rule, egress_to_names
from ..flows.expect import (
    WORKSPACES,
    Expect,
    FlowContext,
    PodsOf,
    allow,
    deny,
)
from ..flows.model import Entity, Fqdn

HUB: Final = {"component": "hub"}
PROXY: Final = {"component": "proxy"}
HUB_PORT: Final = 8081
PROXY_HTTP_PORT: Final = 8000
PROXY_API_PORT: Final = 8001
NOTEBOOK_PORT: Final = 8888


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"ports": [{"port": str(port), "protocol": "TCP"} for port in ports]}]


def _peer(namespace: str, labels: Mapping[str, str]) -> dict[str, Any]:
    return {"matchLabels": {NAMESPACE_LABEL: namespace, **{f"k8s:{k}": v for k, v in labels.items()}}}


def _policy(namespace: str, name: str, selector: Mapping[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": name, "namespace": namespace, "labels": {"k8tre.io/policy": "service"}},
        "spec": {"endpointSelector": {"matchLabels": dict(selector)}, **spec},
    }


def jupyterhub_policies(namespace: str, domain: str, workspace_namespaces: tuple[str, ...]) -> list[dict[str, Any]]:
    """The hub's and the proxy's policies; they reach the servers in ``workspace_namespaces`` (the projects')."""
    hub, proxy = _peer(namespace, HUB), _peer(namespace, PROXY)
    workspaces = [_peer(ns, WORKSPACES) for ns in workspace_namespaces]
    # No project to serve: no rule naming workspaces at all (an empty endpoint list is no selector).
    to_workspaces = [{"toEndpoints": workspaces, "toPorts": _tcp(NOTEBOOK_PORT)}] if workspaces else []
    keycloak = f"keycloak.{domain}"
    policies = [
        _policy(
            namespace,
            "jupyterhub-hub",
            HUB,
            {
                "description": "hub: called by the proxy and notebooks; drives the proxy, notebooks, Kubernetes API, Keycloak",
                "ingress": [{"fromEndpoints": [proxy, *workspaces], "toPorts": _tcp(HUB_PORT)}],
                "egress": [
                    {"toEndpoints": [proxy], "toPorts": _tcp(PROXY_API_PORT)},
                    *to_workspaces,
                    # The hub alone spawns notebooks: it alone talks to the Kubernetes API.
                    {"toEntities": ["kube-apiserver"]},
                    dns_egress_rule([keycloak]),
                    *egress_to_names([keycloak]),
                ],
            },
        ),
        _policy(
            namespace,
            "jupyterhub-proxy",
            PROXY,
            {
                "description": "proxy: the Gateway in on http, the hub on its API; out to the hub and notebooks",
                "ingress": [
                    {"fromEntities": ["ingress"], "toPorts": _tcp(PROXY_HTTP_PORT)},
                    {"fromEndpoints": [hub], "toPorts": _tcp(PROXY_API_PORT)},
                ],
                "egress": [
                    {"toEndpoints": [hub], "toPorts": _tcp(HUB_PORT)},
                    *to_workspaces,
                    dns_egress_rule(),
                ],
            },
        ),
    ]
    return policies


def singleuser_policy(hub_namespace: str, ws_namespace: str) -> dict[str, Any]:
    """The servers spawned into one project namespace: reached by the hub and the proxy only; they call the hub."""
    hub, proxy = _peer(hub_namespace, HUB), _peer(hub_namespace, PROXY)
    return _policy(
        ws_namespace,
        "jupyterhub-singleuser",
        WORKSPACES,
        {
            "description": "notebooks: reached by the hub and proxy only; they call the hub's API and nothing else",
            "ingress": [{"fromEndpoints": [hub, proxy], "toPorts": _tcp(NOTEBOOK_PORT)}],
            "egress": [{"toEndpoints": [hub], "toPorts": _tcp(HUB_PORT)}, dns_egress_rule()],
        },
    )


def jupyterhub_flows(context: FlowContext, namespace: str) -> list[Expect]:
    """What the hub and proxy need; the Gateway reaches the proxy alone (workspaces: :mod:`.workspace_flows`)."""
    if not context.jupyterhub:
        return []
    hub = PodsOf(namespace, HUB, "hub")
    proxy = PodsOf(namespace, PROXY, "proxy")
    keycloak = f"keycloak.{context.domain}"
    return [
        allow(Entity("ingress"), proxy, PROXY_HTTP_PORT, "the Gateway serves jupyter.<domain> through the proxy"),
        deny(Entity("ingress"), hub, HUB_PORT, "only the proxy is published"),
        allow(proxy, hub, HUB_PORT, "the proxy forwards /hub to the hub"),
        allow(hub, proxy, PROXY_API_PORT, "the hub configures the proxy's routes"),
        allow(hub, Entity("kube-apiserver"), 443, "the hub spawns servers through the Kubernetes API"),
        allow(hub, Fqdn(keycloak), 443, "the hub signs users in with Keycloak"),
    ]
