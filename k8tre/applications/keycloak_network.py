"""Keycloak's network: the Gateway in, its database and its peers out, nothing else; and its flows.

Keycloak is published at ``keycloak.<domain>`` through the shared Gateway, which is the only way in:
JupyterHub's hub (and Argo CD, when its SSO points at the realm) reach the token endpoint by that public
name, that is through the Gateway, never pod to pod. Keycloak itself calls nothing outside its namespace:
no identity brokering, no e-mail (SMTP is not configured), no internet.
"""

from __future__ import annotations

from typing import Any

from ..agnostics.cloudnative_pg import POSTGRES_PORT
from ..agnostics.network_policy import dns_egress_rule
from ..agnostics.seaweedfs import NAMESPACE as SEAWEEDFS_NAMESPACE
from ..agnostics.seaweedfs import S3_LABELS, S3_PORT
from ..flows.expect import WORKSPACES, WORLD_ADDRESS, Expect, FlowContext, PodsOf, allow, deny
from ..flows.model import Entity
from .keycloak_database import DATABASE_CLUSTER, NAMESPACE
from .keycloak_values import CLUSTER_PORT, HTTP_PORT, MANAGEMENT_PORT, POD_LABELS


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"ports": [{"port": str(port), "protocol": "TCP"} for port in ports]}]


def keycloak_policy(namespace: str = NAMESPACE) -> dict[str, Any]:
    """The Keycloak pods' CiliumNetworkPolicy under the cluster-wide default deny."""
    peers = {"matchLabels": dict(POD_LABELS)}
    database = {"matchLabels": {"cnpg.io/cluster": DATABASE_CLUSTER}}
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "keycloak", "namespace": namespace, "labels": {"k8tre.io/policy": "service"}},
        "spec": {
            "description": "Keycloak: the Gateway in on http, replicas to each other; out to its database and peers only",
            "endpointSelector": {"matchLabels": dict(POD_LABELS)},
            "ingress": [
                {"fromEntities": ["ingress"], "toPorts": _tcp(HTTP_PORT)},
                {"fromEndpoints": [peers], "toPorts": _tcp(CLUSTER_PORT)},
            ],
            "egress": [
                {"toEndpoints": [database], "toPorts": _tcp(POSTGRES_PORT)},
                {"toEndpoints": [peers], "toPorts": _tcp(CLUSTER_PORT)},
                dns_egress_rule(),
            ],
        },
    }


def keycloak_flows(context: FlowContext) -> list[Expect]:
    """What Keycloak needs, and that nothing but the Gateway reaches it."""
    if not context.keycloak:
        return []
    keycloak = PodsOf(NAMESPACE, POD_LABELS, "keycloak")
    database = PodsOf(NAMESPACE, {"cnpg.io/cluster": DATABASE_CLUSTER}, "keycloak-db")
    hub = PodsOf("jupyterhub", {"component": "hub"}, "hub")
    workspace = PodsOf(None, WORKSPACES, "workspace")
    flows = [
        allow(Entity("ingress"), keycloak, HTTP_PORT, "the Gateway serves keycloak.<domain>"),
        allow(keycloak, database, POSTGRES_PORT, "Keycloak keeps users, sessions and the realm in its database"),
        deny(Entity("ingress"), database, POSTGRES_PORT, "the database is never published"),
        deny(Entity("ingress"), keycloak, MANAGEMENT_PORT, "health and metrics are not published"),
        deny(workspace, keycloak, HTTP_PORT, "a notebook never reaches Keycloak pod to pod"),
        deny(workspace, database, POSTGRES_PORT, "a notebook never reaches the identity database"),
        deny(keycloak, WORLD_ADDRESS, 443, "Keycloak calls nothing on the internet"),
        deny(keycloak, Entity("kube-apiserver"), 443, "Keycloak has no business with the Kubernetes API"),
    ]
    if context.seaweedfs:
        # The in-cluster store (K3s): the grant opened its S3 gateway to this namespace (Platform.object_store_grant).
        store = PodsOf(SEAWEEDFS_NAMESPACE, S3_LABELS, "seaweedfs-s3")
        flows += [
            allow(database, store, S3_PORT, "base backups and WAL go to the object store"),
            deny(keycloak, store, S3_PORT, "Keycloak itself never writes to the object store"),
        ]
    if context.jupyterhub:
        # The hub reaches the token endpoint by its public name through the Gateway (jupyterhub_flows), not directly.
        flows += [
            deny(hub, keycloak, HTTP_PORT, "the hub signs users in through keycloak.<domain>, not pod to pod"),
            deny(hub, database, POSTGRES_PORT, "the hub never reaches the identity database"),
        ]
    return flows
