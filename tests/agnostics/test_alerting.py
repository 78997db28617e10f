"""Alertmanager's receivers: routes by severity, credentials only through the store, egress to the receivers alone."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from conftest import expanded_graph_of, graph_of
from k8tre.agnostics.alerting import RECEIVER_SECRET, SECRET_DIR, alerting_flows
from k8tre.flows.matrix import context_of, evaluate
from k8tre.offline.graph import Graph, Secret


def _values(graph: Graph) -> dict[str, Any]:
    (release,) = [r for r in graph.helm_releases() if r["chart"] == "kube-prometheus-stack"]
    return dict(release["values"])


def test_prod_routes_critical_to_the_pager_and_everything_else_to_the_team_never_to_silence() -> None:
    config = _values(graph_of("prod"))["alertmanager"]["config"]
    route = config["route"]
    assert route["receiver"] == "default", "the root route is never the silent receiver"
    assert {"receiver": "critical", "matchers": ['severity = "critical"']} in route["routes"]
    silenced = [m for r in route["routes"] if r["receiver"] == "null" for m in r["matchers"]]
    assert silenced == ['alertname = "Watchdog"', 'alertname = "InfoInhibitor"', 'severity = "info"']
    by_name = {r["name"]: r for r in config["receivers"]}
    assert by_name["default"]["msteamsv2_configs"][0]["webhook_url_file"] == f"{SECRET_DIR}/default"
    assert by_name["critical"]["webhook_configs"][0]["url_file"] == f"{SECRET_DIR}/critical"


def test_each_stack_with_receivers_routes_to_them(any_stack: str) -> None:
    values = _values(graph_of(any_stack))
    config = (values.get("alertmanager") or {}).get("config")
    if any_stack in ("stg", "prod", "aws-prod"):  # a receiver is required outside dev
        assert config is not None and config["route"]["receiver"] == "default"
    if config is not None:
        assert values["alertmanager"]["alertmanagerSpec"]["secrets"] == [RECEIVER_SECRET]


def test_the_credentials_are_secrets_in_the_store_and_nowhere_in_the_values() -> None:
    graph = graph_of("prod")
    routing = json.dumps(_values(graph)["alertmanager"]["config"])
    assert "http" not in routing, "a webhook URL carries its token: only file paths belong in the configuration"
    assert "offline-placeholder" not in json.dumps(graph.to_json()), "a stack secret's value reached the render"
    (stored,) = [
        r for r in graph.of_type("azure-native:keyvault:Secret") if r.inputs["secretName"] == f"monitoring-{RECEIVER_SECRET}"
    ]
    assert isinstance(stored.inputs["properties"], Secret), "the whole properties map (the value) is a Pulumi secret"
    (external,) = [
        r
        for r in graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
        if r.inputs["metadata"]["name"] == RECEIVER_SECRET
    ]
    assert [d["secretKey"] for d in external.inputs["spec"]["data"]] == ["default", "critical"]
    (release,) = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if r.name.endswith("monitoring-release")]
    assert external.urn in release.dependencies, "Alertmanager must not start before its receivers' credentials exist"


def test_the_secret_path_is_where_the_operator_mounts_spec_secrets() -> None:
    # The Alertmanager CRD the chart installs documents the mount point of spec.secrets.
    graph = expanded_graph_of("prod")
    (crd,) = [
        o
        for release in graph.workloads
        for o in release.objects
        if o.get("kind") == "CustomResourceDefinition" and o["metadata"]["name"] == "alertmanagers.monitoring.coreos.com"
    ]
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["secrets"]
    assert SECRET_DIR.rsplit("/", 1)[0] in schema["description"]


def test_the_alert_flows_hold_on_prod() -> None:
    graph = expanded_graph_of("prod")
    context = context_of(graph)
    assert context.alert_receivers == (("prod-27.uksouth.logic.azure.com", 443), ("events.pagerduty.com", 443))
    rows = evaluate(graph, alerting_flows(context))
    assert rows and all(r.ok for r in rows), [f"{r.source}->{r.destination}:{r.port}" for r in rows if not r.ok]


def _policy(graph: Graph) -> dict[str, Any]:
    (policy,) = [r for r in graph.resources if r.name.endswith("monitoring-alertmanager-policy")]
    return dict(policy.inputs)


@pytest.mark.parametrize("widen", ["pattern", "world"])
def test_alertmanager_opened_beyond_its_receivers_is_caught(widen: str) -> None:
    graph = copy.deepcopy(expanded_graph_of("prod"))
    policy = _policy(graph)
    if widen == "pattern":
        policy["spec"]["egress"][0]["toPorts"][0]["rules"]["dns"].append({"matchPattern": "*"})
        policy["spec"]["egress"].append({"toFQDNs": [{"matchPattern": "*"}]})
    else:
        policy["spec"]["egress"].append({"toEntities": ["world"]})
    rows = evaluate(graph, alerting_flows(context_of(graph)))
    assert [r for r in rows if not r.ok and r.expect == "deny"]


def test_a_receiver_the_policy_forgets_is_caught() -> None:
    graph = copy.deepcopy(expanded_graph_of("prod"))
    _policy(graph)["spec"]["egress"].pop()  # the pager's host
    rows = evaluate(graph, alerting_flows(context_of(graph)))
    assert [r.destination for r in rows if not r.ok] == ["fqdn:events.pagerduty.com"]
