"""Preflight rules for the storage behind the platform's classes: what the cloud needs before a volume can exist."""

from __future__ import annotations

from ..offline.graph import Graph
from ..policies.facts import objects, plain, text
from ..policies.registry import Evaluation
from .registry import PreflightContext, preflight_rule

AZURE_FILES = "file.csi.azure.com"
EFS_FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
EFS_MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


@preflight_rule(
    "azure-files-nfs-premium-private",
    cloud="azure",
    constraint="NFS Azure file shares exist only on premium (FileStorage) accounts and are reached only from trusted "
    "networks, so an NFS class needs a Premium SKU and a private endpoint.",
    source="https://learn.microsoft.com/azure/storage/files/files-nfs-protocol#security-and-networking",
)
def azure_files_nfs(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each Azure Files class that mounts over NFS asks for a premium account behind a private endpoint."""
    evaluation = Evaluation()
    for storage_class in objects(graph, "StorageClass"):
        parameters = plain(storage_class.inputs.get("parameters")) or {}
        if text(storage_class.inputs.get("provisioner")) != AZURE_FILES or parameters.get("protocol") != "nfs":
            continue
        name = storage_class.inputs["metadata"]["name"]
        premium = str(parameters.get("skuName", "")).startswith("Premium")
        private = parameters.get("networkEndpointType") == "privateEndpoint"
        evaluation.check(storage_class.urn, premium, f"storage class {name}: NFS needs a Premium skuName")
        evaluation.check(storage_class.urn, private, f"storage class {name}: NFS needs networkEndpointType privateEndpoint")
    return evaluation


@preflight_rule(
    "aws-efs-mount-target-per-node-subnet",
    cloud="aws",
    constraint="A node mounts an EFS file system through a mount target in its own Availability Zone, so every subnet "
    "that holds nodes needs one.",
    source="https://docs.aws.amazon.com/efs/latest/ug/accessing-fs.html",
)
def efs_mount_targets(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each EFS file system has a mount target in every subnet a node group uses."""
    evaluation = Evaluation()
    node_subnets = {s for group in graph.of_type(EKS_NODE_GROUP) for s in plain(group.inputs.get("subnetIds")) or []}
    targets = graph.of_type(EFS_MOUNT_TARGET)
    for file_system in graph.of_type(EFS_FILE_SYSTEM):
        # A mount target names its file system by id; the recorded dependency ties the two in a loaded render too.
        covered = {text(t.inputs.get("subnetId")) for t in targets if file_system.urn in t.dependencies}
        missing = sorted(str(s) for s in node_subnets - covered)
        evaluation.check(file_system.urn, not missing, f"EFS {file_system.name} has no mount target in node subnets {missing}")
    return evaluation
