"""Every rule passes on the real stacks and reports a graph built to violate it."""

from __future__ import annotations

import base64
import copy
import dataclasses
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ALL_STACKS, expanded_graph_of, graph_of
from k8tre.applications.keycloak_realm import realm as tre_realm
from k8tre.chart_lock import PROGRAM_DIR, chart_name
from k8tre.config.layers import KeycloakRealmSettings
from k8tre.offline.graph import Graph, Options, RecordedResource, Secret
from k8tre.offline.workloads import ExpandedRelease
from k8tre.policies.registry import RULES, Finding, evaluate_all

Mutation = Callable[[Graph], None]


def _finding(graph: Graph, rule_id: str) -> Finding:
    return next(f for f in evaluate_all(graph) if f.rule.id == rule_id)


def _one(graph: Graph, predicate: Callable[[RecordedResource], bool]) -> RecordedResource:
    (resource,) = [r for r in graph.resources if predicate(r)]
    return resource


def _release(chart: str) -> Callable[[RecordedResource], bool]:
    return lambda r: r.type == "kubernetes:helm.sh/v3:Release" and chart_name(str(r.inputs.get("chart", ""))) == chart


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
    return _one(
        graph,
        lambda r: (
            r.inputs.get("kind") == "CiliumNetworkPolicy"
            and r.inputs["metadata"]["namespace"] == namespace
            and r.inputs["metadata"]["name"] == "project-isolation"
        ),
    )


def _unprotect(graph: Graph) -> None:
    index = next(i for i, r in enumerate(graph.resources) if r.type.endswith(":ManagedCluster"))
    resource = graph.resources[index]
    graph.resources[index] = dataclasses.replace(resource, options=dataclasses.replace(resource.options, protect=False))


def _k3s_server(graph: Graph) -> RecordedResource:
    return next(
        r
        for r in graph.of_type("command:remote:Command")
        if isinstance(r.inputs.get("stdin"), str) and "K3S_ROLE=server" in r.inputs["stdin"]
    )


def _k3s_config(graph: Graph, change: Callable[[dict[str, Any]], None]) -> None:
    # The server's K3s config travels base64-encoded in the install script (K3S_CONFIG_B64=...).
    command = _k3s_server(graph)
    script = command.inputs["stdin"]
    match = re.search(r"^K3S_CONFIG_B64=(\S+)$", script, re.M)
    assert match is not None
    config = yaml.safe_load(base64.b64decode(match.group(1)))
    change(config)
    encoded = base64.b64encode(yaml.safe_dump(config).encode()).decode()
    command.inputs["stdin"] = script.replace(match.group(0), f"K3S_CONFIG_B64={encoded}")


def _apiserver_args(keep: Callable[[str], bool]) -> Callable[[dict[str, Any]], None]:
    return lambda config: config.update({"kube-apiserver-arg": [a for a in config["kube-apiserver-arg"] if keep(a)]})


def _listener(graph: Graph, protocol: str) -> dict[str, Any]:
    gateway = _one(graph, _kind("Gateway", "k8tre"))
    return next(listener for listener in gateway.inputs["spec"]["listeners"] if listener["protocol"] == protocol)


def _open_http(graph: Graph) -> None:
    _listener(graph, "HTTP")["allowedRoutes"] = {"namespaces": {"from": "All"}}


def _https_to_http(graph: Graph) -> None:
    listener = _listener(graph, "HTTPS")
    listener.update(protocol="HTTP", port=8080)
    listener.pop("tls")


def _rename_listeners(graph: Graph) -> None:
    # Names are not behaviour: swapping them (and every reference) must change nothing.
    http, https = _listener(graph, "HTTP"), _listener(graph, "HTTPS")
    http["name"], https["name"] = "https", "http"
    for route in graph.resources:
        for ref in (route.inputs.get("spec") or {}).get("parentRefs") or [] if route.inputs.get("kind") == "HTTPRoute" else []:
            ref["sectionName"] = {"http": "https", "https": "http"}[ref["sectionName"]]


