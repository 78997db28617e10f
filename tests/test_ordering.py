"""Ordering: independent releases are never chained, and the critical path is computed from what Pulumi waits for.

``pulumi up`` deploys independent releases in parallel; a dependency between two releases that
do not need each other serialises them and lengthens every deployment. A release (a Helm
release or an Argo CD Application) may wait for another only for a reason listed here.
Written over the whole graph, so a release added anywhere is judged without touching this file,
unless it really needs another release first (then it belongs in the list, with its reason).
"""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conftest import ALL_STACKS, ROOT, graph_of
from k8tre.offline.ordering import APPLICATION_TYPE, RELEASE_TYPE, chained_releases, longest_path, wait_graph

NEEDED: dict[tuple[str, str], str] = {
    ("*", "cilium"): "every pod needs the CNI (and Cilium's Gateway API controller): Cluster.ready holds the Cilium release",
    ("jupyterhub", "argo-cd"): "an Application is an Argo CD custom resource: its CRD comes with the argo-cd chart",
    ("jupyterhub", "cert-manager"): (
        "Platform.ready holds the ClusterIssuer (a cert-manager CRD) so that an application can request certificates; "
        "JupyterHub itself is served with the Gateway's wildcard certificate and requests none, so this chain could go "
        "if Platform.ready were split (it costs nothing today: Argo CD takes as long as cert-manager)"
    ),
    ("jupyterhub", "external-secrets"): (
        "Platform.ready holds the ClusterSecretStore (an External Secrets CRD) so that an application can receive "
        "generated credentials; like the ClusterIssuer above, JupyterHub could wait for less if Platform.ready were split"
    ),
    ("argo-cd", "cert-manager"): "argocd-server's certificate is a cert-manager Certificate the argo-cd chart renders",
    ("kube-prometheus-stack", "external-secrets"): (
        "Grafana's admin Secret is delivered by an ExternalSecret (an External Secrets CRD) and must exist before Grafana starts"
    ),
    ("seaweedfs", "external-secrets"): "SeaweedFS's S3 keys are delivered by an ExternalSecret before its pods start",
    ("velero", "external-secrets"): "Velero's copy of the store's S3 keys is delivered by an ExternalSecret",
    ("plugin-barman-cloud", "cert-manager"): "the plugin's chart renders cert-manager Issuer and Certificate objects",
    ("plugin-barman-cloud", "cloudnative-pg"): "the plugin registers with the CloudNativePG operator, which must be running",
    ("keycloakx", "argo-cd"): "Keycloak is an Argo CD Application: its CRD comes with the argo-cd chart",
    ("keycloakx", "cert-manager"): "Platform.ready holds the ClusterIssuer, as for JupyterHub above",
    ("keycloakx", "external-secrets"): (
        "the OIDC clients' secrets and the first admin's password reach Keycloak through ExternalSecrets, which must "
        "exist before it imports the realm (its placeholders are read from them at start)"
    ),
    ("keycloakx", "cloudnative-pg"): "Keycloak's database is a CloudNativePG Cluster (its CRD); Keycloak cannot start without it",
    ("keycloakx", "plugin-barman-cloud"): "the database's backups are the Barman Cloud plugin's ObjectStore (its CRD)",
    ("keycloakx", "aws-efs-csi-driver"): "the database's volumes use the platform's storage classes, installed with the drivers",
    ("keycloakx", "longhorn"): "the database's volumes use the platform's storage classes (Longhorn on K3s)",
    ("*", "aws-load-balancer-controller"): (
        "EKS: the controller's mservice.elbv2.k8s.aws webhook mutates every Service created in the cluster with "
        "failurePolicy Fail (chart templates/webhook.yaml), so no release can create a Service before it answers"
    ),
}
"""``(chart, chart it waits for)``: the only chains allowed, each with the CRD or webhook it needs."""


def _graph_json(stack: str) -> dict[str, Any]:
    data: dict[str, Any] = graph_of(stack).to_json()
    return data


def _urn(graph: dict[str, Any], chart: str) -> str:
    for r in graph["resources"]:
        if r["type"] == RELEASE_TYPE and f"/{chart}-" in str(r["inputs"].get("chart")):
            return str(r["urn"])
    raise AssertionError(f"no release of {chart}")


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_no_two_independent_releases_are_chained(stack: str) -> None:
    nodes, waits = wait_graph(_graph_json(stack))
    assert sum(n.type in (RELEASE_TYPE, APPLICATION_TYPE) for n in nodes.values()) >= 3
    assert chained_releases(nodes, waits, list(NEEDED)) == []


