"""SeaweedFS: the in-cluster object store where the cloud has none, private, persistent and keyed by the platform."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from conftest import expanded_graph_of, graph_of
from k8tre.agnostics.seaweedfs import CREDENTIALS, S3_PORT, STORAGE_CLASS, seaweedfs_flows, seaweedfs_values
from k8tre.flows.matrix import context_of, evaluate
from k8tre.infrastructure.k3s.secret_store import STORE_NAMESPACE
from k8tre.offline.graph import Graph, Secret
from k8tre.stage import Stage


def release_values(graph: Graph) -> dict[str, Any]:
    (release,) = [r for r in graph.helm_releases() if r["chart"] == "seaweedfs"]
    return dict(release["values"])


def expanded(graph: Graph) -> list[dict[str, Any]]:
    (release,) = [r for r in graph.workloads if r.chart == "seaweedfs"]
    return [dict(o) for o in release.objects]


@pytest.mark.parametrize(("stack", "installed"), [("k3s-dev", True), ("dev", False), ("aws-dev", False)])
def test_seaweedfs_runs_only_where_the_cloud_has_no_object_store(stack: str, installed: bool) -> None:
    graph = graph_of(stack)
    assert any(r["chart"] == "seaweedfs" for r in graph.helm_releases()) is installed
    assert any(r.type == "k8tre:agnostics:SeaweedFs" for r in graph.resources) is installed


def test_keys_are_generated_secrets_in_the_store_and_its_clients_namespaces_alone() -> None:
    graph = graph_of("k3s-dev")
    # Delivered by ExternalSecrets into the store's namespace and its clients' alone (Velero, Keycloak's database
    # backups), all reading one store entry.
    externals = [
        r
        for r in graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
        if r.inputs["spec"]["target"]["name"] == CREDENTIALS.secret_name
    ]
    assert sorted(r.inputs["metadata"]["namespace"] for r in externals) == ["keycloak", "seaweedfs", "velero"]
    assert all(r.inputs["metadata"]["name"] == CREDENTIALS.secret_name for r in externals)
    keys = {CREDENTIALS.access_key_key, CREDENTIALS.secret_key_key}
    assert all(keys <= {d["secretKey"] for d in r.inputs["spec"]["data"]} for r in externals)
    (entry_name,) = {d["remoteRef"]["key"] for r in externals for d in r.inputs["spec"]["data"]}
    # The entry the writer created in the K3s store, its generated keys only ever a Pulumi secret.
    (entry,) = [
        r
        for r in graph.of_type("kubernetes:core/v1:Secret")
        if (r.inputs["metadata"]["name"], r.inputs["metadata"]["namespace"]) == (entry_name, STORE_NAMESPACE)
    ]
    assert any(entry.urn in r.options.depends_on for r in externals)
    assert isinstance(entry.inputs["stringData"], Secret), "the keys are Pulumi secrets"
    generated = [
        r
        for r in graph.of_type("random:index/randomPassword:RandomPassword")
        if r.parent == entry.parent and r.inputs["special"] is False
    ]
    assert {r.name.rsplit("-", 1)[-1] for r in generated} >= keys
    stored = entry.inputs["stringData"].value
    text = json.dumps(graph.to_json())
    assert all(stored[k] and stored[k] not in text for k in keys)
    values = release_values(graph)
    assert values["s3"]["enableAuth"] is True
    assert values["s3"]["credentials"] == {
        "admin": {"existingSecret": CREDENTIALS.secret_name},
        "read": {"existingSecret": CREDENTIALS.secret_name},
    }


def test_the_chart_writes_no_key_of_its_own() -> None:
    # With existingSecret the chart's own config Secret names environment variables, never a key.
    objects = expanded(expanded_graph_of("k3s-dev"))
    (config,) = [o for o in objects if o["kind"] == "Secret" and o["metadata"]["name"].endswith("-s3-secret")]
    data = config.get("stringData") or {}
    assert not {"admin_access_key_id", "admin_secret_access_key", "read_access_key_id"} & set(data)
    assert "${" in data["seaweedfs_s3_config"]
    (s3,) = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("-s3")]
    env = [e for c in s3["spec"]["template"]["spec"]["containers"] for e in c.get("env") or []]
    refs = {e["valueFrom"]["secretKeyRef"]["name"] for e in env if "secretKeyRef" in (e.get("valueFrom") or {})}
    assert refs == {CREDENTIALS.secret_name}


def test_data_lives_on_the_platform_block_storage_class() -> None:
    objects = expanded(expanded_graph_of("k3s-dev"))
    claims = [t for o in objects if o["kind"] == "StatefulSet" for t in o["spec"].get("volumeClaimTemplates") or []]
    assert len(claims) >= 3, "master, volume server and filer keep their data on claims"
    assert {c["spec"]["storageClassName"] for c in claims} == {STORAGE_CLASS}
    assert not [o for o in objects if o["kind"] in ("ClusterRole", "ClusterRoleBinding")], "no cluster-wide pod deletion"
    hostpaths = [
        v
        for o in objects
        if o["kind"] == "StatefulSet"
        for v in o["spec"]["template"]["spec"].get("volumes") or []
        if "hostPath" in v
    ]
    assert hostpaths == []


@pytest.mark.parametrize(
    ("environment", "masters", "volumes", "replication"), [("dev", 1, 1, "000"), ("stg", 3, 2, "001"), ("prod", 3, 2, "001")]
)
def test_replicas_by_environment(environment: str, masters: int, volumes: int, replication: str) -> None:
    values = seaweedfs_values(Stage(environment, "k8tre", "tre.example.org"), 200)  # type: ignore[arg-type]
    assert values["master"]["replicas"] == masters and values["volume"]["replicas"] == volumes
    assert values["master"]["defaultReplication"] == replication
    assert values["volume"]["dataDirs"][0]["size"] == "200Gi"
    assert values["filer"]["encryptVolumeData"] is True, "data at rest on the volume servers is encrypted"


def test_only_velero_reaches_the_s3_gateway() -> None:
    graph = expanded_graph_of("k3s-dev")
    rows = evaluate(graph, seaweedfs_flows(context_of(graph)))
    assert {r.expect for r in rows} == {"allow", "deny"} and all(r.ok for r in rows)


def test_an_opening_to_everything_is_caught() -> None:
    graph = copy.deepcopy(expanded_graph_of("k3s-dev"))
    (opening,) = [
        r
        for r in graph.of_type("kubernetes:cilium.io/v2:CiliumNetworkPolicy")
        if r.inputs["metadata"]["name"] == "s3-from-velero"
    ]
    opening.inputs["spec"]["ingress"][0] = {"fromEntities": ["all"], "toPorts": opening.inputs["spec"]["ingress"][0]["toPorts"]}
    rows = evaluate(graph, seaweedfs_flows(context_of(graph)))
    assert any(not r.ok and r.source == "entity:ingress" and r.port == S3_PORT for r in rows)
