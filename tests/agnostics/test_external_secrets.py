"""External Secrets: the per-cloud store, the identity it reads with, its flows, and generated passwords through it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest

from conftest import expanded_graph_of, graph_of, stack_file
from k8tre.agnostics import layer as agnostics_layer
from k8tre.agnostics.external_secrets import NAMESPACE, STORE_NAME, WEBHOOK_PORT
from k8tre.agnostics.generated_secret import generated_secret
from k8tre.flows.matrix import evaluate
from k8tre.infrastructure.aws.secret_store import read_policy
from k8tre.infrastructure.azure.secret_store import vault_secret_name
from k8tre.infrastructure.cluster import Cluster, PlatformFacts, SecretStoreFacts, StoredSecret
from k8tre.offline.engine import run
from k8tre.offline.graph import Graph, RecordedResource, Secret
from k8tre.offline.render import write

CLOUDS = {"dev": "azurekv", "aws-dev": "aws", "k3s-dev": "kubernetes"}
"""One stack per cloud and the store provider it must render."""
PROBE = {"secret_name": "probe-credentials", "namespace": "argocd", "keys": ("password", "admin-password")}
"""A generated Secret the probe renders ask for, in a platform namespace every stack has."""


def _store(graph: Graph) -> dict[str, Any]:
    (store,) = [m for m in graph.manifests() if m.get("kind") == "ClusterSecretStore"]
    return store


def _one(graph: Graph, type_: str) -> RecordedResource:
    (found,) = graph.of_type(type_)
    return found


@pytest.mark.parametrize(("stack", "kind"), CLOUDS.items())
def test_each_cloud_renders_its_own_store(stack: str, kind: str) -> None:
    store = _store(graph_of(stack))
    assert store["metadata"]["name"] == STORE_NAME
    assert list(store["spec"]["provider"]) == [kind]


def test_azure_store_reads_this_stacks_vault_as_the_federated_identity() -> None:
    graph = graph_of("dev")
    provider = _store(graph)["spec"]["provider"]["azurekv"]
    # The environment's vault (the other holds only the etcd encryption key).
    (vault,) = [v for v in graph.of_type("azure-native:keyvault:Vault") if "-etcd-" not in v.name]
    assert provider["authType"] == "WorkloadIdentity"
    assert provider["vaultUrl"].startswith(f"https://{vault.inputs['vaultName']}.")
    # The service account the store authenticates as is the subject Entra ID trusts, and that identity holds
    # "Key Vault Secrets User" on exactly this vault.
    account = provider["serviceAccountRef"]
    subject = f"system:serviceaccount:{account['namespace']}:{account['name']}"
    federations = [
        r for r in graph.of_type("azure-native:managedidentity:FederatedIdentityCredential") if r.inputs["subject"] == subject
    ]
    assert len(federations) == 1
    identity = federations[0].inputs["resourceName"]
    role = next(
        r for r in graph.of_type("azure-native:authorization:RoleAssignment") if r.name.endswith("-external-secrets-role")
    )
    assert role.inputs["scope"].endswith(f"/vaults/{vault.inputs['vaultName']}")
    assert role.inputs["roleDefinitionId"].endswith("4633458b-17de-408a-b874-0445c86b69e6")  # Key Vault Secrets User
    release = next(r for r in graph.helm_releases() if r["chart"] == "external-secrets")
    assert release["namespace"] == account["namespace"]
    assert release["values"]["serviceAccount"]["annotations"]["azure.workload.identity/client-id"]
    assert identity


def test_aws_store_reads_through_pod_identity_with_the_agent_installed() -> None:
    graph = graph_of("aws-dev")
    provider = _store(graph)["spec"]["provider"]["aws"]
    assert provider == {"service": "SecretsManager", "region": "eu-west-2"}  # no stored credential: the default chain
    association = _operator_association(graph)
    release = next(r for r in graph.helm_releases() if r["chart"] == "external-secrets")
    # The chart names its service account after the release (templates/_helpers.tpl, serviceAccountName).
    assert (association.inputs["namespace"], association.inputs["serviceAccount"]) == (release["namespace"], release["name"])
    agents = [a for a in graph.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "eks-pod-identity-agent"]
    assert [a.inputs["clusterName"] for a in agents] == [association.inputs["clusterName"]]


def _operator_association(graph: Graph) -> RecordedResource:
    """The Pod Identity association of External Secrets' service account (other services have their own)."""
    (association,) = [
        a
        for a in graph.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if a.inputs["namespace"] == "external-secrets"
    ]
    return association


