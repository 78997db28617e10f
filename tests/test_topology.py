"""Both topologies render: an environment with its own Argo CD, and one registered with the management stack's.

The registered environment is ``tests/stacks/Pulumi.azure-managed.yaml``; its StackReference to
``example-org/k8tre/mgmt`` is answered with the outputs of the management example's own render
(``examples/Pulumi.mgmt.yaml``), never with values made up here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from k8tre.agnostics.argocd_delivery_grant import MANAGER_VERBS
from k8tre.agnostics.argocd_registration import MANAGER, MANAGER_NAMESPACE, api_server
from k8tre.cli import app
from k8tre.delivery import IN_CLUSTER, on_management_cluster
from k8tre.offline.engine import EngineError, resolve, run
from k8tre.offline.graph import Graph, RecordedResource, Secret
from k8tre.offline.mocks import K8treMocks
from k8tre.offline.render import write
from k8tre.offline.validation import validate_render
from tests.conftest import ROOT, expanded_graph_of, graph_of

MANAGED = ROOT / "tests" / "stacks" / "Pulumi.azure-managed.yaml"
MGMT_STACK = "example-org/k8tre/mgmt"

_managed: dict[str, Graph] = {}


def managed_graph() -> Graph:
    """The registered environment, its StackReference answered from the management example's render."""
    if "graph" not in _managed:
        _managed["graph"] = run(resolve(str(MANAGED), ROOT), references={MGMT_STACK: graph_of("mgmt").outputs})
    return _managed["graph"]


def _one(graph: Graph, typ: str, name_part: str) -> RecordedResource:
    (found,) = [r for r in graph.of_type(typ) if name_part in r.name]
    return found


def _plain_strings(value: Any) -> Iterator[str]:
    """Every string a render would show as it is (values inside a Pulumi secret are skipped)."""
    if isinstance(value, Secret):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _plain_strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _plain_strings(item)


def _cluster_secret() -> RecordedResource:
    return _one(managed_graph(), "kubernetes:core/v1:Secret", "registration-cluster")


def _secret_data() -> dict[str, str]:
    data = _cluster_secret().inputs["stringData"]
    assert isinstance(data, Secret), "the cluster Secret's data must be a Pulumi secret"
    return dict(data.value)


def test_without_a_management_stack_the_environment_runs_argo_cd_and_delivers_in_cluster() -> None:
    graph = graph_of("dev")
    assert any(r["chart"] == "argo-cd" for r in graph.helm_releases())
    assert not graph.of_type("pulumi:pulumi:StackReference", "k8tre:applications:ClusterRegistration")
    for app_ in (m for m in graph.manifests() if m["kind"] == "Application"):
        assert app_["spec"]["destination"]["server"] == IN_CLUSTER
        assert app_["metadata"]["namespace"] == graph.outputs["argocdNamespace"]


def test_the_management_stack_runs_argo_cd_and_exports_what_environments_read() -> None:
    graph = graph_of("mgmt")
    assert graph.outputs["role"] == "management"
    assert any(r["chart"] == "argo-cd" for r in graph.helm_releases())
    assert isinstance(graph.outputs["kubeconfig"], Secret), "the management kubeconfig is exported as a secret"
    assert graph.outputs["argocdNamespace"] == "argocd"
    # No application layer: research data never lands where every environment's credentials are.
    assert not graph.of_type("k8tre:applications:ApplicationLayer")
    assert not [m for m in graph.manifests() if m["kind"] in ("Application", "Namespace") and "project" in m["metadata"]["name"]]


def test_a_registered_environment_reads_the_management_stack_and_runs_no_argo_cd() -> None:
    graph = managed_graph()
    (reference,) = graph.of_type("pulumi:pulumi:StackReference")
    assert reference.inputs["name"] == MGMT_STACK
    assert not any(r["chart"] == "argo-cd" for r in graph.helm_releases())
    provider = _one(graph, "pulumi:providers:kubernetes", "management")
    assert isinstance(provider.inputs["kubeconfig"], Secret), "the management kubeconfig stays a secret"
    assert provider.inputs["kubeconfig"].value == graph_of("mgmt").outputs["kubeconfig"].value


def test_without_the_management_render_the_offline_engine_refuses_to_invent_its_outputs() -> None:
    with pytest.raises(EngineError, match="StackReference 'example-org/k8tre/mgmt'"):
        run(resolve(str(MANAGED), ROOT))


