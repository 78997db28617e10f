"""Storage classes on every cloud: the driver each cloud's facts choose, encryption, Retain in prod, one default."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import tarfile
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
import yaml

from conftest import ROOT, graph_of, stack_file
from k8tre.chart_lock import chart_name
from k8tre.infrastructure.k3s.secret_store import STORE_NAMESPACE
from k8tre.offline.engine import load, resolve, run
from k8tre.offline.graph import Graph, RecordedResource, Secret
from k8tre.offline.schemas import validate_manifest
from k8tre.policies.rules.encryption import at_rest
from k8tre.policies.rules.resilience import protected_state

K3S_PROD = ROOT / "tests" / "config" / "k3s-prod-ha.ok.yaml"
AWS_PROD = ROOT / "tests" / "stacks" / "Pulumi.aws-prod.yaml"
DEFAULT = "storageclass.kubernetes.io/is-default-class"
PROVISIONERS = {
    "dev": ("disk.csi.azure.com", "file.csi.azure.com"),
    "aws-dev": ("ebs.csi.aws.com", "efs.csi.aws.com"),
    "k3s-dev": ("driver.longhorn.io", "driver.longhorn.io"),
}


@cache
def _graph(path: str) -> Graph:
    return run(resolve(path))


def _classes(graph: Graph) -> dict[str, RecordedResource]:
    return {
        r.inputs["metadata"]["name"]: r
        for r in graph.kubernetes_objects()
        if r.inputs.get("kind") == "StorageClass" and not r.type.endswith("Patch")
    }


def _patches(graph: Graph) -> dict[str, RecordedResource]:
    return {r.inputs["metadata"]["name"]: r for r in graph.of_type("kubernetes:storage.k8s.io/v1:StorageClassPatch")}


def _releases(graph: Graph, chart: str) -> list[RecordedResource]:
    return [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if chart_name(str(r.inputs["chart"])) == chart]


def _chart_default(chart: str, path: str) -> Any:
    """A value from the vendored chart's own values.yaml (what the chart really does)."""
    (archive,) = (ROOT / "charts").glob(f"{chart}-[0-9]*.tgz")
    with tarfile.open(archive) as bundle:
        extracted = bundle.extractfile(f"{chart}/values.yaml")
        assert extracted is not None
        value: Any = yaml.safe_load(extracted.read())
    for part in path.split("."):
        value = value[part]
    return value


def _mutated(
    graph: Graph, predicate: Callable[[RecordedResource], bool], change: Callable[[RecordedResource], RecordedResource]
) -> Graph:
    copied = copy.deepcopy(graph)
    copied.resources = [change(r) if predicate(r) else r for r in copied.resources]
    return copied


def _unprotected(resource: RecordedResource) -> RecordedResource:
    return dataclasses.replace(resource, options=dataclasses.replace(resource.options, protect=False))


@pytest.mark.parametrize("stack", sorted(PROVISIONERS))
def test_each_cloud_provisions_the_platform_classes_with_its_own_driver(stack: str) -> None:
    classes = _classes(graph_of(stack))
    rwo, rwx = classes["rwo-default"].inputs, classes["rwx-default"].inputs
    assert (rwo["provisioner"], rwx["provisioner"]) == PROVISIONERS[stack]
    for body in (rwo, rwx):
        assert body["allowVolumeExpansion"] is True
        assert body["reclaimPolicy"] == "Delete"  # dev: test environments do not pile up orphaned disks


def test_zonal_block_volumes_bind_where_the_pod_lands() -> None:
    for stack in ("dev", "aws-dev"):
        assert _classes(graph_of(stack))["rwo-default"].inputs["volumeBindingMode"] == "WaitForFirstConsumer"
    assert _classes(graph_of("aws-dev"))["rwx-default"].inputs["volumeBindingMode"] == "Immediate"  # EFS is regional


def test_azure_disk_is_zone_redundant_and_azure_files_is_nfs_behind_a_private_endpoint() -> None:
    classes = _classes(graph_of("dev"))
    assert classes["rwo-default"].inputs["parameters"]["skuName"] == "Premium_ZRS"
    files = classes["rwx-default"].inputs["parameters"]
    # NFS needs no storage account key in a Secret, but exists only on premium accounts behind a private endpoint.
    assert files["protocol"] == "nfs"
    assert files["skuName"].startswith("Premium")
    assert files["networkEndpointType"] == "privateEndpoint"
    assert files["publicNetworkAccess"] == "Disabled"


def test_ebs_is_gp3_encrypted_with_the_clusters_kms_key() -> None:
    graph = graph_of("aws-dev")
    parameters = _classes(graph)["rwo-default"].inputs["parameters"]
    assert parameters["type"] == "gp3" and parameters["encrypted"] == "true"
    # The cluster's own key (the one encrypting its Kubernetes secrets, made beside it), in the stack's region.
    (cluster,) = graph.of_type("aws:eks/cluster:Cluster")
    encryption = cluster.inputs["encryptionConfig"]
    assert parameters["kmsKeyId"] == encryption["provider"]["keyArn"]
    match = re.fullmatch(r"arn:aws:kms:eu-west-2:\d{12}:key/(\S+)", parameters["kmsKeyId"])
    assert match
    (key,) = [k for k in graph.of_type("aws:kms/key:Key") if k.id == match[1]]
    assert key.parent == cluster.parent