def _diagnostics(graph: Graph) -> RecordedResource:
    return _one(
        graph, lambda r: r.type == "azure-native:monitor:DiagnosticSetting" and "managedClusters" in r.inputs["resourceUri"]
    )


def _tampered_archive(graph: Graph) -> None:
    # An archive with the locked file name but other bytes (a chart edited after review), where the release points.
    release = _one(graph, _release("cilium"))
    name = Path(release.inputs["chart"]).name
    elsewhere = Path(tempfile.mkdtemp()) / name
    elsewhere.write_bytes(b"not the reviewed chart")
    release.inputs["chart"] = os.path.relpath(elsewhere, PROGRAM_DIR)


def _unwrap_stdin(graph: Graph) -> None:
    # The join tokens handed to a machine, no longer marked secret.
    writer = _one(graph, lambda r: r.type == "command:remote:Command" and r.name.endswith("-tokens") and "server" in r.name)
    writer.inputs["stdin"] = writer.inputs["stdin"].value


def _env(graph: Graph, name: str, value: str) -> None:
    application = _one(graph, _kind("Application", "jupyterhub"))
    application.inputs["spec"]["source"]["helm"]["valuesObject"]["hub"]["extraEnv"][name] = value
    # and as a container env entry, the place a pod really reads it
    _add(graph, "Pod", "v1", {"containers": [{"name": "x", "image": "quay.io/a/b:1.0", "env": [{"name": name, "value": value}]}]})


def _argocd_configs(graph: Graph) -> dict[str, Any]:
    configs: dict[str, Any] = _one(graph, _release("argo-cd")).inputs["values"]["configs"]
    return configs


def _argocd_cm(graph: Graph) -> dict[str, Any]:
    cm: dict[str, Any] = _argocd_configs(graph)["cm"]
    return cm


def _argocd_behind_the_shared_gateway(graph: Graph) -> None:
    # Argo CD published the old way: an HTTPRoute on the shared HTTPS listener to the plain-HTTP port, no reason given.
    route = _one(graph, _kind("TLSRoute", "argocd"))
    route.inputs.update(kind="HTTPRoute", apiVersion="gateway.networking.k8s.io/v1")
    route.inputs["spec"] = {
        "parentRefs": [{"name": "k8tre", "namespace": "gateway-system", "sectionName": "https"}],
        "hostnames": [route.inputs["spec"]["hostnames"][0]],
        "rules": [{"backendRefs": [{"name": "argocd-server", "port": 80}]}],
    }
    _one(graph, _kind("Namespace", "argocd")).inputs["metadata"]["labels"]["k8tre.io/gateway-access"] = "true"


def _argocd_listener_terminates(graph: Graph) -> None:
    listener = _one(graph, _kind("Gateway", "argocd")).inputs["spec"]["listeners"][0]
    listener["tls"] = {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "argocd-server-tls"}]}


def _ignored_backend_tls_policy(graph: Graph) -> None:
    route = _one(graph, _kind("HTTPRoute", "jupyter"))
    route.inputs["metadata"].pop("annotations")
    spec = {
        "targetRefs": [{"group": "", "kind": "Service", "name": "proxy-public"}],
        "validation": {
            "hostname": "proxy-public.jupyterhub.svc",
            "caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "ca"}],
        },
    }
    _add(graph, "BackendTLSPolicy", "gateway.networking.k8s.io/v1", spec)
    _last(graph).inputs["metadata"]["namespace"] = route.inputs["metadata"]["namespace"]


