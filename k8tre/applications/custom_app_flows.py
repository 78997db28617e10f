"""The flows of applications from config: declared in the stack file, judged by the flow evaluator.

Each application's pods reach their declared names on 443 and nothing else outside the namespace
(no API server, no other team's application); the Gateway reaches them on the routed port only when
the application has a route. The matrix learns the applications from the render (namespaces labelled
``k8tre.io/app``, the names their policy approves, the port the Gateway's opening admits), so what is
judged is what would be deployed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..flows.expect import Expect, PodsOf, allow, deny
from ..flows.model import Entity, Fqdn
from .custom_apps import APP_LABEL, policy_name

PROBE_PORT = 8080
"""A port no application's route uses here: the Gateway must not reach it."""


@dataclass(frozen=True)
class AppFlows:
    """An application from config as its flows see it."""

    name: str
    namespace: str
    egress_fqdns: tuple[str, ...] = ()
    route_port: int | None = None
    """The port the Gateway may reach (None: not published)."""


def apps_in(manifests: Sequence[Mapping[str, Any]]) -> tuple[AppFlows, ...]:
    """The applications from config in a render, with their approved names and routed port."""
    namespaces = {
        str(m["metadata"]["name"]): str(m["metadata"]["labels"][APP_LABEL])
        for m in manifests
        if m.get("kind") == "Namespace" and APP_LABEL in ((m.get("metadata") or {}).get("labels") or {})
    }
    policies = [m for m in manifests if m.get("kind") == "CiliumNetworkPolicy" and m["metadata"].get("namespace") in namespaces]
    found = []
    for namespace, app in sorted(namespaces.items()):
        mine = [p for p in policies if p["metadata"]["namespace"] == namespace]
        names = tuple(
            f.get("matchName") or f.get("matchPattern") or ""
            for p in mine
            if p["metadata"]["name"] == policy_name(app)
            for rule in p["spec"].get("egress") or []
            for f in rule.get("toFQDNs") or []
        )
        ports = [
            int(port["port"])
            for p in mine
            for rule in p["spec"].get("ingress") or []
            if "ingress" in (rule.get("fromEntities") or [])
            for to in rule.get("toPorts") or []
            for port in to.get("ports") or []
        ]
        found.append(AppFlows(app, namespace, names, ports[0] if ports else None))
    return tuple(found)


def custom_app_flows(apps: Sequence[AppFlows]) -> list[Expect]:
    """Each application's declared egress and route, and the denies that must hold around it."""
    flows: list[Expect] = []
    for app in apps:
        pods = PodsOf(app.namespace, {}, app.name)
        flows += [allow(pods, Fqdn(name), 443, "a declared egress name") for name in app.egress_fqdns]
        flows.append(deny(pods, Entity("kube-apiserver"), 443, "applications from config never touch the Kubernetes API"))
        if app.route_port is not None:
            flows.append(allow(Entity("ingress"), pods, app.route_port, "the Gateway serves its route"))
        if app.route_port != PROBE_PORT:
            flows.append(deny(Entity("ingress"), pods, PROBE_PORT, "only the routed port is published"))
        for other in apps:
            if other != app:
                flows.append(
                    deny(pods, PodsOf(other.namespace, {}, other.name), other.route_port or PROBE_PORT, "teams are sealed")
                )
                flows += [
                    deny(pods, Fqdn(n), 443, f"{other.name}'s name") for n in set(other.egress_fqdns) - set(app.egress_fqdns)
                ]
    return flows