@pytest.mark.parametrize(
    ("waiter", "waited"),
    [("external-dns", "external-secrets"), ("external-dns", "cert-manager")],
)
def test_a_chain_between_two_releases_is_caught(waiter: str, waited: str) -> None:
    graph = copy.deepcopy(_graph_json("dev"))
    source, target = _urn(graph, waiter), _urn(graph, waited)
    resource = next(r for r in graph["resources"] if r["urn"] == source)
    resource["options"]["dependsOn"].append(target)
    nodes, waits = wait_graph(graph)
    assert chained_releases(nodes, waits, list(NEEDED)) == [(waiter, waited)]


def test_a_chain_through_another_resource_is_caught() -> None:
    """Waiting for the ClusterIssuer is waiting for cert-manager: the chain is judged transitively."""
    graph = copy.deepcopy(_graph_json("dev"))
    issuer = next(r["urn"] for r in graph["resources"] if r["type"] == "kubernetes:cert-manager.io/v1:ClusterIssuer")
    dns = next(r for r in graph["resources"] if r["urn"] == _urn(graph, "external-dns"))
    dns["dependencies"].append(issuer)
    nodes, waits = wait_graph(graph)
    assert chained_releases(nodes, waits, list(NEEDED)) == [("external-dns", "cert-manager")]


def test_waiting_for_a_component_waits_for_its_children() -> None:
    graph = copy.deepcopy(_graph_json("dev"))
    component = next(r["urn"] for r in graph["resources"] if r["type"] == "k8tre:agnostics:CertManager")
    dns = next(r for r in graph["resources"] if r["urn"] == _urn(graph, "external-dns"))
    dns["options"]["dependsOn"].append(component)
    nodes, waits = wait_graph(graph)
    assert _urn(graph, "cert-manager") in waits[dns["urn"]]
    assert chained_releases(nodes, waits, list(NEEDED)) == [("external-dns", "cert-manager")]


def test_a_cycle_is_reported_not_looped() -> None:
    graph = copy.deepcopy(_graph_json("dev"))
    issuer = next(r["urn"] for r in graph["resources"] if r["type"] == "kubernetes:cert-manager.io/v1:ClusterIssuer")
    cert_manager = next(r for r in graph["resources"] if r["urn"] == _urn(graph, "cert-manager"))
    cert_manager["dependencies"].append(issuer)
    nodes, waits = wait_graph(graph)
    with pytest.raises(ValueError, match="dependency cycle"):
        chained_releases(nodes, waits, list(NEEDED))


def test_a_kubernetes_resource_waits_for_its_provider_and_a_custom_parent() -> None:
    graph = copy.deepcopy(_graph_json("dev"))
    nodes, waits = wait_graph(graph)
    release = _urn(graph, "cert-manager")
    provider = next(u for u, n in nodes.items() if n.type == "pulumi:providers:kubernetes")
    assert provider in waits[release]
    child = next(r for r in graph["resources"] if r["type"] == "kubernetes:core/v1:Namespace")
    child["parent"] = release
    child["dependencies"] = []
    assert release in wait_graph(graph)[1][child["urn"]]


def test_longest_path_adds_waits_and_settling() -> None:
    waits = {"a": set(), "b": {"a"}, "c": {"a"}, "d": {"b", "c"}}
    assert longest_path(waits, {"a": 1, "b": 5, "c": 2, "d": 1}) == (7, ["a", "b", "d"])
    # c settles long after Pulumi moves on: it ends last, but d did not wait for it.
    assert longest_path(waits, {"a": 1, "b": 5, "c": 2, "d": 1}, {"c": 10}) == (13, ["a", "c"])


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("critical_path", ROOT / "scripts" / "critical_path.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_duration_has_a_source_and_every_type_a_duration() -> None:
    script = _script()
    table = script.load_durations()
    assert all(str(entry["source"]).strip() for entry in table)
    for stack in ALL_STACKS:
        nodes, _ = wait_graph(_graph_json(stack))
        for node in nodes.values():
            script.duration_of(node, table)


def test_the_critical_path_goes_through_the_cluster_and_cilium(tmp_path: Path) -> None:
    script = _script()
    (tmp_path / "graph.json").write_text(json.dumps(_graph_json("dev")))
    total, rows = script.critical_path(json.loads((tmp_path / "graph.json").read_text()), script.load_durations())
    types = [node.type for node, _, _ in rows]
    assert any(t.endswith(":ManagedCluster") for t in types)
    assert "k8tre-infra-cilium-release" in [node.name for node, _, _ in rows]
    assert rows[-1][2] == pytest.approx(total)
    assert script.main([str(tmp_path), "--markdown"]) == 0
