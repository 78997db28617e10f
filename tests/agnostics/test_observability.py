"""Observability: retention by environment, denied flows exported and shipped, Grafana closed, flows and admission."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from conftest import expanded_graph_of, graph_of, stack_file
from k8tre.agnostics.monitoring_values import monitoring_values
from k8tre.agnostics.observability_network import CONTROL_PLANE_PORTS, prometheus_scrape_policy
from k8tre.flows.matrix import Row, evaluate
from k8tre.infrastructure.cilium import HUBBLE_EXPORT_FILE
from k8tre.infrastructure.cluster import ControlPlaneMetrics
from k8tre.offline.engine import load
from k8tre.offline.graph import Graph, Secret
from k8tre.offline.schemas import validate_manifest
from k8tre.offline.workloads import ExpandedRelease
from k8tre.policies.rules.secrets import looks_random
from k8tre.stage import Stage
from k8tre.workload_checks.run import check_workloads

AUDIT_DAYS = {"dev": 30, "stg": 90, "prod": 365}
"""The retention the project's other audit logs have (Log Analytics, CloudWatch, the K3s audit log)."""
OBSERVABILITY = ("kube-prometheus-stack", "victoria-logs-single", "fluent-bit", "opencost")


def _objects(graph: Graph, chart: str, kind: str) -> list[dict[str, Any]]:
    return [dict(o) for r in graph.workloads if r.chart == chart for o in r.objects if o.get("kind") == kind]


def _release(graph: Graph, chart: str) -> dict[str, Any]:
    (release,) = [r for r in graph.helm_releases() if r["chart"] == chart]
    return release


def _container_args(obj: dict[str, Any]) -> list[str]:
    return [a for c in obj["spec"]["template"]["spec"]["containers"] for a in c.get("args") or []]