def test_efs_is_encrypted_reached_on_nfs_from_the_node_subnets_only_and_protected_in_prod() -> None:
    graph = graph_of("aws-dev")
    (file_system,) = graph.of_type("aws:efs/fileSystem:FileSystem")
    assert file_system.inputs["encrypted"] is True
    subnets = [r for r in graph.of_type("aws:ec2/subnet:Subnet") if "internal-elb" in str(r.inputs.get("tags"))]
    targets = graph.of_type("aws:efs/mountTarget:MountTarget")
    assert {t.inputs["subnetId"] for t in targets} == {s.id for s in subnets}
    (group,) = [g for g in graph.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name.endswith("-efs-sg")]
    (rule,) = group.inputs["ingress"]
    assert (rule["fromPort"], rule["toPort"], rule["protocol"]) == (2049, 2049, "tcp")
    assert sorted(rule["cidrBlocks"]) == sorted(s.inputs["cidrBlock"] for s in subnets)
    assert not group.inputs.get("egress")
    parameters = _classes(graph)["rwx-default"].inputs["parameters"]
    assert parameters["provisioningMode"] == "efs-ap" and parameters["fileSystemId"] == file_system.id
    (prod_fs,) = _graph(str(AWS_PROD)).of_type("aws:efs/fileSystem:FileSystem")
    assert prod_fs.options.protect


def test_csi_drivers_get_their_aws_roles_through_pod_identity_for_the_charts_own_service_accounts() -> None:
    graph = graph_of("aws-dev")
    associations = {
        (a.inputs["namespace"], a.inputs["serviceAccount"])
        for a in graph.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    }
    for chart in ("aws-ebs-csi-driver", "aws-efs-csi-driver"):
        (release,) = _releases(graph, chart)
        account = _chart_default(chart, "controller.serviceAccount.name")
        assert (release.inputs["namespace"], account) in associations
    addons = {a.inputs["addonName"] for a in graph.of_type("aws:eks/addon:Addon")}
    assert "eks-pod-identity-agent" in addons


def test_longhorn_runs_only_where_the_cloud_names_it() -> None:
    assert _releases(graph_of("k3s-dev"), "longhorn")
    for stack in ("dev", "aws-dev"):
        assert not _releases(graph_of(stack), "longhorn")
    assert not _releases(graph_of("dev"), "aws-ebs-csi-driver")


def _delivered(graph: Graph, secret_name: str, namespace: str) -> tuple[RecordedResource, RecordedResource]:
    """The ExternalSecret making ``secret_name`` in ``namespace``, and the K3s store entry it reads (written first)."""
    (external,) = [
        r
        for r in graph.of_type("kubernetes:external-secrets.io/v1:ExternalSecret")
        if (r.inputs["metadata"]["name"], r.inputs["metadata"]["namespace"]) == (secret_name, namespace)
    ]
    spec = external.inputs["spec"]
    assert spec["target"]["name"] == secret_name
    (key,) = {d["remoteRef"]["key"] for d in spec["data"]}
    (entry,) = [
        r
        for r in graph.of_type("kubernetes:core/v1:Secret")
        if (r.inputs["metadata"]["name"], r.inputs["metadata"]["namespace"]) == (key, STORE_NAMESPACE)
    ]
    assert entry.urn in external.options.depends_on
    return external, entry


def _key_passwords(graph: Graph, external: RecordedResource) -> list[RecordedResource]:
    """The generated passwords beside the volume key's ExternalSecret."""
    return [
        r
        for r in graph.of_type("random:index/randomPassword:RandomPassword")
        if r.parent == external.parent and "storage" in r.name
    ]


def test_longhorn_volumes_are_encrypted_with_a_generated_key_that_never_appears_in_the_render() -> None:
    graph = graph_of("k3s-dev")
    referenced = set()
    for name in ("rwo-default", "rwx-default"):
        parameters = _classes(graph)[name].inputs["parameters"]
        assert parameters["encrypted"] == "true"
        referenced.add(
            (
                parameters["csi.storage.k8s.io/node-stage-secret-name"],
                parameters["csi.storage.k8s.io/node-stage-secret-namespace"],
            )
        )
    ((secret_name, namespace),) = referenced
    # The Secret the classes name is delivered there by an ExternalSecret, from a store entry written as a Pulumi secret.
    external, entry = _delivered(graph, secret_name, namespace)
    assert {d["secretKey"] for d in external.inputs["spec"]["data"]} >= {"CRYPTO_KEY_VALUE", "CRYPTO_KEY_PROVIDER"}
    data = entry.inputs["stringData"]
    assert isinstance(data, Secret)
    assert data.value["CRYPTO_KEY_PROVIDER"] == "secret"
    (generator,) = _key_passwords(graph, external)
    assert generator.name.endswith("-CRYPTO_KEY_VALUE") and generator.inputs["length"] >= 64
    key = data.value["CRYPTO_KEY_VALUE"]
    assert key and key not in json.dumps(graph.to_json())
    (release,) = _releases(graph, "longhorn")
    # Longhorn's own class is off (it would be unencrypted) and nothing phones home.
    assert release.inputs["values"]["persistence"]["createStorageClass"] is False
    assert release.inputs["values"]["defaultSettings"]["upgradeChecker"] is False