def test_a_stack_reference_keeps_the_referenced_stacks_secrets_secret() -> None:
    from pulumi.runtime import MockResourceArgs

    reference = MockResourceArgs("pulumi:pulumi:StackReference", "ref", {"name": "o/p/s"}, custom=True)
    outputs = {"kubeconfig": "[secret]", "token": Secret("t"), "argocdNamespace": "argocd"}
    _, state = K8treMocks(references={"o/p/s": outputs}).new_resource(reference)
    assert state["secretOutputNames"] == ["kubeconfig", "token"]
    assert state["outputs"]["token"] == "t"


def test_the_cluster_secret_carries_upstream_k8tre_labels() -> None:
    labels = _cluster_secret().inputs["metadata"]["labels"]
    assert labels["argocd.argoproj.io/secret-type"] == "cluster"
    assert labels["environment"] == "dev"
    assert labels["vendor"] == "azure"
    assert labels["external-domain"] == managed_graph().outputs["domain"]
    assert labels["cluster-name"] == managed_graph().outputs["clusterName"]
    assert labels["skip-cert-manager"] == "true", "an upstream ApplicationSet must not install cert-manager again"


def test_the_cluster_secret_limits_argo_cd_to_the_delivered_namespaces_over_verified_tls() -> None:
    data = _secret_data()
    assert data["name"] == managed_graph().outputs["registration"]
    assert data["clusterResources"] == "false"
    config = json.loads(data["config"])
    assert config["tlsClientConfig"]["insecure"] is False
    assert config["bearerToken"] and config["tlsClientConfig"]["caData"]
    destinations = {m["spec"]["destination"]["namespace"] for m in managed_graph().manifests() if m["kind"] == "Application"}
    assert set(data["namespaces"].split(",")) == destinations, "Argo CD may manage exactly where it delivers"
    kubeconfig = managed_graph().outputs["kubeconfig"].value
    assert data["server"] == api_server(kubeconfig)


def test_the_cluster_secret_validates_and_holds_no_credential_in_plain_text(tmp_path: Path) -> None:
    graph = managed_graph()
    assert validate_render(graph, "1.35") == []
    token = json.loads(_secret_data()["config"])["bearerToken"]
    credentials = [token, graph.outputs["kubeconfig"].value, graph_of("mgmt").outputs["kubeconfig"].value]
    shown = [text for r in graph.resources for text in _plain_strings(r.inputs)] + list(_plain_strings(graph.outputs))
    for credential in credentials:
        assert not [text for text in shown if credential in text], "a credential is shown in plain text"
    write(graph, tmp_path)
    rendered = "".join(p.read_text(encoding="utf-8") for p in tmp_path.rglob("*") if p.is_file())
    assert token not in rendered and base64.b64encode(token.encode()).decode() not in rendered
    assert "[secret]" in (tmp_path / "manifests" / "secret-argocd-cluster-k8tre-azure-managed.yaml").read_text()


def test_applications_and_projects_live_on_the_management_cluster_and_deliver_here() -> None:
    graph = managed_graph()
    server = _secret_data()["server"]
    prefix = graph.outputs["registration"] + "-"
    objects = [r for r in graph.kubernetes_objects() if r.inputs.get("kind") in ("Application", "AppProject")]
    assert {r.inputs["kind"] for r in objects} == {"Application", "AppProject"}
    for resource in objects:
        assert on_management_cluster(resource.provider), f"{resource.name} is not created on the management cluster"
        assert resource.inputs["metadata"]["namespace"] == graph_of("mgmt").outputs["argocdNamespace"]
        assert resource.inputs["metadata"]["name"].startswith(prefix)
        spec = resource.inputs["spec"]
        for destination in [spec.get("destination")] if "destination" in spec else spec["destinations"]:
            assert destination["server"] == server
    for app_ in (r for r in objects if r.inputs["kind"] == "Application"):
        assert app_.inputs["spec"]["project"].startswith(prefix)
        assert _cluster_secret().urn in app_.dependencies, "an Application waits for its destination's registration"


