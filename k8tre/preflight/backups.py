"""Preflight rules for the backup stores: Velero's Azure workload identity, EKS Pod Identity, S3 public access."""

from __future__ import annotations

from typing import Any

from ..chart_lock import chart_name
from ..offline.graph import Graph, RecordedResource
from ..policies.facts import plain
from ..policies.registry import Evaluation
from .registry import PreflightContext, preflight_rule

RELEASE = "kubernetes:helm.sh/v3:Release"
FEDERATION = "azure-native:managedidentity:FederatedIdentityCredential"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
WORKLOAD_IDENTITY_LABEL = "azure.workload.identity/use"


def _velero(graph: Graph) -> list[tuple[RecordedResource, dict[str, Any]]]:
    return [
        (r, plain(r.inputs.get("values") or {}))
        for r in graph.of_type(RELEASE)
        if chart_name(str(r.inputs.get("chart", ""))) == "velero"
    ]


def _azure_locations(values: dict[str, Any]) -> list[dict[str, Any]]:
    locations = (values.get("configuration") or {}).get("backupStorageLocation") or []
    return [loc for loc in locations if loc.get("provider") == "azure"]


@preflight_rule(
    "velero-azure-workload-identity",
    cloud="azure",
    constraint="Velero's Azure plugin with workload identity needs a federated credential whose subject is Velero's "
    "service account, the azure.workload.identity/use label on its pods, useAAD on the location, and either the blob "
    "endpoint (storageAccountURI) or the Reader role to look it up.",
    source="https://github.com/vmware-tanzu/velero-plugin-for-microsoft-azure#option-2-use-azure-ad-workload-identity",
)
def velero_azure_workload_identity(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each Velero release writing to Azure Blob has what workload identity needs, as the plugin documents it."""
    evaluation = Evaluation()
    subjects = {str(plain(f.inputs.get("subject"))) for f in graph.of_type(FEDERATION)}
    for release, values in _velero(graph):
        for location in _azure_locations(values):
            config = location.get("config") or {}
            account = ((values.get("serviceAccount") or {}).get("server") or {}).get("name") or "velero-server"
            subject = f"system:serviceaccount:{plain(release.inputs.get('namespace'))}:{account}"
            labels_ok = all(
                (pods or {}).get(WORKLOAD_IDENTITY_LABEL) == "true"
                for pods in (values.get("podLabels"), (values.get("nodeAgent") or {}).get("podLabels"))
            )
            evaluation.check(release.urn, subject in subjects, f"no federated credential for {subject}")
            evaluation.check(release.urn, labels_ok, f"Velero's pods lack the {WORKLOAD_IDENTITY_LABEL} label")
            evaluation.check(release.urn, config.get("useAAD") == "true", "the location does not set useAAD")
            evaluation.check(
                release.urn, bool(config.get("storageAccountURI")), "no storageAccountURI: the identity would need Reader"
            )
    return evaluation


@preflight_rule(
    "eks-pod-identity-agent",
    cloud="aws",
    constraint="A Pod Identity association gives pods credentials only where the EKS Pod Identity Agent add-on runs on "
    "the cluster's nodes.",
    source="https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html",
)
def pod_identity_agent(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Every cluster with a Pod Identity association runs the agent add-on."""
    evaluation = Evaluation()
    agents = {
        str(plain(a.inputs.get("clusterName")))
        for a in graph.of_type("aws:eks/addon:Addon")
        if a.inputs.get("addonName") == "eks-pod-identity-agent"
    }
    for association in graph.of_type(ASSOCIATION):
        cluster = str(plain(association.inputs.get("clusterName")))
        evaluation.check(association.urn, cluster in agents, f"cluster {cluster} has no eks-pod-identity-agent add-on")
    return evaluation


@preflight_rule(
    "aws-s3-public-access-blocked",
    cloud="aws",
    constraint="Every bucket has all four S3 Block Public Access settings on, so neither an ACL nor a bucket policy "
    "can make its objects public.",
    source="https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
)
def s3_public_access_blocked(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each bucket has a public access block with every setting on."""
    evaluation = Evaluation()
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    blocks = graph.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for bucket in graph.of_type("aws:s3/bucket:Bucket"):
        mine = [b for b in blocks if bucket.urn in b.dependencies or plain(b.inputs.get("bucket")) == bucket.id]
        ok = any(all(b.inputs.get(flag) is True for flag in flags) for b in mine)
        evaluation.check(bucket.urn, ok, "public access is not fully blocked")
    return evaluation