@pytest.mark.parametrize("stack", sorted(AUDIT_DAYS))
def test_the_log_store_keeps_logs_for_the_environments_audit_retention(stack: str) -> None:
    # Judged on what the chart renders from the program's values: the StatefulSet's own flag.
    (store,) = _objects(expanded_graph_of(stack), "victoria-logs-single", "StatefulSet")
    assert f"--retentionPeriod={AUDIT_DAYS[stack]}d" in _container_args(store)
    (claim,) = store["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["storageClassName"] == "rwo-default"


def test_metrics_retention_and_replicas_grow_with_the_environment() -> None:
    specs = {s: _objects(expanded_graph_of(s), "kube-prometheus-stack", "Prometheus")[0]["spec"] for s in ("dev", "prod")}
    assert (specs["dev"]["retention"], specs["dev"]["replicas"]) == ("7d", 1)
    assert (specs["prod"]["retention"], specs["prod"]["replicas"]) == ("30d", 2)
    volume = specs["prod"]["storage"]["volumeClaimTemplate"]["spec"]
    assert volume["storageClassName"] == "rwo-default"


def test_stateful_observability_releases_are_protected_in_prod_only() -> None:
    for stack, protected in (("dev", False), ("prod", True)):
        releases = graph_of(stack).of_type("kubernetes:helm.sh/v3:Release")
        stateful = [r for r in releases if r.inputs["name"] in ("kube-prometheus-stack", "victoria-logs")]
        assert len(stateful) == 2
        assert all(r.options.protect == protected for r in stateful)


def test_cilium_exports_only_denied_flows_and_the_collector_ships_that_file() -> None:
    graph = expanded_graph_of("dev")
    (config,) = [o for o in _objects(graph, "cilium", "ConfigMap") if o["metadata"]["name"] == "cilium-config"]
    data = config["data"]
    assert data["hubble-export-file-path"] == HUBBLE_EXPORT_FILE
    assert [json.loads(f) for f in data["hubble-export-allowlist"].split(",")] == [{"verdict": ["DROPPED"]}]
    assert int(data["hubble-export-file-max-size-mb"]) > 0 and int(data["hubble-export-file-max-backups"]) > 0
    (collector,) = _objects(graph, "fluent-bit", "ConfigMap")
    pipeline = "\n".join(collector["data"].values())
    assert f"Path {HUBBLE_EXPORT_FILE}" in pipeline
    (daemonset,) = _objects(graph, "fluent-bit", "DaemonSet")
    mounts = {m["mountPath"] for c in daemonset["spec"]["template"]["spec"]["containers"] for m in c["volumeMounts"]}
    assert HUBBLE_EXPORT_FILE.rsplit("/", 1)[0] in mounts


def test_the_api_audit_log_is_shipped_where_the_cluster_keeps_it_on_its_nodes() -> None:
    for stack, shipped in (("k3s-dev", True), ("dev", False), ("aws-dev", False)):
        (collector,) = _objects(expanded_graph_of(stack), "fluent-bit", "ConfigMap")
        assert ("Tag audit" in "\n".join(collector["data"].values())) == shipped, stack


def _grafana_ini(graph: Graph) -> str:
    (config,) = [o for o in _objects(graph, "kube-prometheus-stack", "ConfigMap") if o["metadata"]["name"].endswith("-grafana")]
    return str(config["data"]["grafana.ini"])


def test_grafana_has_no_anonymous_access_or_self_sign_up() -> None:
    ini = _grafana_ini(expanded_graph_of("dev"))
    section = ini.split("[auth.anonymous]")[1].split("[")[0]
    assert "enabled = false" in section
    assert "allow_sign_up = false" in ini


def test_grafanas_admin_password_is_a_pulumi_secret_never_in_plaintext() -> None:
    graph = expanded_graph_of("dev")
    # Delivered into the monitoring namespace by an ExternalSecret, from the Key Vault entry the writer created.
    (external,) = [
        r
        for r in graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
        if r.inputs["metadata"]["name"] == "grafana-admin"
    ]
    assert external.inputs["metadata"]["namespace"] == "monitoring"
    spec = external.inputs["spec"]
    assert spec["target"]["name"] == "grafana-admin"
    assert {d["secretKey"] for d in spec["data"]} == {"admin-user", "admin-password"}
    (key,) = {d["remoteRef"]["key"] for d in spec["data"]}
    (entry,) = [r for r in graph.of_type("azure-native:keyvault:Secret") if r.inputs["secretName"] == key]
    assert entry.urn in external.options.depends_on
    # Both values are generated (letters and digits, 32 or more) and written only as a Pulumi secret.
    generators = [
        r
        for r in graph.of_type("random:index/randomPassword:RandomPassword")
        if r.parent == external.parent and "grafana-admin" in r.name
    ]
    assert len(generators) == 2 and all(r.inputs["length"] >= 32 for r in generators)
    properties = entry.inputs["properties"]
    assert isinstance(properties, Secret), "the vault secret's value must be a Pulumi secret"
    stored = json.loads(properties.value["value"])
    passwords = [stored["admin-user"], stored["admin-password"]]
    assert all(passwords)
    text = json.dumps(graph.to_json()) + json.dumps([o for r in graph.workloads for o in r.objects])
    assert not any(p in text for p in passwords)
    # Grafana reads both from that Secret: the chart makes no admin password of its own.
    (deployment,) = [
        o for o in _objects(graph, "kube-prometheus-stack", "Deployment") if o["metadata"]["name"].endswith("-grafana")
    ]
    env = {e["name"]: e for c in deployment["spec"]["template"]["spec"]["containers"] for e in c.get("env") or []}
    assert env["GF_SECURITY_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "grafana-admin"
    chart_secrets = [o["metadata"]["name"] for o in _objects(graph, "kube-prometheus-stack", "Secret")]
    assert not [name for name in chart_secrets if "grafana" in name], "the chart made a Grafana password of its own"


def _rows(graph: Graph) -> list[Row]:
    return [r for r in evaluate(graph) if any(n in f"{r.source} {r.destination}" for n in ("monitoring", "logging/"))]


def test_observability_flows_hold_on_every_cloud() -> None:
    for stack in ("dev", "aws-dev", "k3s-dev"):
        rows = _rows(expanded_graph_of(stack))
        assert [f"{r.source}->{r.destination}:{r.port} {r.actual}" for r in rows if not r.ok] == []
        said = {(r.source.split("/")[-1], r.destination.split("/")[-1], r.expect) for r in rows}
        assert ("entity:ingress", "kube-prometheus-stack-grafana", "deny") in said
        assert ("fluent-bit", "victoria-logs-victoria-logs-single-server", "allow") in said
        assert ("project-service", "victoria-logs-victoria-logs-single-server", "deny") in said


def _mutated_rows(change: Callable[[Graph], None]) -> list[str]:
    graph = copy.deepcopy(expanded_graph_of("dev"))
    change(graph)
    return [f"{r.source}->{r.destination}:{r.port}" for r in _rows(graph) if not r.ok]


def _policy(graph: Graph, name: str) -> dict[str, Any]:
    (policy,) = [
        r.inputs for r in graph.of_type("kubernetes:cilium.io/v2:CiliumNetworkPolicy") if r.inputs["metadata"]["name"] == name
    ]
    return policy


def test_a_log_store_opened_to_the_cluster_is_caught() -> None:
    def change(graph: Graph) -> None:
        _policy(graph, "log-store-clients")["spec"]["ingress"].append({"fromEntities": ["cluster"]})

    # kube-system is outside the default deny: only the store's own ingress policy keeps its pods out.
    assert any(bad.startswith("kube-system/") and "->logging/" in bad for bad in _mutated_rows(change))


def test_grafana_published_without_a_decision_is_caught() -> None:
    def change(graph: Graph) -> None:
        _policy(graph, "grafana-egress")["spec"]["ingress"] = [{"fromEntities": ["ingress"]}]

    assert any("entity:ingress->monitoring/kube-prometheus-stack-grafana" in bad for bad in _mutated_rows(change))


def test_a_scrape_policy_without_the_node_ports_is_caught() -> None:
    def change(graph: Graph) -> None:
        _policy(graph, "prometheus-scrape")["spec"]["egress"].pop(0)

    assert any("entity:remote-node:9100" in bad for bad in _mutated_rows(change))


def _workload_errors(graph: Graph) -> list[str]:
    version = load(stack_file("dev")).cluster.kubernetes_version
    report = check_workloads(graph, version)
    return [str(f) for f in report.errors if any(chart in str(f) for chart in (*OBSERVABILITY, "monitoring", "logging"))]


def test_observability_workloads_pass_the_workload_checks() -> None:
    graph = expanded_graph_of("dev")
    assert {r.chart for r in graph.workloads} >= set(OBSERVABILITY)
    assert _workload_errors(graph) == []


def test_node_exporter_outside_its_privileged_namespace_is_refused() -> None:
    graph = copy.deepcopy(expanded_graph_of("dev"))
    moved = []
    for release in graph.workloads:
        objects = [dict(o) for o in release.objects]
        for obj in objects:
            if obj.get("kind") == "DaemonSet" and "node-exporter" in obj["metadata"]["name"]:
                obj["metadata"] = {**obj["metadata"], "namespace": "monitoring"}
                moved.append(obj)
        release_copy = ExpandedRelease(
            release.name,
            release.namespace,
            release.chart,
            release.version,
            release.source,
            release.owner_urn,
            release.project,
            tuple(objects),
        )
        graph.workloads[graph.workloads.index(release)] = release_copy
    assert moved
    errors = _workload_errors(graph)
    assert any("node-exporter" in e and "Host Namespaces" in e for e in errors), errors


def test_control_plane_targets_follow_the_clouds_facts() -> None:
    stage = Stage("prod", "k8tre", "tre.example.org")
    closed = monitoring_values(stage, ControlPlaneMetrics())
    assert not any(closed[k]["enabled"] for k in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"))
    opened = monitoring_values(stage, ControlPlaneMetrics(controller_manager=True, scheduler=True))
    assert opened["kubeControllerManager"]["enabled"] and opened["kubeScheduler"]["enabled"] and not opened["kubeEtcd"]["enabled"]
    ports = {
        p["port"]
        for rule in prometheus_scrape_policy([CONTROL_PLANE_PORTS["scheduler"]])["spec"]["egress"]
        for t in rule["toPorts"]
        for p in t["ports"]
    }
    assert "10259" in ports and "10257" not in ports
    for stack in ("dev", "aws-dev", "k3s-dev"):
        values = _release(graph_of(stack), "kube-prometheus-stack")["values"]
        assert not values["kubeControllerManager"]["enabled"], stack


def test_an_anchored_regular_expression_is_no_credential_but_a_token_still_is() -> None:
    assert not looks_random("^(autofs|binfmt_misc|bpf|cgroup2?|configfs|iso9660|overlay)$")
    assert looks_random("q7Fz2LmR9xKp4Wv8Ns3Jd6Hb1Tc5Yg0E")


def test_a_secret_whose_data_is_redacted_is_still_validated() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"}, "stringData": "[secret]"}
    assert validate_manifest(secret, "1.33") == []
    assert validate_manifest({**secret, "typo": 1}, "1.33")


def test_the_modelled_pods_of_the_observability_charts_are_the_rendered_ones() -> None:
    # The flow matrix stands in these models for charts that were not expanded; they must match what the charts render.
    from k8tre.agnostics.observability_network import operator_pods
    from k8tre.flows.chart_pods import modelled_pods
    from k8tre.flows.matrix import all_objects
    from k8tre.flows.pods import namespace_labels, workload_pods

    graph = expanded_graph_of("dev")
    namespaces = namespace_labels(all_objects(graph))
    real = operator_pods(all_objects(graph), namespaces)
    for release in graph.workloads:
        real += workload_pods(release.objects, namespaces, origin="chart", default_namespace=release.namespace)
    for release in graph.helm_releases():
        if release["chart"] not in OBSERVABILITY:
            continue
        for model in modelled_pods(release["chart"], release["name"], release["namespace"], namespaces):
            matches = [
                pod
                for pod in real
                if pod.namespace == model.namespace and all(pod.labels.get(k) == v for k, v in model.labels.items())
            ]
            assert matches, f"{release['chart']}: no rendered pod like {model.name}"
            assert set(model.ports.values()) <= {p for pod in matches for p in pod.ports.values()}, model.name