def test_argo_cd_is_bound_only_by_roles_in_the_delivered_namespaces() -> None:
    graph = managed_graph()
    manifests = graph.manifests()

    def binds_manager(obj: dict[str, Any]) -> bool:
        return any(s.get("name") == MANAGER and s.get("namespace") == MANAGER_NAMESPACE for s in obj.get("subjects") or [])

    assert not [m for m in manifests if m["kind"] == "ClusterRoleBinding" and binds_manager(m)]
    bindings = [m for m in manifests if m["kind"] == "RoleBinding" and binds_manager(m)]
    namespaces = set(_secret_data()["namespaces"].split(","))
    assert {b["metadata"]["namespace"] for b in bindings} == namespaces
    roles = {(m["metadata"]["namespace"], m["metadata"]["name"]): m for m in manifests if m["kind"] == "Role"}
    for binding in bindings:
        assert binding["roleRef"]["kind"] == "Role", "a ClusterRole (admin, cluster-admin) grants more than needed"
        role = roles[(binding["metadata"]["namespace"], binding["roleRef"]["name"])]
        verbs = {verb for rule in role["rules"] for verb in rule["verbs"]}
        assert verbs <= set(MANAGER_VERBS), f"verbs beyond delivering: {verbs - set(MANAGER_VERBS)}"
    (account,) = [m for m in manifests if m["kind"] == "ServiceAccount" and m["metadata"]["name"] == MANAGER]
    assert account["automountServiceAccountToken"] is False


def test_the_management_stack_lets_its_argo_cd_reach_the_registered_environment() -> None:
    from urllib.parse import urlsplit

    url = urlsplit(_secret_data()["server"])
    registered = {(c["apiHost"], c["apiPort"]) for c in graph_of("mgmt").outputs["registeredClusters"]}
    assert (url.hostname, url.port or 443) in registered


def test_flows_hold_in_both_topologies() -> None:
    import dataclasses

    from k8tre.flows.matrix import evaluate
    from k8tre.offline.expand import expand

    mgmt_rows = evaluate(expanded_graph_of("mgmt"))
    assert not [row for row in mgmt_rows if not row.ok]
    reached = [r for r in mgmt_rows if r.expect == "allow" and "azmk8s.io" in str(r.destination)]
    assert reached and all(r.actual == "allow" for r in reached)
    managed = dataclasses.replace(managed_graph(), workloads=[])
    expand(managed, "1.35")
    managed_rows = evaluate(managed)
    assert not [row for row in managed_rows if not row.ok]
    assert not [row for row in managed_rows if "argocd" in str(row.source)]


def test_k8tre_check_passes_on_the_registered_environment(tmp_path: Path) -> None:
    write(graph_of("mgmt"), tmp_path / "mgmt")
    result = CliRunner().invoke(
        app,
        ["check", str(MANAGED), "--out", str(tmp_path / "managed"), "--reference", f"{MGMT_STACK}={tmp_path / 'mgmt'}"],
    )
    assert result.exit_code == 0, result.output


def test_every_topology_component_sits_in_the_layer_its_type_names() -> None:
    layers = {"k8tre:infrastructure:InfrastructureLayer", "k8tre:agnostics:AgnosticsLayer", "k8tre:applications:ApplicationLayer"}
    for graph in (graph_of("mgmt"), managed_graph()):
        for resource in graph.resources:
            if resource.type == "pulumi:pulumi:Stack" or resource.type in layers:
                continue
            owning = [a.type for a in graph.ancestors(resource) if a.type in layers]
            assert len(owning) == 1, f"{resource.urn} is under {owning or 'no layer'}"
            # The agnostics layer's database helper is used by applications (Keycloak's database): it sits where used.
            if resource.type.startswith("k8tre:") and resource.type != "k8tre:agnostics:PostgresDatabase":
                assert resource.type.split(":")[1] == owning[0].split(":")[1], f"{resource.type} sits in {owning[0]}"


def test_k8tre_check_passes_on_the_management_stack(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["check", "mgmt", "--out", str(tmp_path / "mgmt")])
    assert result.exit_code == 0, result.output


def test_a_qualified_project_s_roles_name_the_qualified_project() -> None:
    """On a shared Argo CD a project is renamed for its environment: its role policies must follow, or they grant nothing."""
    from k8tre.applications.app_projects import research_project_spec
    from k8tre.applications.project import renamed_roles

    spec = research_project_spec("research-apps", "https://hub.jupyter.org/helm-chart/", True, ["tre-admins"])
    renamed = renamed_roles(spec, "research-apps", "k8tre-dev-research-apps")
    (policy, *_) = renamed["roles"][0]["policies"]
    assert policy.startswith("p, proj:k8tre-dev-research-apps:operator, applications, ")
    assert ", k8tre-dev-research-apps/*, allow" in policy
    assert "research-apps" not in policy.replace("k8tre-dev-research-apps", "")
    assert renamed_roles(spec, "research-apps", "research-apps") is spec
