"""What a project's workspaces must and must never reach, for the flow matrix.

A workspace is a member's notebook server, spawned by JupyterHub into its project's
namespace with KubeSpawner's labels (``component: singleuser-server``,
``hub.jupyter.org/username``). The hub and proxy reach the servers they serve; a server
reaches the hub's API, its project's services and approved names, and nothing else:
not another member's server (in its project or another), not another project, the
Kubernetes API, the world, an unapproved name (DNS included) or the metadata service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..flows.expect import (
    EXFILTRATION_NAME,
    METADATA_SERVICE,
    WORKSPACES,
    WORLD_ADDRESS,
    Expect,
    FlowContext,
    PodsOf,
    allow,
    deny,
)
from ..flows.model import DnsLookup, Entity, Fqdn
from .jupyterhub_network import HUB, HUB_PORT, NOTEBOOK_PORT, PROXY

UNAPPROVED_NAME = "unapproved.example.com"
"""A name no project approves (RFC 2606): reaching it means the allowlist leaks."""
PROJECT_SERVICE = {"app.kubernetes.io/name": "project-service"}
PROJECT_SERVICE_PORT = 8080


def workspace_namespaces(manifests: Iterable[Mapping[str, Any]]) -> set[str]:
    """The namespaces JupyterHub's rendered profiles send workspaces to (read from the Application's values)."""
    found: set[str] = set()
    for app in manifests:
        source = (app.get("spec") or {}).get("source") or {} if app.get("kind") == "Application" else {}
        if source.get("chart") != "jupyterhub":
            continue
        values = (source.get("helm") or {}).get("valuesObject") or {}
        for profile in (values.get("singleuser") or {}).get("profileList") or []:
            namespace = (profile.get("kubespawner_override") or {}).get("namespace")
            if namespace:
                found.add(namespace)
    return found


def workspace_flows(context: FlowContext, hub_namespace: str) -> list[Expect]:
    """Each served project's workspaces: their allows and the denies that must hold."""
    if not context.jupyterhub:
        return []
    hub = PodsOf(hub_namespace, HUB, "hub")
    proxy = PodsOf(hub_namespace, PROXY, "proxy")
    keycloak = f"keycloak.{context.domain}"
    flows: list[Expect] = []
    for project in (p for p in context.projects if p.workspaces):
        ws = PodsOf(project.namespace, WORKSPACES, f"{project.name} workspace")
        service = PodsOf(project.namespace, PROJECT_SERVICE, f"{project.name} service")
        flows += [
            allow(hub, ws, NOTEBOOK_PORT, "the hub checks the servers it spawned"),
            allow(proxy, ws, NOTEBOOK_PORT, "the proxy forwards a member to their server"),
            allow(ws, hub, HUB_PORT, "a server reports activity to the hub API"),
            allow(ws, service, PROJECT_SERVICE_PORT, "a workspace uses its project's services"),
            deny(Entity("ingress"), ws, NOTEBOOK_PORT, "servers are reached through the proxy only"),
            deny(ws, ws, NOTEBOOK_PORT, "a member never reaches another member's server", differ_on="hub.jupyter.org/username"),
            deny(service, ws, NOTEBOOK_PORT, "a project's services do not reach into members' servers"),
            deny(ws, Entity("kube-apiserver"), 443, "a workspace has no token and no business with the Kubernetes API"),
            deny(ws, WORLD_ADDRESS, 443, "no internet from a workspace"),
            deny(ws, Fqdn(UNAPPROVED_NAME), 443, "no name outside the project's allowlist"),
            deny(ws, DnsLookup(UNAPPROVED_NAME), 53, "an unapproved name does not even resolve", protocol="UDP"),
            deny(ws, DnsLookup(EXFILTRATION_NAME), 53, "DNS is no channel out", protocol="UDP"),
            deny(ws, METADATA_SERVICE, 80, "cloud credentials stay out of reach"),
            deny(ws, Fqdn(keycloak), 443, "workspaces sign in through the hub, never to Keycloak directly"),
        ]
        flows += [allow(ws, Fqdn(name), 443, "a destination approved for the project") for name in project.egress_fqdns]
        for other in context.projects:
            if other == project:
                continue
            other_service = PodsOf(other.namespace, PROJECT_SERVICE, f"{other.name} service")
            flows.append(deny(ws, other_service, PROJECT_SERVICE_PORT, "projects are sealed from each other's workspaces"))
            if other.workspaces:
                other_ws = PodsOf(other.namespace, WORKSPACES, f"{other.name} workspace")
                flows.append(deny(ws, other_ws, NOTEBOOK_PORT, "no server reaches a server of another project (same member too)"))
            for name in sorted(set(other.egress_fqdns) - set(project.egress_fqdns)):
                flows.append(deny(ws, Fqdn(name), 443, f"{other.name}'s approved name is not {project.name}'s"))
                flows.append(deny(ws, DnsLookup(name), 53, "not resolvable outside its project", protocol="UDP"))
    return flows
