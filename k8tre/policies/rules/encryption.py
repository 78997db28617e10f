"""Encryption rules: at rest (SATRE 2.8.01) and in transit (2.8.02, 2.8.03), judged on the fields that decide them."""

from __future__ import annotations

import re

from ...agnostics.publish import PLAINTEXT_BACKEND
from ...offline.graph import Graph, RecordedResource
from ..facts import is_prod, managed_clusters, objects, plain, releases, text
from ..gateway import attached_listeners, backend_hop_problem, listeners, only_redirects_to_https
from ..k3s_script import install_commands, script_of
from ..registry import Evaluation, rule

# A KMS key or alias ARN (AWS docs, "Amazon Resource Names (ARNs)" for AWS KMS: arn:aws:kms:region:account:key/id).
_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/\S+$")
_DISK_ENCRYPTION_SET = re.compile(r"/providers/Microsoft\.Compute/diskEncryptionSets/[^/]+$", re.IGNORECASE)

# Provisioners whose volumes are encrypted at rest whatever the class says: Azure managed disks and Azure Files
# are always encrypted by Storage Service Encryption ("Server-side encryption of Azure Disk Storage";
# "Azure Storage encryption for data at rest": it "cannot be disabled").
ALWAYS_ENCRYPTED = frozenset({"disk.csi.azure.com", "file.csi.azure.com"})
# EBS volumes are encrypted only when the class asks (aws-ebs-csi-driver docs/parameters.md: ``encrypted``).
EBS = "ebs.csi.aws.com"
# Longhorn encrypts a volume only when its class says ``encrypted: "true"`` and names the Secret holding the key
# in the CSI secret parameters the kubelet passes when it stages and publishes the volume (Longhorn docs,
# "Volume Encryption").
LONGHORN = "driver.longhorn.io"
_LONGHORN_KEY_PARAMETERS = ("node-stage", "node-publish", "provisioner")
# EFS access points inherit the file system's encryption, which is fixed when it is created
# (EFS docs, "Encrypting data at rest"): judged on the FileSystem the class names.
EFS = "efs.csi.aws.com"


@rule(
    "encryption-at-rest",
    "Cluster secrets and volumes are encrypted at rest: AKS encryption at host, EKS KMS envelope encryption of "
    "secrets, K3s secrets encryption, encrypted storage classes.",
    satre=("2.8.01",),
    severity="mandatory",
)
def at_rest(graph: Graph) -> Evaluation:
    """Every place data rests is encrypted by a setting that is on, not merely not switched off."""
    result = Evaluation()
    for cluster in graph.of_type("aws:eks/cluster:Cluster"):
        with result.judging(cluster.urn, "encryptionConfig"):
            result.check(cluster.urn, _eks_envelope(cluster), "EKS cluster does not encrypt secrets with a KMS key")
    keys = {key.urn: key for key in graph.of_type("aws:kms/key:Key")}
    for key in keys.values():
        with result.judging(key.urn, "enableKeyRotation"):
            result.check(key.urn, plain(key.inputs.get("enableKeyRotation")) is True, "KMS key without automatic rotation")
    for command in install_commands(graph):
        with result.judging(command.urn, "K3s install script"):
            script = script_of(command)
            if script is not None and script.is_server:
                # K3s docs, "Secrets Encryption": the server encrypts Secrets in its datastore only with this flag.
                result.check(command.urn, script.flag("secrets-encryption"), "K3s server installed without --secrets-encryption")
    for cluster in managed_clusters(graph):
        with result.judging(cluster.urn, "agentPoolProfiles"):
            _aks_at_rest(result, cluster)
    file_systems = {_efs_id(fs): fs for fs in graph.of_type("aws:efs/fileSystem:FileSystem")}
    for storage_class in objects(graph, "StorageClass"):
        if storage_class.type.endswith("Patch"):
            continue  # a patch of another class's annotations: it makes no volumes
        with result.judging(storage_class.urn, "parameters"):
            _storage_class(result, storage_class, file_systems)
    return result


def _eks_envelope(cluster: RecordedResource) -> bool:
    # pulumi-aws schema, aws:eks/cluster:Cluster encryptionConfig: resources (valid value "secrets") and provider.keyArn.
    config = plain(cluster.inputs.get("encryptionConfig")) or {}
    key_arn = text((config.get("provider") or {}).get("keyArn")) or ""
    return "secrets" in (config.get("resources") or []) and bool(_KMS_ARN.match(key_arn))


