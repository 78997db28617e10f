"""Every rule passes on the real stacks and reports a graph built to violate it."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable

import pytest

from conftest import ALL_STACKS, graph_of
from k8tre.offline.graph import Graph, Options, RecordedResource, Secret
from k8tre.policies.registry import RULES, Finding, evaluate_all

Mutation = Callable[[Graph], None]


def _finding(graph: Graph, rule_id: str) -> Finding:
    return next(f for f in evaluate_all(graph) if f.rule.id == rule_id)


def _one(graph: Graph, predicate: Callable[[RecordedResource], bool]) -> RecordedResource:
    (resource,) = [r for r in graph.resources if predicate(r)]
    return resource


def _release(chart: str) -> Callable[[RecordedResource], bool]:
    return lambda r: r.type == "kubernetes:helm.sh/v3:Release" and r.inputs.get("chart") == chart


def _kind(kind: str, name: str | None = None) -> Callable[[RecordedResource], bool]:
    return lambda r: r.inputs.get("kind") == kind and (name is None or r.inputs["metadata"].get("name") == name)


def _typed(token: str) -> Callable[[RecordedResource], bool]:
    return lambda r: r.type == token


def _add(graph: Graph, kind: str, api_version: str, spec: dict[str, object], name: str = "extra") -> None:
    graph.resources.append(
        RecordedResource(
            urn=f"urn:pulumi:test::k8tre::kubernetes:x:{kind}::{name}",
            type=f"kubernetes:{api_version}:{kind}",
            name=name,
            parent="",
            provider="",
            dependencies=(),
            custom=True,
            inputs={"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": "keycloak"}, "spec": spec},
            options=Options(False, False, False, (), (), (), ()),
        )
    )


def _project_policy(graph: Graph, namespace: str) -> RecordedResource:
    return _one(graph, lambda r: r.inputs.get("kind") == "CiliumNetworkPolicy" and r.inputs["metadata"]["namespace"] == namespace)


def _unprotect(graph: Graph) -> None:
    index = next(i for i, r in enumerate(graph.resources) if r.type.endswith(":ManagedCluster"))
    resource = graph.resources[index]
    graph.resources[index] = dataclasses.replace(resource, options=dataclasses.replace(resource.options, protect=False))


def _k3s_script(graph: Graph, old: str, new: str) -> None:
    command = next(
        r
        for r in graph.of_type("command:remote:Command")
        if isinstance(r.inputs.get("stdin"), Secret) and "K3S_ROLE=server" in r.inputs["stdin"].value
    )
    command.inputs["stdin"] = Secret(command.inputs["stdin"].value.replace(old, new))


VIOLATIONS: list[tuple[str, str, Mutation]] = [
    ("network-default-deny", "dev", lambda g: g.resources.remove(_one(g, _kind("CiliumClusterwideNetworkPolicy")))),
    (
        "project-isolation",
        "dev",
        lambda g: _project_policy(g, "project-imaging-demo").inputs["spec"]["egress"].append({"toEntities": ["world"]}),
    ),
    ("encryption-at-rest", "aws-dev", lambda g: _one(g, _typed("aws:eks/cluster:Cluster")).inputs.pop("encryptionConfig")),
    ("encryption-at-rest", "k3s-dev", lambda g: _k3s_script(g, "--secrets-encryption", "")),
    (
        "tls-on-every-route",
        "dev",
        lambda g: _one(g, _kind("HTTPRoute", "jupyter")).inputs["spec"]["parentRefs"][0].update(sectionName="http"),
    ),
    ("encryption-in-cluster", "prod", lambda g: _one(g, _release("cilium")).inputs["values"]["encryption"].update(enabled=False)),
    (
        "no-shared-admin",
        "stg",
        lambda g: _one(g, _release("argo-cd")).inputs["values"]["configs"]["cm"].update({"admin.enabled": True}),
    ),
    (
        "no-shared-admin",
        "stg",
        lambda g: _one(g, lambda r: r.type.endswith(":ManagedCluster")).inputs.update(disableLocalAccounts=False),
    ),
    (
        "mfa-required",
        "dev",
        lambda g: _add(
            g, "KeycloakRealmImport", "k8s.keycloak.org/v2beta1", {"realm": {"realm": "k8tre", "requiredActions": []}}
        ),
    ),
    (
        "no-public-exposure",
        "prod",
        lambda g: (
            _one(g, lambda r: r.type.endswith(":ManagedCluster"))
            .inputs["apiServerAccessProfile"]
            .update(enablePrivateCluster=False)
        ),
    ),
    ("no-public-exposure", "dev", lambda g: _one(g, _kind("Gateway")).inputs["spec"].pop("infrastructure")),
    ("no-public-exposure", "aws-dev", lambda g: g.of_type("aws:ec2/subnet:Subnet")[0].inputs.update(mapPublicIpOnLaunch=True)),
    ("pinned-versions", "dev", lambda g: _one(g, _release("cert-manager")).inputs.update(version="~1.21")),
    ("pinned-versions", "prod", lambda g: _one(g, _kind("Application")).inputs["spec"]["source"].update(targetRevision="HEAD")),
    (
        "security-logs",
        "dev",
        lambda g: g.resources.remove(
            _one(g, lambda r: r.type == "azure-native:monitor:DiagnosticSetting" and "managedClusters" in r.inputs["resourceUri"])
        ),
    ),
    (
        "security-logs",
        "aws-dev",
        lambda g: _one(g, _typed("aws:eks/cluster:Cluster")).inputs.update(enabledClusterLogTypes=["api"]),
    ),
    ("security-logs", "k3s-dev", lambda g: _k3s_script(g, "audit-log-path=", "no-audit=")),
    ("protected-state", "prod", _unprotect),
    ("no-plaintext-secrets", "dev", lambda g: _one(g, _release("argo-cd")).inputs["values"].update(adminPassword="hunter2")),
    ("no-plaintext-secrets", "k3s-dev", lambda g: g.outputs.update(sshKey="-----BEGIN OPENSSH PRIVATE KEY-----\nabc")),
]


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_real_stacks_pass_every_mandatory_rule(stack: str) -> None:
    findings = evaluate_all(graph_of(stack))
    assert [f.rule.id for f in findings if f.blocks] == []
    assert {f.rule.id for f in findings} == {r.id for r in RULES}


@pytest.mark.parametrize(
    ("rule_id", "stack", "mutate"), VIOLATIONS, ids=[f"{r}-{s}-{i}" for i, (r, s, _) in enumerate(VIOLATIONS)]
)
def test_violation_is_reported(rule_id: str, stack: str, mutate: Mutation) -> None:
    graph = copy.deepcopy(graph_of(stack))
    before = _finding(graph, rule_id)
    assert before.status in ("pass", "not-applicable")
    mutate(graph)
    after = _finding(graph, rule_id)
    assert after.status == "fail", f"{rule_id} missed the violation"
    assert after.blocks == (after.rule.severity == "mandatory")


def test_every_mandatory_rule_has_a_violation_test() -> None:
    tested = {rule_id for rule_id, _, _ in VIOLATIONS}
    mandatory = {r.id for r in RULES if r.severity == "mandatory"}
    assert mandatory <= tested


def test_mfa_rule_passes_a_realm_that_requires_otp() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    realm = {"realm": "k8tre", "requiredActions": [{"alias": "CONFIGURE_TOTP", "enabled": True, "defaultAction": True}]}
    _add(graph, "KeycloakRealmImport", "k8s.keycloak.org/v2beta1", {"realm": realm})
    assert _finding(graph, "mfa-required").status == "pass"


def test_backups_are_advisory_and_a_schedule_satisfies_them() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    finding = _finding(graph, "backups-scheduled")
    assert finding.status == "fail" and not finding.blocks
    _add(graph, "Schedule", "velero.io/v1", {"schedule": "0 2 * * *", "template": {}}, name="nightly")
    assert _finding(graph, "backups-scheduled").status == "pass"


def test_protection_is_only_required_in_prod() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    _unprotect(graph)
    assert _finding(graph, "protected-state").status == "not-applicable"


def test_rules_cite_real_satre_requirements() -> None:
    for rule in RULES:
        assert rule.satre and all(len(index.split(".")) == 3 for index in rule.satre), rule.id