def _role_policies(graph: Graph) -> tuple[dict[str, Any], dict[str, Any]]:
    """The trust policy and the inline policy of the role the operator's association names."""
    association = _operator_association(graph)
    role = next(r for r in graph.of_type("aws:iam/role:Role") if r.parent == association.parent)
    inline = next(p for p in graph.of_type("aws:iam/rolePolicy:RolePolicy") if p.parent == role.parent)
    return json.loads(role.inputs["assumeRolePolicy"]), json.loads(inline.inputs["policy"])


def test_aws_role_reads_this_environments_secrets_only() -> None:
    graph = graph_of("aws-dev")
    trust, policy = _role_policies(graph)
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Allow"
    reads = {"GetSecretValue", "DescribeSecret", "ListSecretVersionIds", "GetResourcePolicy"}
    assert set(statement["Action"]) <= {f"secretsmanager:{action}" for action in reads}
    resource = statement["Resource"]
    assert resource == "arn:aws:secretsmanager:eu-west-2:123456789012:secret:k8tre-dev/*"
    # Every secret the platform writes is under that prefix, so the role reads exactly those.
    for secret in graph.of_type("aws:secretsmanager/secret:Secret"):
        assert secret.inputs["name"].startswith("k8tre-dev/")
    (trusted,) = trust["Statement"]
    assert trusted["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert trusted["Condition"]["StringEquals"]["aws:RequestTag/kubernetes-namespace"] == NAMESPACE


def test_a_prefix_that_is_no_prefix_is_refused() -> None:
    for bad in ("", "*", "/", "k8tre-*/"):
        with pytest.raises(ValueError, match="more than this environment"):
            read_policy("eu-west-2", "123456789012", bad)


def test_k3s_store_reads_one_namespace_with_a_read_only_role() -> None:
    graph = graph_of("k3s-dev")
    provider = _store(graph)["spec"]["provider"]["kubernetes"]
    namespace = provider["remoteNamespace"]
    account = provider["auth"]["serviceAccount"]
    assert account["namespace"] == namespace
    manifests = graph.manifests()
    roles = [m for m in manifests if m["kind"] in ("Role", "ClusterRole") and m["metadata"]["name"] == account["name"]]
    assert [(r["kind"], r["metadata"]["namespace"]) for r in roles] == [("Role", namespace)]
    (rule,) = roles[0]["rules"]
    assert rule["resources"] == ["secrets"] and sorted(rule["verbs"]) == ["get", "list", "watch"]
    bindings = [
        m
        for m in manifests
        if m["kind"] in ("RoleBinding", "ClusterRoleBinding")
        and any(s.get("name") == account["name"] for s in m.get("subjects") or [])
    ]
    assert [(b["kind"], b["metadata"]["namespace"], b["roleRef"]["name"]) for b in bindings] == [
        ("RoleBinding", namespace, account["name"])
    ]


def _matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A Kubernetes label selector's verdict (matchExpressions with In, NotIn, Exists, DoesNotExist)."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not ok:
            return False
    return True


def test_the_store_serves_platform_namespaces_and_no_research_project() -> None:
    graph = graph_of("dev")
    (condition,) = _store(graph)["spec"]["conditions"]
    namespaces = {m["metadata"]["name"]: m["metadata"].get("labels") or {} for m in graph.manifests() if m["kind"] == "Namespace"}
    projects = [name for name in namespaces if name.startswith("project-")]
    assert projects, "the dev stack has research projects to judge"
    for name in projects:
        assert not _matches(condition["namespaceSelector"], namespaces[name]), f"{name} may read the platform's secrets"
    for name in ("argocd", "cert-manager", "jupyterhub"):
        assert _matches(condition["namespaceSelector"], namespaces[name]), f"{name} cannot use the store"


@pytest.mark.parametrize("stack", ["dev", "stg", "prod"])
def test_operator_is_replicated_with_disruption_budgets_outside_dev(stack: str) -> None:
    values = next(r for r in graph_of(stack).helm_releases() if r["chart"] == "external-secrets")["values"]
    replicated = stack != "dev"
    for component in (values, values["webhook"], values["certController"]):
        assert component["replicaCount"] == (2 if replicated else 1)
        assert component["podDisruptionBudget"]["enabled"] is replicated
        assert component["image"]["pullPolicy"] == "Always"
        assert component["resources"]["limits"] and component["resources"]["requests"]
    assert values["leaderElect"] is replicated
    assert values["crds"]["annotations"] == {"helm.sh/resource-policy": "keep"}


def test_the_installed_operator_never_writes_the_store_and_editors_get_no_external_secrets() -> None:
    # Judged on what the chart really renders with the program's values.
    (release,) = [r for r in expanded_graph_of("dev").workloads if r.chart == "external-secrets"]
    (controller,) = [o for o in release.objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "external-secrets"]
    args = controller["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--enable-push-secret-reconciler=false" in args
    assert "--enable-cluster-push-secret-reconciler=false" in args
    aggregated = [
        o["metadata"]["name"]
        for o in release.objects
        if o["kind"] == "ClusterRole"
        and any(
            (o["metadata"].get("labels") or {}).get(f"rbac.authorization.k8s.io/aggregate-to-{role}") == "true"
            for role in ("edit", "admin")
        )
    ]
    assert not aggregated, f"namespace editors would get External Secrets rights through {aggregated}"
    crds = [o for o in release.objects if o["kind"] == "CustomResourceDefinition"]
    assert crds and all(c["metadata"]["annotations"].get("helm.sh/resource-policy") == "keep" for c in crds)


@pytest.mark.parametrize("stack", list(CLOUDS))
def test_declared_flows_hold(stack: str) -> None:
    rows = [r for r in evaluate(graph_of(stack)) if "external-secrets" in r.source + r.destination]
    bad = [f"{r.source} -> {r.destination} {r.port}: expected {r.expect}, got {r.actual}" for r in rows if not r.ok]
    assert not bad
    wanted = {("entity:kube-apiserver", f"{NAMESPACE}/external-secrets-webhook", WEBHOOK_PORT, "allow")}
    if stack != "k3s-dev":  # the Kubernetes provider reads the API server, no endpoint outside
        wanted.add(next((r.source, r.destination, r.port, "allow") for r in rows if r.destination.startswith("fqdn:")))
    assert wanted <= {(r.source, r.destination, r.port, r.expect) for r in rows}
    assert any(r.source == "entity:ingress" and r.expect == "deny" for r in rows)


def test_without_the_store_policy_the_controller_cannot_reach_the_vault() -> None:
    graph = dataclasses.replace(graph_of("dev"))
    graph.resources = [r for r in graph.resources if not r.name.endswith("external-secrets-store-policy")]
    rows = [r for r in evaluate(graph) if r.destination.startswith("fqdn:") and r.source.endswith("/external-secrets")]
    assert rows and all(not r.ok for r in rows if r.expect == "allow")


# --- generated passwords through the store ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def probes() -> Iterator[dict[str, Graph]]:
    """One render per cloud in which the agnostics layer also asks for a generated Secret (``PROBE``)."""
    original = agnostics_layer.AgnosticsLayer.__init__

    def with_probe(self: agnostics_layer.AgnosticsLayer, name: str, cluster: Cluster, *args: Any, **kwargs: Any) -> None:
        original(self, name, cluster, *args, **kwargs)
        # The cluster the layer hands on (to its later services and the applications): the store installed.
        generated_secret(f"{name}-probe", cluster=self.cluster, parent=self, **PROBE)  # type: ignore[arg-type]

    agnostics_layer.AgnosticsLayer.__init__ = with_probe  # type: ignore[method-assign]
    try:
        yield {stack: run(stack_file(stack)) for stack in CLOUDS}
    finally:
        agnostics_layer.AgnosticsLayer.__init__ = original  # type: ignore[method-assign]


_WRITTEN = {
    "dev": ("azure-native:keyvault:Secret", "secretName"),
    "aws-dev": ("aws:secretsmanager/secret:Secret", "name"),
    "k3s-dev": ("kubernetes:core/v1:Secret", "metadata.name"),
}
"""Per cloud, the resource the writer creates and the input naming the store entry."""


def _entry(graph: Graph, stack: str) -> tuple[RecordedResource, str]:
    type_, key = _WRITTEN[stack]
    written = [r for r in graph.of_type(type_) if "-probe-store" in r.name]
    (resource,) = written
    value: Any = resource.inputs
    for part in key.split("."):
        value = value[part]
    return resource, str(value)


def _stored_value(graph: Graph, stack: str) -> dict[str, str]:
    """The plaintext the writer was given (read from the secret marker, as only a test may)."""
    if stack == "dev":
        # The whole `properties` object is marked secret, because its `value` is.
        properties = _entry(graph, stack)[0].inputs["properties"]
        assert isinstance(properties, Secret), "the vault secret's value must be a Pulumi secret"
        return dict(json.loads(properties.value["value"]))
    elif stack == "aws-dev":
        document = next(
            r for r in graph.of_type("aws:secretsmanager/secretVersion:SecretVersion") if "-probe-store" in r.name
        ).inputs["secretString"]
    else:
        data = _entry(graph, stack)[0].inputs["stringData"]
        assert isinstance(data, Secret), "the store Secret's data must be a Pulumi secret"
        return dict(data.value)
    assert isinstance(document, Secret), "the store value must be a Pulumi secret"
    return dict(json.loads(document.value))


@pytest.mark.parametrize("stack", list(CLOUDS))
def test_generated_secret_is_written_to_the_store_and_delivered_by_an_external_secret(
    probes: dict[str, Graph], stack: str
) -> None:
    graph = probes[stack]
    _, entry = _entry(graph, stack)
    (external,) = [
        m for m in graph.manifests() if m["kind"] == "ExternalSecret" and m["metadata"]["name"] == PROBE["secret_name"]
    ]
    spec = external["spec"]
    assert (external["metadata"]["name"], external["metadata"]["namespace"]) == (PROBE["secret_name"], PROBE["namespace"])
    assert spec["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": _store(graph)["metadata"]["name"]}
    assert spec["target"] == {"name": PROBE["secret_name"], "creationPolicy": "Owner", "deletionPolicy": "Retain"}
    assert {(d["secretKey"], d["remoteRef"]["property"]) for d in spec["data"]} == {(k, k) for k in PROBE["keys"]}
    assert {d["remoteRef"]["key"] for d in spec["data"]} == {entry}
    # It waits for the store (and so the CRDs), and for the value it reads.
    resource = next(r for r in graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret"))
    store = next(r for r in graph.of_type("kubernetes:external-secrets.io/v1:ClusterSecretStore"))
    assert store.urn in resource.options.depends_on
    assert set(_stored_value(graph, stack)) == set(PROBE["keys"])


@pytest.mark.parametrize("stack", list(CLOUDS))
def test_generated_password_never_appears_in_the_render(probes: dict[str, Graph], stack: str, tmp_path: Path) -> None:
    graph = probes[stack]
    passwords = _stored_value(graph, stack).values()
    assert all(len(p) == 32 for p in passwords)
    write(graph, tmp_path)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert not any(p in text for p in passwords), f"a generated password is in {path.relative_to(tmp_path)}"


def test_generated_secret_refuses_a_cluster_without_the_operator() -> None:
    store = SecretStoreFacts(kind="kubernetes", provider={}, write=lambda *a, **k: StoredSecret("x", None))  # type: ignore[arg-type,misc]
    cluster = Cluster(
        "k3s",
        "dev",
        pulumi.Output.from_input("c"),
        "1.34",
        pulumi.Output.from_input(""),
        None,
        [],
        PlatformFacts("p", {}, {}, secret_store=store),
    )  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="External Secrets is not installed"):
        generated_secret("x", secret_name="s", namespace="n", keys=["k"], cluster=cluster, parent=None)  # type: ignore[arg-type]


def test_key_vault_names_are_checked() -> None:
    assert vault_secret_name("argocd-redis.auth") == "argocd-redis-auth"
    with pytest.raises(ValueError, match="Key Vault secret name"):
        vault_secret_name("argocd_redis")