def _aks_at_rest(result: Evaluation, cluster: RecordedResource) -> None:
    # Managed OS and data disks are always SSE-encrypted; temp disks, disk caches and ephemeral OS disks are
    # encrypted only with encryption at host, which is off unless enableEncryptionAtHost is true
    # (Azure docs, "Host-based encryption on AKS"; REST ManagedClusterAgentPoolProfile.enableEncryptionAtHost).
    for pool in plain(cluster.inputs.get("agentPoolProfiles")) or []:
        result.check(
            cluster.urn,
            pool.get("enableEncryptionAtHost") is True,
            f"AKS node pool {pool.get('name')} does not enable encryption at host",
        )
    disk_set = text(cluster.inputs.get("diskEncryptionSetID"))
    if disk_set is not None:
        ok = bool(_DISK_ENCRYPTION_SET.search(disk_set))
        result.check(cluster.urn, ok, f"diskEncryptionSetID {disk_set} is not a disk encryption set")


def _efs_id(file_system: RecordedResource) -> str:
    return text(file_system.inputs.get("id")) or file_system.name


def _storage_class(result: Evaluation, storage_class: RecordedResource, file_systems: dict[str, RecordedResource]) -> None:
    provisioner = text(storage_class.inputs.get("provisioner")) or ""
    parameters = plain(storage_class.inputs.get("parameters")) or {}
    name = (storage_class.inputs.get("metadata") or {}).get("name")
    if provisioner in ALWAYS_ENCRYPTED:
        result.check(storage_class.urn, True, "")
    elif provisioner == EBS:
        ok = parameters.get("encrypted") == "true"
        result.check(storage_class.urn, ok, f"storage class {name} makes unencrypted EBS volumes")
    elif provisioner == LONGHORN:
        keyed = all(parameters.get(f"csi.storage.k8s.io/{part}-secret-name") for part in _LONGHORN_KEY_PARAMETERS)
        ok = parameters.get("encrypted") == "true" and keyed
        result.check(storage_class.urn, ok, f"storage class {name} makes unencrypted Longhorn volumes (encrypted and its key)")
    elif provisioner == EFS and file_systems:
        encrypted = all(plain(fs.inputs.get("encrypted")) is True for fs in file_systems.values())
        result.check(storage_class.urn, encrypted, f"storage class {name} provisions on an unencrypted EFS file system")
    else:
        where = provisioner or "its"
        result.cannot_judge(storage_class.urn, f"storage class {name}: encryption of {where} volumes is not visible here")


@rule(
    "tls-on-every-route",
    "Every route is served over TLS; a plain-HTTP listener carries only redirects to HTTPS; the hop from the Gateway "
    "to a backend is TLS (passed through, or verified) or says on the route why it is not.",
    satre=("2.8.02",),
    severity="mandatory",
)
def tls_routes(graph: Graph) -> Evaluation:
    """Decided by the listeners each route really attaches to and their protocol and TLS, never by names."""
    result = Evaluation()
    for listener in listeners(graph):
        if listener.spec.get("protocol") in ("HTTPS", "TLS"):
            problem = listener.encryption_problem()
            result.check(listener.gateway.urn, problem is None, f"listener {listener.label}: {problem}")
    for route in objects(graph, "HTTPRoute") + objects(graph, "GRPCRoute") + objects(graph, "TLSRoute"):
        with result.judging(route.urn, "parentRefs"):
            name = f"{route.inputs['metadata'].get('namespace')}/{route.inputs['metadata'].get('name')}"
            attached, missing = attached_listeners(graph, route)
            for parent in missing:
                result.cannot_judge(route.urn, f"route {name}: parent {parent} is not in this render")
            result.check(route.urn, True, "")
            for listener in attached:
                problem = listener.encryption_problem()
                redirect = route.inputs.get("kind") == "HTTPRoute" and only_redirects_to_https(route)
                result.check(
                    route.urn,
                    problem is None or redirect,
                    f"route {name} is served without TLS on listener {listener.label} ({problem})",
                )
                # The second hop: from the Gateway to the backend.
                hop = backend_hop_problem(graph, route, listener, PLAINTEXT_BACKEND)
                result.check(route.urn, hop is None, f"route {name} on listener {listener.label}: {hop}")
    return result


@rule(
    "encryption-in-cluster",
    "Traffic between nodes is encrypted by Cilium (WireGuard) in prod.",
    satre=("2.8.03",),
    severity="mandatory",
)
def in_cluster(graph: Graph) -> Evaluation:
    """Stricter than SATRE's 'should': K8TRE requires it in prod."""
    result = Evaluation()
    if not is_prod(graph):
        return result
    for release in releases(graph, "cilium"):
        with result.judging(release.urn, "values.encryption"):
            encryption = (plain(release.inputs.get("values")) or {}).get("encryption") or {}
            result.check(release.urn, encryption.get("enabled") is True, "Cilium transparent encryption is off in prod")
    return result