VIOLATIONS: list[tuple[str, str, Mutation]] = [
    ("network-default-deny", "dev", lambda g: g.resources.remove(_one(g, _kind("CiliumClusterwideNetworkPolicy")))),
    (
        "project-isolation",
        "dev",
        lambda g: _project_policy(g, "project-imaging-demo").inputs["spec"]["egress"].append({"toEntities": ["world"]}),
    ),
    ("encryption-at-rest", "aws-dev", lambda g: _one(g, _typed("aws:eks/cluster:Cluster")).inputs.pop("encryptionConfig")),
    (
        "encryption-at-rest",
        "aws-dev",
        lambda g: _one(g, _typed("aws:eks/cluster:Cluster")).inputs["encryptionConfig"].update(resources=["configmaps"]),
    ),
    (
        "encryption-at-rest",
        "aws-dev",
        lambda g: _one(g, _typed("aws:eks/cluster:Cluster")).inputs["encryptionConfig"]["provider"].update(keyArn="my-key"),
    ),
    ("encryption-at-rest", "k3s-dev", lambda g: _k3s_config(g, lambda c: c.pop("secrets-encryption"))),
    ("encryption-at-rest", "k3s-dev", lambda g: _k3s_config(g, lambda c: c.update({"secrets-encryption": False}))),
    # AKS: encryption at host left out (its default is off) is as bad as switched off.
    (
        "encryption-at-rest",
        "dev",
        lambda g: (
            _one(g, lambda r: r.type.endswith(":ManagedCluster")).inputs["agentPoolProfiles"][0].pop("enableEncryptionAtHost")
        ),
    ),
    (
        "encryption-at-rest",
        "aws-dev",
        lambda g: (
            _add(g, "StorageClass", "storage.k8s.io/v1", {}, name="gp3") or _last(g).inputs.update(provisioner="ebs.csi.aws.com")
        ),
    ),
    # The plain-HTTP listener opened to every namespace, and a route attached to it (by name, or by naming none).
    (
        "tls-on-every-route",
        "dev",
        lambda g: (
            _open_http(g) or _one(g, _kind("HTTPRoute", "jupyter")).inputs["spec"]["parentRefs"][0].update(sectionName="http")
        ),
    ),
    ("tls-on-every-route", "dev", _https_to_http),
    # No sectionName: the route attaches to every listener of the gateway, the plain-HTTP one included.
    (
        "tls-on-every-route",
        "prod",
        lambda g: _open_http(g) or _one(g, _kind("HTTPRoute", "jupyter")).inputs["spec"]["parentRefs"][0].pop("sectionName"),
    ),
    ("tls-on-every-route", "dev", lambda g: _listener(g, "HTTPS")["tls"].pop("certificateRefs")),
    (
        "tls-on-every-route",
        "dev",
        lambda g: (
            _one(g, _kind("HTTPRoute", "https-redirect"))
            .inputs["spec"]["rules"][0]
            .update(backendRefs=[{"name": "argocd-server", "port": 80}])
        ),
    ),
    # The hop from the Gateway to the backend: plain text without a stated reason.
    ("tls-on-every-route", "dev", lambda g: _one(g, _kind("HTTPRoute", "jupyter")).inputs["metadata"].pop("annotations")),
    ("tls-on-every-route", "stg", _argocd_behind_the_shared_gateway),
    # Argo CD's passthrough listener switched to terminating TLS at the Gateway: the backend hop is TCP in clear.
    ("tls-on-every-route", "prod", _argocd_listener_terminates),
    # A BackendTLSPolicy this Cilium (1.19) ignores does not make the hop encrypted.
    ("tls-on-every-route", "dev", _ignored_backend_tls_policy),
    ("argocd-least-privilege", "prod", lambda g: _argocd_cm(g).update({"users.anonymous.enabled": True})),
    ("argocd-least-privilege", "stg", lambda g: _argocd_cm(g).update({"exec.enabled": "true"})),
    ("argocd-least-privilege", "prod", lambda g: _argocd_configs(g)["rbac"].update({"policy.default": "role:readonly"})),
    ("argocd-least-privilege", "prod", lambda g: _argocd_configs(g)["params"].update({"server.insecure": True})),
    ("argocd-least-privilege", "dev", lambda g: _one(g, _kind("AppProject", "default")).inputs["spec"].update(sourceRepos=["*"])),
    (
        "argocd-least-privilege",
        "k3s-dev",
        lambda g: _one(g, _kind("AppProject", "default")).inputs["spec"].update(destinations=[{"server": "*", "namespace": "*"}]),
    ),
    (
        "argocd-least-privilege",
        "aws-dev",
        lambda g: _one(g, _kind("AppProject", "default")).inputs["spec"].pop("namespaceResourceWhitelist"),
    ),
    ("argocd-least-privilege", "stg", lambda g: g.resources.remove(_one(g, _kind("AppProject", "default")))),
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
    # A K3s prod stack whose provider is fed from the K3s admin kubeconfig instead of the deploy identity's token.
    (
        "no-shared-admin",
        "k3s-prod",
        lambda g: _one(g, lambda r: r.name.endswith("-deploy-token")).inputs.update(create="sudo cat /etc/rancher/k3s/k3s.yaml"),
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
    ("no-public-exposure", "dev", lambda g: _one(g, _kind("Gateway", "k8tre")).inputs["spec"].pop("infrastructure")),
    # Argo CD's own passthrough Gateway on a public load balancer.
    ("no-public-exposure", "dev", lambda g: _one(g, _kind("Gateway", "argocd")).inputs["spec"].pop("infrastructure")),
    ("no-public-exposure", "aws-dev", lambda g: g.of_type("aws:ec2/subnet:Subnet")[0].inputs.update(mapPublicIpOnLaunch=True)),
    # Switched from the vendored archive to its repository, at a version range.
    (
        "pinned-versions",
        "dev",
        lambda g: _one(g, _release("cert-manager")).inputs.update(
            chart="cert-manager", version="~1.21", repositoryOpts={"repo": "https://charts.jetstack.io"}
        ),
    ),
    (
        "pinned-versions",
        "dev",
        lambda g: _one(g, _release("cilium")).inputs.update(chart="cilium", repositoryOpts={"repo": "http://helm.cilium.io/"}),
    ),
    # An archive the lock does not know, and a locked archive whose bytes are not the ones the lock records.
    ("pinned-versions", "dev", lambda g: _one(g, _release("cilium")).inputs.update(chart="../charts/cilium-9.9.9.tgz")),
    ("pinned-versions", "dev", _tampered_archive),
    (
        "pinned-versions",
        "dev",
        lambda g: _one(g, _release("cilium")).inputs.update(
            chart="cilium", repositoryOpts={"repo": "https://charts.example.org/cilium"}
        ),
    ),
    (
        "pinned-versions",
        "dev",
        lambda g: _one(g, _kind("Application", "jupyterhub")).inputs["spec"]["source"].update(targetRevision="4.x"),
    ),
    (
        "pinned-versions",
        "prod",
        lambda g: _one(g, _kind("Application", "jupyterhub")).inputs["spec"]["source"].update(targetRevision="HEAD"),
    ),
    ("pinned-versions", "dev", lambda g: _add(g, "Pod", "v1", {"containers": [{"name": "x", "image": "quay.io/jupyter/base"}]})),
    ("pinned-versions", "dev", lambda g: _add(g, "Pod", "v1", {"containers": [{"name": "x", "image": "busybox:latest"}]})),
    ("pinned-versions", "dev", lambda g: g.workloads.append(_workload("busybox"))),
    ("security-logs", "dev", lambda g: g.resources.remove(_diagnostics(g))),
    # Pointed at another resource (the Key Vault), or with no destination, or without the audit categories.
    (
        "security-logs",
        "dev",
        lambda g: _diagnostics(g).inputs.update(resourceUri=_diagnostics(g).inputs["resourceUri"] + "-other"),
    ),
    ("security-logs", "dev", lambda g: _diagnostics(g).inputs.pop("workspaceId")),
    (
        "security-logs",
        "dev",
        lambda g: _diagnostics(g).inputs.update(logs=[{"enabled": True, "category": "kube-apiserver"}]),
    ),
    ("security-logs", "dev", lambda g: _diagnostics(g).inputs["logs"][0].update(enabled=False)),
    (
        "security-logs",
        "dev",
        lambda g: _one(g, _typed("azure-native:operationalinsights:Workspace")).inputs.update(retentionInDays=7),
    ),
    (
        "security-logs",
        "aws-dev",
        lambda g: _one(g, _typed("aws:eks/cluster:Cluster")).inputs.update(enabledClusterLogTypes=["api"]),
    ),
    (
        "security-logs",
        "aws-dev",
        # The control plane's log group (EKS writes to /aws/eks/<cluster>/cluster), not the VPC flow logs'.
        lambda g: g.resources.remove(
            _one(g, lambda r: r.type == "aws:cloudwatch/logGroup:LogGroup" and str(r.inputs.get("name", "")).endswith("/cluster"))
        ),
    ),
    ("security-logs", "k3s-dev", lambda g: _k3s_config(g, _apiserver_args(lambda a: not a.startswith("audit-policy-file")))),
    ("security-logs", "k3s-dev", lambda g: _k3s_config(g, _apiserver_args(lambda a: not a.startswith("audit-log-path")))),
    (
        "security-logs",
        "k3s-dev",
        lambda g: _k3s_config(g, lambda c: c.update({"kube-apiserver-arg": [*c["kube-apiserver-arg"], "audit-log-maxage=3"]})),
    ),
    ("protected-state", "prod", _unprotect),
    ("no-plaintext-secrets", "dev", lambda g: _one(g, _release("argo-cd")).inputs["values"].update(adminPassword="hunter2")),
    ("no-plaintext-secrets", "k3s-dev", lambda g: g.outputs.update(sshKey="-----BEGIN OPENSSH PRIVATE KEY-----\nabc")),
    # The install script with its K3S_TOKEN=... no longer marked secret.
    ("no-plaintext-secrets", "k3s-dev", _unwrap_stdin),
    ("no-plaintext-secrets", "aws-dev", lambda g: g.outputs.update(note="key AKIAIOSFODNN7EXAMPLE for CI")),
    (
        "no-plaintext-secrets",
        "dev",
        lambda g: _env(g, "STORAGE", "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"),
    ),
    ("no-plaintext-secrets", "dev", lambda g: _env(g, "GH", "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8")),
    ("no-plaintext-secrets", "dev", lambda g: _env(g, "ID_TOKEN", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlc2ln")),
    ("no-plaintext-secrets", "dev", lambda g: _env(g, "DB_PASSWORD", "correct-horse")),
    ("no-plaintext-secrets", "dev", lambda g: _env(g, "SEED", "q8Zr2LmX9vK4tW7pB3nF6yH1")),
]


def _last(graph: Graph) -> RecordedResource:
    return graph.resources[-1]


def _relabel_environment(graph: Graph, environment: str) -> None:
    for namespace in graph.of_type("kubernetes:core/v1:Namespace"):
        namespace.inputs["metadata"]["labels"]["k8tre.io/environment"] = environment


def _workload(image: str) -> ExpandedRelease:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "spec": {"containers": [{"name": "x", "image": image}]}}
    return ExpandedRelease("x", "x", "x", "1.0.0", "helm-release", "urn:pulumi:test::k8tre::x::x", objects=(pod,))


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
    assert not before.evaluation.violations
    mutate(graph)
    after = _finding(graph, rule_id)
    assert after.status == "fail", f"{rule_id} missed the violation"
    assert after.blocks == (after.rule.severity == "mandatory")
    # The finding names a resource of the render (or the stack's outputs), not the rule in general.
    urns = {r.urn for r in graph.resources} | {w.owner_urn for w in graph.workloads}
    assert all(v.urn in urns or v.urn.endswith("::outputs") for v in after.evaluation.violations)


def test_every_mandatory_rule_has_a_violation_test() -> None:
    tested = {rule_id for rule_id, _, _ in VIOLATIONS}
    mandatory = {r.id for r in RULES if r.severity == "mandatory"}
    assert mandatory <= tested


def test_mfa_rule_passes_a_realm_that_requires_otp() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    assert _finding(graph, "mfa-required").status == "pass", "the stack's own realm requires OTP"
    realm = tre_realm(KeycloakRealmSettings(), "dev.example", ())
    _add(graph, "KeycloakRealmImport", "k8s.keycloak.org/v2beta1", {"realm": realm})
    assert _finding(graph, "mfa-required").status == "pass"
    realm["requiredActions"] = [{"alias": "CONFIGURE_TOTP", "enabled": True, "defaultAction": True}]
    realm["browserFlow"] = "browser"  # Keycloak's built-in flow, not in the file: OTP only for users who configured it
    assert _finding(graph, "mfa-required").status == "fail"


def test_backups_are_advisory_and_a_schedule_satisfies_them() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    assert _finding(graph, "backups-scheduled").status == "pass", "the stack's own Velero schedule satisfies it"
    graph.resources[:] = [r for r in graph.resources if r.type != "kubernetes:velero.io/v1:Schedule"]
    finding = _finding(graph, "backups-scheduled")
    assert finding.status == "fail" and not finding.blocks
    _add(graph, "Schedule", "velero.io/v1", {"schedule": "0 2 * * *", "template": {}}, name="nightly")
    assert _finding(graph, "backups-scheduled").status == "pass"


def test_protection_is_only_required_in_prod() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    _unprotect(graph)
    assert _finding(graph, "protected-state").status == "not-evidenced"


def test_rules_cite_real_satre_requirements() -> None:
    for rule in RULES:
        assert rule.satre and all(len(index.split(".")) == 3 for index in rule.satre), rule.id


def test_listener_names_do_not_decide_tls() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    _rename_listeners(graph)
    assert _finding(graph, "tls-on-every-route").status == "pass"


def test_a_rule_that_examines_nothing_is_not_evidenced() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    # Without the realm file (Keycloak off), mfa-required has nothing to judge.
    graph.resources[:] = [
        r
        for r in graph.resources
        if not (r.inputs.get("kind") == "ConfigMap" and "k8tre.io/realm" in (r.inputs.get("metadata") or {}).get("labels", {}))
    ]
    finding = _finding(graph, "mfa-required")
    assert finding.status == "not-evidenced" and not finding.blocks


def test_a_secret_marked_value_is_not_a_plaintext_secret() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    _one(graph, _release("argo-cd")).inputs["values"].update(adminPassword=Secret("hunter2"))
    _env(graph, "GH", Secret("ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"))
    assert _finding(graph, "no-plaintext-secrets").status == "pass"


def test_a_route_the_http_listener_does_not_admit_is_not_served_in_plain_text() -> None:
    # Gateway API: a listener admits routes from its own namespace unless allowedRoutes says otherwise, so
    # pointing a route from another namespace at it attaches nothing (and serves nothing in plain text).
    graph = copy.deepcopy(graph_of("dev"))
    _one(graph, _kind("HTTPRoute", "jupyter")).inputs["spec"]["parentRefs"][0].update(sectionName="http")
    assert _finding(graph, "tls-on-every-route").status == "pass"


def _config_file(graph: Graph, file: str) -> None:
    graph.resources.append(
        RecordedResource(
            urn="urn:pulumi:test::k8tre::kubernetes:yaml/v2:ConfigFile::crds",
            type="kubernetes:yaml/v2:ConfigFile",
            name="crds",
            parent="",
            provider="",
            dependencies=(),
            custom=False,
            inputs={"file": file},
            options=Options(False, False, False, (), (), (), ()),
        )
    )


def test_a_local_manifest_is_pinned_only_by_the_bytes_the_lock_records(tmp_path: Path) -> None:
    from k8tre import chart_lock

    (_version, files) = next(iter(chart_lock.load().manifests.values()))
    vendored = files[0].path
    graph = copy.deepcopy(graph_of("dev"))
    _config_file(graph, os.path.relpath(vendored, PROGRAM_DIR))
    assert _finding(graph, "pinned-versions").status == "pass"
    edited = tmp_path / vendored.name
    edited.write_bytes(vendored.read_bytes() + b"\n# edited after review\n")
    graph = copy.deepcopy(graph_of("dev"))
    _config_file(graph, os.path.relpath(edited, PROGRAM_DIR))
    assert _finding(graph, "pinned-versions").status == "fail"


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_real_stacks_with_their_charts_expanded_pass_every_mandatory_rule(stack: str) -> None:
    # What `k8tre check` judges: the program's objects and what the charts install (an EKS endpoint in Cilium's
    # environment, an upper-case DNS label, is an address, not a credential).
    findings = evaluate_all(expanded_graph_of(stack))
    assert [(f.rule.id, [v.message for v in f.evaluation.violations][:3]) for f in findings if f.blocks] == []
