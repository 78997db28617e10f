"""Access rules: no shared admin accounts, MFA, and nothing exposed to the internet (SATRE 3.2.01, 3.2.04, 2.2.09)."""

from __future__ import annotations

import json
from typing import Any

from ...offline.graph import Graph, RecordedResource
from ..facts import environment, is_prod, managed_clusters, objects, plain, releases
from ..k3s_script import deployer_problems
from ..realm_mfa import mfa_gaps
from ..registry import Evaluation, rule

REALM_LABEL = "k8tre.io/realm"
"""Label on a ConfigMap carrying a realm file Keycloak imports (``k8tre.applications.keycloak_realm``)."""

INTERNAL_LB = {
    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
}


@rule(
    "no-shared-admin",
    "Outside dev, no shared or built-in admin account is enabled or used to deploy "
    "(Argo CD admin, AKS local accounts, the K3s admin kubeconfig).",
    satre=("3.2.01",),
    severity="mandatory",
)
def no_shared_admin(graph: Graph) -> Evaluation:
    """Built-in accounts are for bootstrapping dev only."""
    result = Evaluation()
    dev = environment(graph) == "dev"
    for release in releases(graph, "argo-cd"):
        cm = ((plain(release.inputs.get("values")) or {}).get("configs") or {}).get("cm") or {}
        result.check(release.urn, dev or cm.get("admin.enabled") is False, "Argo CD's shared admin account is enabled")
    for cluster in managed_clusters(graph):
        result.check(
            cluster.urn,
            dev or cluster.inputs.get("disableLocalAccounts") is True,
            "AKS local (shared static) accounts are enabled",
        )
    for provider, source in k3s_admin_kubeconfig(graph):
        result.check(provider.urn, dev, f"Kubernetes provider deploys with the K3s admin kubeconfig ({source})")
    for command, problems in deployer_problems(graph):
        result.check(command.urn, dev or not problems, "; ".join(problems))
    return result


# K3s writes the cluster-admin kubeconfig of its built-in admin user here (K3s docs, "Cluster Access":
# /etc/rancher/k3s/k3s.yaml); whoever holds it is the same shared superuser.
K3S_ADMIN_KUBECONFIG = "/etc/rancher/k3s/k3s.yaml"


def k3s_admin_kubeconfig(graph: Graph) -> list[tuple[RecordedResource, str]]:
    """Kubernetes providers whose kubeconfig comes from a command that reads the K3s admin kubeconfig."""
    by_urn = {r.urn: r for r in graph.resources}
    found = []
    for provider in graph.of_type("pulumi:providers:kubernetes"):
        for urn in provider.dependencies:
            source = by_urn.get(urn)
            if source is not None and source.type == "command:remote:Command":
                create = plain(source.inputs.get("create"))
                if isinstance(create, str) and K3S_ADMIN_KUBECONFIG in create:
                    found.append((provider, f"{source.name}: {create}"))
    return found


@rule(
    "mfa-required",
    "The identity realm requires a second factor for every user: OTP set-up is a default required action, and "
    "no path through the browser flow, a client's flow override, the password grant or a brokered sign-in skips it.",
    satre=("3.2.04",),
    severity="mandatory",
)
def mfa(graph: Graph) -> Evaluation:
    """Every realm the render imports (a realm file in a labelled ConfigMap, or a ``KeycloakRealmImport``) is judged."""
    result = Evaluation()
    for urn, realm in rendered_realms(graph):
        gaps = mfa_gaps(realm)
        result.check(urn, not gaps, "; ".join(gaps))
    return result


def rendered_realms(graph: Graph) -> list[tuple[str, dict[str, Any]]]:
    """(URN, realm representation) of every realm the render makes Keycloak import."""
    realms: list[tuple[str, dict[str, Any]]] = []
    for config_map in objects(graph, "ConfigMap"):
        labels = (plain(config_map.inputs.get("metadata")) or {}).get("labels") or {}
        if REALM_LABEL not in labels:
            continue
        for document in (plain(config_map.inputs.get("data")) or {}).values():
            try:
                realm = json.loads(document)
            except (TypeError, ValueError):
                realm = {"realm": "unreadable realm file"}
            realms.append((config_map.urn, realm if isinstance(realm, dict) else {}))
    for imported in objects(graph, "KeycloakRealmImport"):
        spec = plain(imported.inputs.get("spec")) or {}
        realms.append((imported.urn, spec.get("realm") or {}))
    return realms


@rule(
    "no-public-exposure",
    "No public Kubernetes API in prod, no public IPs on nodes, and no load balancer that is not internal.",
    satre=("2.2.09",),
    severity="mandatory",
)
def no_public_exposure(graph: Graph) -> Evaluation:
    """Everything the TRE serves stays on private networks."""
    result = Evaluation()
    prod = is_prod(graph)
    for cluster in managed_clusters(graph):
        access = cluster.inputs.get("apiServerAccessProfile") or {}
        result.check(cluster.urn, not prod or access.get("enablePrivateCluster") is True, "AKS API server is public in prod")
        for pool in cluster.inputs.get("agentPoolProfiles") or []:
            result.check(cluster.urn, pool.get("enableNodePublicIP") is not True, f"node pool {pool.get('name')} has public IPs")
    for cluster in graph.of_type("aws:eks/cluster:Cluster"):
        vpc = cluster.inputs.get("vpcConfig") or {}
        result.check(cluster.urn, not prod or vpc.get("endpointPublicAccess") is False, "EKS API endpoint is public in prod")
    for subnet in graph.of_type("aws:ec2/subnet:Subnet"):
        result.check(subnet.urn, subnet.inputs.get("mapPublicIpOnLaunch") is not True, "subnet gives nodes public IPs")
    lb_pools = objects(graph, "CiliumLoadBalancerIPPool")
    for gateway in objects(graph, "Gateway"):
        annotations = ((gateway.inputs["spec"].get("infrastructure") or {}).get("annotations")) or {}
        internal = any(annotations.get(key) == value for key, value in INTERNAL_LB.items()) or bool(lb_pools)
        result.check(gateway.urn, internal, "the Gateway's load balancer is not internal")
    for service in objects(graph, "Service"):
        spec = service.inputs.get("spec") or {}
        annotations = (service.inputs.get("metadata") or {}).get("annotations") or {}
        internal = any(annotations.get(key) == value for key, value in INTERNAL_LB.items()) or bool(lb_pools)
        result.check(service.urn, spec.get("type") != "LoadBalancer" or internal, "LoadBalancer service is not internal")
    return result