@pytest.mark.parametrize("stack", sorted(PROVISIONERS))
def test_rwo_default_is_the_only_default_class_and_the_clouds_own_is_demoted(stack: str) -> None:
    graph = graph_of(stack)
    defaults = [name for name, c in _classes(graph).items() if c.inputs["metadata"]["annotations"].get(DEFAULT) == "true"]
    assert defaults == ["rwo-default"]
    for name, patch in _patches(graph).items():
        assert patch.inputs["metadata"]["annotations"][DEFAULT] == "false", name
        assert patch.inputs["metadata"]["annotations"]["pulumi.com/patchForce"] == "true"
    expected = {"dev": {"default", "managed-csi"}, "aws-dev": set(), "k3s-dev": {"local-path"}}[stack]
    assert set(_patches(graph)) == expected


@pytest.mark.parametrize("stack", sorted(PROVISIONERS))
def test_every_platform_class_is_judged_encrypted(stack: str) -> None:
    result = at_rest(graph_of(stack))
    classes = {c.urn for c in _classes(graph_of(stack)).values()}
    assert not result.violations
    assert not [u for u in result.unknown if u.urn in classes]
    assert classes <= set(result.judged)


def _drop_parameter(key: str) -> Callable[[RecordedResource], RecordedResource]:
    def change(resource: RecordedResource) -> RecordedResource:
        inputs = copy.deepcopy(resource.inputs)
        inputs["parameters"].pop(key)
        return dataclasses.replace(resource, inputs=inputs)

    return change


def _is_class(name: str) -> Callable[[RecordedResource], bool]:
    return lambda r: r.inputs.get("kind") == "StorageClass" and r.inputs.get("metadata", {}).get("name") == name


@pytest.mark.parametrize(
    ("stack", "name", "key"),
    [
        ("k3s-dev", "rwo-default", "encrypted"),
        ("k3s-dev", "rwx-default", "csi.storage.k8s.io/node-stage-secret-name"),
        ("aws-dev", "rwo-default", "encrypted"),
    ],
)
def test_a_class_without_its_encryption_is_caught(stack: str, name: str, key: str) -> None:
    mutated = _mutated(graph_of(stack), _is_class(name), _drop_parameter(key))
    assert any(name in v.message for v in at_rest(mutated).violations)


def test_an_unencrypted_efs_file_system_is_caught() -> None:
    def plain_fs(resource: RecordedResource) -> RecordedResource:
        return dataclasses.replace(resource, inputs={**resource.inputs, "encrypted": False})

    mutated = _mutated(graph_of("aws-dev"), lambda r: r.type == "aws:efs/fileSystem:FileSystem", plain_fs)
    assert any("rwx-default" in v.message for v in at_rest(mutated).violations)


def test_prod_retains_released_volumes() -> None:
    graph = graph_of("prod")
    assert {c.inputs["reclaimPolicy"] for c in _classes(graph).values()} == {"Retain"}
    assert not protected_state(graph).violations

    def deleting(resource: RecordedResource) -> RecordedResource:
        return dataclasses.replace(resource, inputs={**resource.inputs, "reclaimPolicy": "Delete"})

    mutated = _mutated(graph, _is_class("rwx-default"), deleting)
    assert any("rwx-default" in v.message for v in protected_state(mutated).violations)


def test_k3s_prod_protects_longhorn_and_its_key() -> None:
    graph = _graph(str(K3S_PROD))
    (release,) = _releases(graph, "longhorn")
    assert release.options.protect
    external, entry = _delivered(graph, "storage-volume-key", "longhorn-system")
    assert external.options.protect and entry.options.protect
    passwords = _key_passwords(graph, external)
    assert passwords and all(r.options.protect for r in passwords)
    assert not protected_state(graph).violations
    mutated = _mutated(graph, lambda r: r.urn == release.urn, _unprotected)
    assert any("holds every volume" in v.message for v in protected_state(mutated).violations)


@pytest.mark.parametrize("stack", sorted(PROVISIONERS))
def test_storage_classes_validate_against_kubernetes_schemas(stack: str) -> None:
    version = load(stack_file(stack)).cluster.kubernetes_version
    for resource in _classes(graph_of(stack)).values():
        body = {k: v for k, v in resource.inputs.items()}
        assert validate_manifest(body, version) == []


def test_aks_keeps_its_built_in_csi_drivers_on() -> None:
    (cluster,) = [r for r in graph_of("dev").resources if r.type.endswith(":ManagedCluster")]
    profile = cluster.inputs["storageProfile"]
    assert profile["diskCSIDriver"] == {"enabled": True} and profile["fileCSIDriver"] == {"enabled": True}
