"""Backups: each cloud's object store, its least-privilege access, Velero's schedule covering the research data."""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Iterable
from typing import Any

import pytest

from conftest import ROOT, expanded_graph_of, graph_of
from k8tre.agnostics.backup_schedules import NOT_BACKED_UP, RESEARCH_LABEL, covers, research_namespaces, schedule_spec, uncovered
from k8tre.agnostics.velero import backup_hosts, velero_flows
from k8tre.flows.matrix import context_of, evaluate
from k8tre.infrastructure.aws.backup_store import BUCKET_ACTIONS, KEY_ACTIONS, OBJECT_ACTIONS
from k8tre.infrastructure.azure.backup_store import STORAGE_BLOB_DATA_CONTRIBUTOR
from k8tre.offline.engine import resolve, run
from k8tre.offline.graph import Graph, RecordedResource, Secret

AWS_PROD = ROOT / "tests" / "stacks" / "Pulumi.aws-prod.yaml"
CLOUD_STACKS = ("dev", "aws-dev", "k3s-dev")


def velero_values(graph: Graph) -> dict[str, Any]:
    (release,) = [r for r in graph.helm_releases() if r["chart"] == "velero"]
    return dict(release["values"])


def location(graph: Graph) -> dict[str, Any]:
    (bsl,) = velero_values(graph)["configuration"]["backupStorageLocation"]
    return dict(bsl)


def one(graph: Graph, suffix: str) -> RecordedResource:
    (resource,) = [r for r in graph.resources if r.type.endswith(suffix) and "backups" in r.name]
    return resource


def schedules(graph: Graph) -> list[dict[str, Any]]:
    return [m["spec"] for m in graph.manifests() if m.get("kind") == "Schedule"]


# --- Per-cloud backup location --------------------------------------------------------------------------


def test_azure_backups_go_to_the_private_container_with_workload_identity() -> None:
    graph = graph_of("dev")
    bsl, values = location(graph), velero_values(graph)
    account, container = one(graph, "storage:StorageAccount"), one(graph, "storage:BlobContainer")
    assert bsl["provider"] == "azure" and bsl["bucket"] == container.inputs["containerName"]
    assert bsl["config"]["useAAD"] == "true"
    assert bsl["config"]["storageAccount"] == account.inputs["accountName"]
    assert backup_hosts(bsl) == (f"{account.inputs['accountName']}.blob.core.windows.net",)
    assert account.inputs["publicNetworkAccess"] == "Disabled" and account.inputs["allowSharedKeyAccess"] is False
    assert container.inputs["publicAccess"] == "None"
    # The identity trusts exactly the service account the chart runs Velero's pods as.
    (federation,) = [r for r in graph.resources if r.name.endswith("backups-velero-federation")]
    account_name = values["serviceAccount"]["server"]["name"]
    assert federation.inputs["subject"] == f"system:serviceaccount:velero:{account_name}"
    assert "azure.workload.identity/client-id" in values["serviceAccount"]["server"]["annotations"]
    assert values["podLabels"] == {"azure.workload.identity/use": "true"} == values["nodeAgent"]["podLabels"]
    assert values["credentials"] == {"useSecret": False}
    # The blob endpoint resolves to the private endpoint's address through the hub's zone.
    (endpoint,) = [r for r in graph.resources if r.name.endswith("backups-blob") and r.type.endswith("PrivateEndpoint")]
    assert endpoint.inputs["privateLinkServiceConnections"][0]["groupIds"] == ["blob"]


def test_aws_backups_go_to_the_bucket_with_pod_identity() -> None:
    graph = graph_of("aws-dev")
    bsl, values = location(graph), velero_values(graph)
    bucket = one(graph, "aws:s3/bucket:Bucket")
    assert bsl["provider"] == "aws" and bsl["bucket"] == bucket.inputs["bucket"]
    assert "s3Url" not in bsl["config"] and bsl["config"]["region"] == "eu-west-2"
    (association,) = [
        a for a in graph.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation") if a.inputs["namespace"] == "velero"
    ]
    assert association.inputs["serviceAccount"] == values["serviceAccount"]["server"]["name"]
    assert values["credentials"] == {"useSecret": False} and values["configuration"]["extraEnvVars"] == []
    addons = {r.inputs["addonName"] for r in graph.of_type("aws:eks/addon:Addon")}
    assert "eks-pod-identity-agent" in addons, "Pod Identity needs its agent on every node"


