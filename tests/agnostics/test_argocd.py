"""Argo CD's hardening, judged on what the chart really renders and on the program's graph.

The ConfigMaps Argo CD reads (``argocd-cm``, ``argocd-cmd-params-cm``, ``argocd-rbac-cm``), its
Deployments, PDBs and Certificate come from the vendored chart's expansion; the Gateway, TLSRoute,
Secret and default AppProject from the program. Each setting is checked per environment, and the
rules that guard them are shown to fail on a harmfully changed render.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from conftest import ALL_STACKS, STACKS, expanded_graph_of, graph_of
from k8tre.agnostics.argocd_sso import OIDC_SECRET, sso_hosts
from k8tre.config.loader import ConfigError, build
from k8tre.flows.matrix import evaluate
from k8tre.offline.graph import Graph, Secret
from k8tre.policies.registry import RULES, Finding
from k8tre.policies.rules import argocd as _argocd_rules  # noqa: F401 - registers the rule

ENVIRONMENT = {
    "dev": "dev",
    "stg": "stg",
    "prod": "prod",
    "aws-dev": "dev",
    "k3s-dev": "dev",
    "aws-prod": "prod",
    "k3s-prod": "prod",
}


def _chart_objects(stack: str, kind: str) -> list[dict[str, Any]]:
    return [
        obj
        for release in expanded_graph_of(stack).workloads
        if release.chart == "argo-cd"
        for obj in release.objects
        if obj.get("kind") == kind
    ]


def _config_map(stack: str, name: str) -> dict[str, Any]:
    (found,) = [cm for cm in _chart_objects(stack, "ConfigMap") if cm["metadata"]["name"] == name]
    return dict(found.get("data") or {})


def _manifest(stack: str, kind: str, name: str) -> dict[str, Any]:
    (found,) = [m for m in graph_of(stack).manifests() if m.get("kind") == kind and m["metadata"]["name"] == name]
    return found


def _finding(graph: Graph, rule_id: str) -> Finding:
    (rule,) = [r for r in RULES if r.id == rule_id]
    return Finding(rule, rule.evaluate(graph))


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_the_built_in_admin_exists_only_in_dev(stack: str) -> None:
    # Argo CD docs, "How to disable the admin user": admin.enabled "false" removes the shared account.
    enabled = _config_map(stack, "argocd-cm")["admin.enabled"]
    assert enabled == ("true" if ENVIRONMENT[stack] == "dev" else "false")


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_no_anonymous_users_no_web_terminal_no_default_role(stack: str) -> None:
    cm = _config_map(stack, "argocd-cm")
    assert cm["users.anonymous.enabled"] == "false"
    assert cm["exec.enabled"] == "false"
    # Least privilege (SATRE 1.5.03): someone the provider lets in but no group names gets no role at all.
    assert _config_map(stack, "argocd-rbac-cm")["policy.default"] == ""


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_argocd_server_serves_tls_with_a_certificate_from_the_platform_issuer(stack: str) -> None:
    assert _config_map(stack, "argocd-cmd-params-cm")["server.insecure"] == "false"
    (certificate,) = _chart_objects(stack, "Certificate")
    domain = graph_of(stack).outputs["domain"]
    assert (
        certificate["spec"]["secretName"] == "argocd-server-tls"
    )  # what argocd-server reads (Argo CD docs, "TLS configuration")
    assert certificate["spec"]["dnsNames"] == [f"argocd.{domain}"]
    issuers = {m["metadata"]["name"] for m in graph_of(stack).manifests() if m.get("kind") == "ClusterIssuer"}
    assert certificate["spec"]["issuerRef"]["kind"] == "ClusterIssuer" and certificate["spec"]["issuerRef"]["name"] in issuers


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_the_release_waits_for_cert_manager_whose_crds_its_certificate_needs(stack: str) -> None:
    graph = graph_of(stack)
    (argocd,) = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if r.name.endswith("argocd-release")]
    (cert_manager,) = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if r.name.endswith("cert-manager-release")]
    assert cert_manager.urn in argocd.options.depends_on


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_the_gateway_passes_tls_through_to_argocd_server(stack: str) -> None:
    domain = graph_of(stack).outputs["domain"]
    gateway = _manifest(stack, "Gateway", "argocd")
    (listener,) = gateway["spec"]["listeners"]
    assert (listener["protocol"], listener["port"], listener["tls"]) == ("TLS", 443, {"mode": "Passthrough"})
    assert listener["hostname"] == f"argocd.{domain}"
    route = _manifest(stack, "TLSRoute", "argocd")
    assert route["spec"]["hostnames"] == [f"argocd.{domain}"]
    (backend,) = route["spec"]["rules"][0]["backendRefs"]
    # The chart's Service maps 443 to the server's container port, which now speaks TLS.
    (service,) = [s for s in _chart_objects(stack, "Service") if s["metadata"]["name"] == backend["name"]]
    port = next(p for p in service["spec"]["ports"] if p["port"] == backend["port"])
    assert port["targetPort"] == 8080
    # Nothing of Argo CD hangs off the shared Gateway any more, so its namespace may not attach routes to it.
    namespace = _manifest(stack, "Namespace", "argocd")
    assert "k8tre.io/gateway-access" not in namespace["metadata"]["labels"]
    assert not [r for r in graph_of(stack).manifests() if r.get("kind") == "HTTPRoute" and r["metadata"]["namespace"] == "argocd"]


def test_tls_on_every_route_judges_the_passthrough_route() -> None:
    graph = graph_of("prod")
    finding = _finding(graph, "tls-on-every-route")
    (route,) = [r for r in graph.kubernetes_objects() if r.inputs.get("kind") == "TLSRoute"]
    assert finding.status == "pass" and route.urn in finding.evaluation.judged


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_replicated_with_disruption_budgets_outside_dev(stack: str) -> None:
    ha = ENVIRONMENT[stack] != "dev"
    deployments = {d["metadata"]["name"]: d for d in _chart_objects(stack, "Deployment")}
    for name in ("argocd-server", "argocd-repo-server", "argocd-applicationset-controller"):
        assert deployments[name]["spec"]["replicas"] == (2 if ha else 1), name
    budgets = {p["metadata"]["name"]: p["spec"] for p in _chart_objects(stack, "PodDisruptionBudget")}
    if ha:
        for name in ("argocd-server", "argocd-repo-server", "argocd-applicationset-controller"):
            assert budgets[name]["minAvailable"] == 1, name
        assert {"argocd-redis-ha-pdb", "argocd-redis-ha-haproxy-pdb"} <= set(budgets)
        assert any(s["metadata"]["name"] == "argocd-redis-ha-server" for s in _chart_objects(stack, "StatefulSet"))
        assert "argocd-redis" not in deployments
    else:
        assert not budgets, "a budget on a single replica would block every node drain"


def test_default_project_permits_nothing() -> None:
    for stack in ALL_STACKS:
        project = _manifest(stack, "AppProject", "default")
        assert project["metadata"]["namespace"] == "argocd"
        for field in ("sourceRepos", "destinations", "clusterResourceWhitelist", "namespaceResourceWhitelist"):
            assert project["spec"][field] == [], (stack, field)


@pytest.mark.parametrize("stack", ["stg", "prod"])
def test_sso_through_oidc_with_the_client_secret_in_its_own_secret(stack: str) -> None:
    cm = _config_map(stack, "argocd-cm")
    oidc = yaml.safe_load(cm["oidc.config"])
    assert oidc["issuer"].startswith("https://login.microsoftonline.com/")
    # A reference Argo CD resolves from the labelled Secret at run time, never the value itself.
    assert oidc["clientSecret"] == f"${OIDC_SECRET}:clientSecret"
    assert oidc["requestedIDTokenClaims"] == {"groups": {"essential": True}}
    rbac = _config_map(stack, "argocd-rbac-cm")
    assert rbac["scopes"] == "[groups]"
    assert any(line.endswith(", role:admin") for line in rbac["policy.csv"].splitlines())
    (secret,) = [r for r in graph_of(stack).of_type("kubernetes:core/v1:Secret") if r.inputs["metadata"]["name"] == OIDC_SECRET]
    assert secret.inputs["metadata"]["labels"] == {"app.kubernetes.io/part-of": "argocd"}
    assert isinstance(secret.inputs["stringData"], Secret), "the client secret is a Pulumi secret"


@pytest.mark.parametrize("stack", ["stg", "prod"])
def test_the_oidc_client_secret_is_in_no_render(stack: str) -> None:
    graph = graph_of(stack)
    (secret,) = [r for r in graph.of_type("kubernetes:core/v1:Secret") if r.inputs["metadata"]["name"] == OIDC_SECRET]
    # What the engine decrypted for k8tre:argocdOidcClientSecret (offline, a placeholder standing in for it).
    plaintext = secret.inputs["stringData"].value["clientSecret"]
    assert plaintext
    assert plaintext not in json.dumps(graph.to_json(), default=str), "graph.json"
    for release in expanded_graph_of(stack).workloads:
        assert plaintext not in json.dumps(list(release.objects), default=str), f"expanded {release.chart}"


def test_dev_without_sso_signs_in_through_the_realm_with_no_stack_secret() -> None:
    # No provider in the stack file and Keycloak delivered: the TRE realm (agnostics/argocd_realm.py); the client
    # secret is generated and delivered by External Secrets, so no Secret carries a value from the stack.
    oidc = yaml.safe_load(_config_map("dev", "argocd-cm")["oidc.config"])
    assert oidc["issuer"] == "https://keycloak.dev.tre.example.ac.uk/realms/k8tre" and oidc["clientID"] == "argocd"
    assert not [r for r in graph_of("dev").of_type("kubernetes:core/v1:Secret") if r.inputs["metadata"]["name"] == OIDC_SECRET]


@pytest.mark.parametrize("stack", STACKS)
def test_the_server_may_reach_its_identity_provider_and_the_matrix_proves_it(stack: str) -> None:
    graph = graph_of(stack)
    (release,) = [r for r in graph.helm_releases() if r["chart"] == "argo-cd"]
    hosts = sso_hosts(release["values"])
    assert hosts  # dev signs in through the TRE realm by default, stg and prod through Entra ID
    rows = [r for r in evaluate(graph) if r.source.startswith("argocd/argocd-server") and r.destination.startswith("fqdn:")]
    for host in hosts:
        assert any(host in row.destination and row.ok and row.actual == "allow" for row in rows), host


def test_a_secret_without_sso_is_refused() -> None:
    values = {
        "k8tre:environment": "dev",
        "k8tre:domain": "dev.tre.example.org",
        "k8tre:cluster": {
            "provider": "azure",
            "location": "uksouth",
            "kubernetesVersion": "1.33",
            "nodePools": [{"name": "system", "mode": "System"}],
        },
        "k8tre:argocdOidcClientSecret": "[secret]",
    }
    with pytest.raises(ConfigError) as caught:
        build(values, {"k8tre:argocdOidcClientSecret"}, source="test")
    assert [key for key, _ in caught.value.issues] == ["k8tre:argocdOidcClientSecret"]


# Each hardening setting changed harmfully in a real render: the rule that guards it must fail.
def _values(graph: Graph) -> dict[str, Any]:
    (release,) = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if r.name.endswith("argocd-release")]
    values: dict[str, Any] = release.inputs["values"]
    return values


MUTATIONS = {
    "admin enabled in prod": ("no-shared-admin", lambda g: _values(g)["configs"]["cm"].update({"admin.enabled": True})),
    "exec enabled": ("argocd-least-privilege", lambda g: _values(g)["configs"]["cm"].update({"exec.enabled": True})),
    "anonymous on": ("argocd-least-privilege", lambda g: _values(g)["configs"]["cm"].update({"users.anonymous.enabled": "true"})),
    "server insecure": ("argocd-least-privilege", lambda g: _values(g)["configs"]["params"].update({"server.insecure": True})),
    "default role": ("argocd-least-privilege", lambda g: _values(g)["configs"]["rbac"].update({"policy.default": "role:admin"})),
    "default project widened": (
        "argocd-least-privilege",
        lambda g: (
            next(
                r
                for r in g.kubernetes_objects()
                if r.inputs.get("kind") == "AppProject" and r.inputs["metadata"]["name"] == "default"
            )
            .inputs["spec"]
            .update(clusterResourceWhitelist=[{"group": "*", "kind": "*"}])
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(MUTATIONS))
def test_a_weakened_argocd_fails_its_rule(case: str) -> None:
    rule_id, mutate = MUTATIONS[case]
    graph = copy.deepcopy(graph_of("prod"))
    assert _finding(graph, rule_id).status == "pass"
    mutate(graph)
    assert _finding(graph, rule_id).status == "fail", case