def test_k3s_backups_go_to_seaweedfs_with_a_key_pair_from_a_secret() -> None:
    graph = graph_of("k3s-dev")
    bsl, values = location(graph), velero_values(graph)
    assert bsl["provider"] == "aws" and bsl["config"]["s3ForcePathStyle"] == "true"
    assert bsl["config"]["s3Url"] == "http://seaweedfs-s3.seaweedfs.svc.cluster.local:8333"
    env = {e["name"]: e for e in values["configuration"]["extraEnvVars"]}
    assert set(env) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    assert all("value" not in e and e["valueFrom"]["secretKeyRef"]["name"] == "seaweedfs-s3-credentials" for e in env.values())
    assert backup_hosts(bsl) == ()  # nothing leaves the cluster


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_volumes_are_copied_by_the_node_agent_and_velero_is_privileged_for_it_alone(stack: str) -> None:
    graph = graph_of(stack)
    values = velero_values(graph)
    assert values["deployNodeAgent"] is True and values["snapshotsEnabled"] is False
    assert values["configuration"]["defaultVolumesToFsBackup"] is True
    (namespace,) = [m for m in graph.manifests() if m.get("kind") == "Namespace" and m["metadata"]["name"] == "velero"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert "hostPath" in namespace["metadata"]["annotations"]["k8tre.io/pod-security-reason"]
    # The server itself stays restricted-grade; only the node agent runs as root, with five capabilities.
    assert values["containerSecurityContext"]["runAsNonRoot"] is True
    agent = values["nodeAgent"]["containerSecurityContext"]
    assert (
        agent["privileged"] is False and agent["allowPrivilegeEscalation"] is False and agent["capabilities"]["drop"] == ["ALL"]
    )


# --- The bucket, the account and least privilege -----------------------------------------------------------


def bucket_problems(resources: Iterable[RecordedResource]) -> list[str]:
    """What leaves a backup bucket public, unencrypted or unversioned."""
    resources = list(resources)
    problems = []
    block = [r for r in resources if r.type.endswith("BucketPublicAccessBlock")]
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    if not block or not all(block[0].inputs.get(flag) is True for flag in flags):
        problems.append("public access not fully blocked")
    encryption = [r for r in resources if r.type.endswith("BucketServerSideEncryptionConfiguration")]
    rules = encryption[0].inputs.get("rules", []) if encryption else []
    if not any(r["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms" for r in rules):
        problems.append("not encrypted with KMS")
    versioning = [r for r in resources if r.type.endswith("BucketVersioning")]
    if not versioning or versioning[0].inputs["versioningConfiguration"]["status"] != "Enabled":
        problems.append("not versioned")
    tls = [r for r in resources if r.type.endswith("BucketPolicy")]
    if not tls or '"aws:SecureTransport": "false"' not in str(tls[0].inputs["policy"]):
        problems.append("plain HTTP not refused")
    return problems


def _with_input(resource: RecordedResource, key: str, value: Any) -> RecordedResource:
    return RecordedResource(**{**resource.__dict__, "inputs": {**copy.deepcopy(resource.inputs), key: value}})


def test_the_bucket_is_private_encrypted_versioned_and_tls_only() -> None:
    resources = graph_of("aws-dev").resources
    assert bucket_problems(resources) == []
    (block,) = [r for r in resources if r.type.endswith("BucketPublicAccessBlock")]
    opened = [_with_input(r, "blockPublicPolicy", False) if r is block else r for r in resources]
    assert bucket_problems(opened) == ["public access not fully blocked"]
    (encryption,) = [r for r in resources if r.type.endswith("BucketServerSideEncryptionConfiguration")]
    plain = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    assert "not encrypted with KMS" in bucket_problems(
        [_with_input(r, "rules", plain) if r is encryption else r for r in resources]
    )


def role_problems(policy: str, bucket: str, key_arn: str) -> list[str]:
    """Statements in Velero's role that reach beyond its bucket and key, or grant more than it needs."""
    allowed = {f"arn:aws:s3:::{bucket}": BUCKET_ACTIONS, f"arn:aws:s3:::{bucket}/*": OBJECT_ACTIONS, key_arn: KEY_ACTIONS}
    problems = []
    for statement in json.loads(policy)["Statement"]:
        for resource in statement["Resource"]:
            extra = set(statement["Action"]) - set(allowed.get(resource, ()))
            if extra:
                problems.append(f"{sorted(extra)} on {resource}")
    return problems


def _plain(value: Any) -> Any:
    return _plain(value.value) if isinstance(value, Secret) else value


def test_velero_role_reaches_its_bucket_and_key_alone() -> None:
    graph = graph_of("aws-dev")
    bucket = one(graph, "aws:s3/bucket:Bucket").inputs["bucket"]
    (policy,) = [p for p in graph.of_type("aws:iam/rolePolicy:RolePolicy") if "-backups-" in p.name]
    (key,) = [r for r in graph.of_type("aws:kms/key:Key") if "backups" in r.name]
    key_arn = json.loads(_plain(policy.inputs["policy"]))["Statement"][2]["Resource"][0]
    assert key_arn.endswith(f":key/{key.id}"), "the key statement names the backup key"
    assert role_problems(_plain(policy.inputs["policy"]), bucket, key_arn) == []
    widened = json.loads(_plain(policy.inputs["policy"]))
    widened["Statement"][1]["Resource"] = ["*"]
    assert role_problems(json.dumps(widened), bucket, key_arn) != []
    (role,) = [r for r in graph.of_type("aws:iam/role:Role") if "velero" in r.name]
    principals = [s["Principal"] for s in json.loads(role.inputs["assumeRolePolicy"])["Statement"]]
    assert principals == [{"Service": "pods.eks.amazonaws.com"}]


def test_velero_identity_on_azure_holds_one_role_on_the_container_alone() -> None:
    graph = graph_of("dev")
    (assignment,) = [r for r in graph.of_type("azure-native:authorization:RoleAssignment") if "backups" in r.name]
    container = one(graph, "storage:BlobContainer")
    assert assignment.inputs["scope"] == container.id
    assert assignment.inputs["roleDefinitionId"].endswith(f"/roleDefinitions/{STORAGE_BLOB_DATA_CONTRIBUTOR}")


@pytest.fixture(scope="module")
def aws_prod() -> Graph:
    return run(resolve(str(AWS_PROD), ROOT))


def test_backup_stores_are_protected_in_prod_only(aws_prod: Graph) -> None:
    azure = [one(graph_of("prod"), t) for t in ("storage:StorageAccount", "storage:BlobContainer")]
    aws = [one(aws_prod, "aws:s3/bucket:Bucket"), *[r for r in aws_prod.of_type("aws:kms/key:Key") if "backups" in r.name]]
    assert len(aws) == 2 and all(r.options.protect for r in [*azure, *aws])
    assert not one(graph_of("dev"), "storage:StorageAccount").options.protect
    assert one(aws_prod, "aws:s3/bucket:Bucket").inputs["forceDestroy"] is False


# --- Schedules, retention and coverage -------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "hours"), [("dev", 720), ("stg", 2160), ("prod", 8760)])
def test_retention_follows_the_environment(stack: str, hours: int) -> None:
    (spec,) = schedules(graph_of(stack))
    assert spec["template"]["ttl"] == f"{hours}h0m0s" and spec["schedule"] == "0 2 * * *"


def test_retention_and_schedule_come_from_the_stack_file() -> None:
    spec = schedule_spec("30 1 * * *", 45, "default")
    assert spec["schedule"] == "30 1 * * *" and spec["template"]["ttl"] == "1080h0m0s"


def all_objects(graph: Graph) -> list[tuple[dict[str, Any], str]]:
    """Rendered and expanded objects, each with the namespace its release installs into."""
    objects = [(m, "") for m in graph.manifests()]
    for release in graph.workloads:
        objects += [(dict(o), release.namespace) for o in release.objects]
    return objects


def namespaces_with_data(graph: Graph) -> set[str]:
    found: set[str] = set()
    for obj, namespace in all_objects(graph):
        found |= research_namespaces([obj], namespace)
    return found


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_the_schedule_covers_every_namespace_with_volumes(stack: str) -> None:
    graph = expanded_graph_of(stack)
    found = namespaces_with_data(graph)
    assert "jupyterhub" in found, "JupyterHub's per-user claims (and its database claim) were seen"
    assert any(ns.startswith("project-") for ns in found), "a research project was seen"
    assert uncovered(schedules(graph), found) == []
    assert all(spec["template"]["defaultVolumesToFsBackup"] is True for spec in schedules(graph)), "volumes are in the backups"
    research = {ns for ns in found if ns == "jupyterhub" or ns.startswith("project-")}
    assert all(any(covers(spec, ns) for spec in schedules(graph)) for ns in research)


def test_a_schedule_that_drops_a_namespace_with_volumes_is_caught() -> None:
    graph = expanded_graph_of("k3s-dev")
    found = namespaces_with_data(graph)
    (spec,) = schedules(graph)
    dropped = copy.deepcopy(spec)
    dropped["template"]["excludedNamespaces"].append("jupyterhub")
    assert uncovered([dropped], found) == ["jupyterhub"]
    named = copy.deepcopy(spec)
    named["template"]["includedNamespaces"] = sorted(found - {"jupyterhub"})
    assert uncovered([named], found) == ["jupyterhub"]


def test_statefulset_claims_and_jupyterhub_user_claims_count_as_data() -> None:
    statefulset = {"kind": "StatefulSet", "metadata": {"name": "db"}, "spec": {"volumeClaimTemplates": [{}]}}
    hub = {
        "kind": "Application",
        "metadata": {"name": "jupyterhub"},
        "spec": {"source": {"chart": "jupyterhub", "helm": {"valuesObject": {}}}, "destination": {"namespace": "hub"}},
    }
    no_storage = copy.deepcopy(hub)
    no_storage["spec"]["source"]["helm"]["valuesObject"] = {"singleuser": {"storage": {"type": "none"}}}
    assert research_namespaces([statefulset, hub, no_storage], "chart-ns") == {"chart-ns", "hub"}


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_exclusions_never_hold_research_data(stack: str) -> None:
    assert not [ns for ns in NOT_BACKED_UP if ns == "jupyterhub" or ns.startswith("project-")]
    labelled = {
        m["metadata"]["name"]
        for m in graph_of(stack).manifests()
        if m.get("kind") == "Namespace" and RESEARCH_LABEL in (m["metadata"].get("labels") or {})
    }
    assert labelled and not labelled & set(NOT_BACKED_UP)


# --- Network flows and credentials --------------------------------------------------------------------------


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_velero_reaches_its_store_and_the_api_server_only(stack: str) -> None:
    graph = expanded_graph_of(stack)
    context = context_of(graph)
    rows = evaluate(graph, velero_flows(context))
    assert rows and all(row.ok for row in rows), [f"{r.source}->{r.destination} {r.actual}" for r in rows if not r.ok]
    assert {r.destination for r in rows if r.expect == "allow"} >= {
        f"fqdn:{h}" for h in context.backup_hosts
    } or not context.backup_hosts


def test_velero_policy_without_the_store_is_caught() -> None:
    graph = copy.deepcopy(expanded_graph_of("aws-dev"))
    (policy,) = [
        r for r in graph.of_type("kubernetes:cilium.io/v2:CiliumNetworkPolicy") if r.inputs["metadata"]["name"] == "velero-allow"
    ]
    policy.inputs["spec"]["egress"] = [rule for rule in policy.inputs["spec"]["egress"] if "toFQDNs" not in rule]
    rows = evaluate(graph, velero_flows(context_of(graph)))
    assert any(not r.ok and ".s3." in r.destination for r in rows)


# --- The documented restore procedure ----------------------------------------------------------------------

RESTORE_DOC = ROOT / "docs" / "agnostics.md"


def restore_commands(text: str) -> list[str]:
    section = text.split("### Restore procedure", 1)[1]
    return [
        match.strip().strip("`")
        for line in section.splitlines()
        for match in re.findall(r"(?:^|`)\s*(velero [^`]+)", line.strip())
    ]


def procedure_problems(commands: list[str], graph: Graph, namespace: str = "velero") -> list[str]:
    """Commands that name something the render does not create: namespace, schedule, storage location."""
    schedule_names = {m["metadata"]["name"] for m in graph.manifests() if m.get("kind") == "Schedule"}
    problems = []
    for command in commands:
        words = command.split()
        if f"--namespace {namespace}" not in command:
            problems.append(f"{command}: not in the {namespace} namespace")
        for flag, value in itertools.pairwise(words):
            if flag == "--from-schedule" and value not in schedule_names:
                problems.append(f"{command}: no schedule {value}")
            if flag == "--selector" and value.split("=", 1)[1] not in schedule_names:
                problems.append(f"{command}: no schedule {value}")
        if "restore create" in command and "--include-namespaces" not in command:
            problems.append(f"{command}: restores everything at once")
    return problems


@pytest.mark.parametrize("stack", CLOUD_STACKS)
def test_the_restore_procedure_names_what_the_render_creates(stack: str) -> None:
    text = RESTORE_DOC.read_text()
    commands = restore_commands(text)
    assert len(commands) >= 6 and any("--from-schedule" in c for c in commands)
    graph = graph_of(stack)
    assert procedure_problems(commands, graph) == []
    assert location(graph)["name"] == "default" and location(graph)["default"] is True
    listed = re.search(r"\(`k8tre/agnostics/backup_schedules.py`: (.*?), each with its reason\)", text, re.S)
    assert listed is not None
    assert sorted(re.findall(r"`([a-z-]+)`", listed.group(1))) == sorted(NOT_BACKED_UP)


def test_a_procedure_naming_a_missing_schedule_is_caught() -> None:
    commands = ["velero --namespace velero restore create --from-schedule weekly --include-namespaces project-a"]
    assert procedure_problems(commands, graph_of("dev")) != []
