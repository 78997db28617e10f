"""Preflight rules for EKS: what would keep a bare EKS cluster with Cilium from serving, or leave it open.

Each rule names the AWS or Cilium page its constraint comes from.
"""

from __future__ import annotations

import json
from typing import Any

from ..offline.graph import Graph, RecordedResource
from ..policies.registry import Evaluation
from .registry import PreflightContext, preflight_rule

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
RELEASE = "kubernetes:helm.sh/v3:Release"

CILIUM_ENI_DOC = "https://docs.cilium.io/en/stable/network/concepts/ipam/eni/#required-privileges"
ENI_MUTATIONS = frozenset(
    {"ec2:AssignPrivateIpAddresses", "ec2:AttachNetworkInterface", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"}
)
"""The EC2 actions on Cilium's required list that change a node's network interfaces (Cilium docs, "AWS ENI")."""
ENI_MANAGED_POLICIES = frozenset({"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"})
"""AWS managed policies that grant those actions (the VPC CNI's policy)."""
EKS_LOG_TYPES = frozenset({"api", "audit", "authenticator", "controllerManager", "scheduler"})
"""The five control-plane log types (https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html)."""


def _cilium_values(graph: Graph) -> list[tuple[RecordedResource, dict[str, Any]]]:
    return [(r, dict(r.inputs.get("values") or {})) for r in graph.of_type(RELEASE) if str(r.inputs.get("name")) == "cilium"]


def _bare_clusters(graph: Graph) -> list[RecordedResource]:
    """EKS clusters created without the VPC CNI (Cilium is their CNI)."""
    return [c for c in graph.of_type(CLUSTER) if c.inputs.get("bootstrapSelfManagedAddons") is False]


@preflight_rule(
    "eks-cilium-eni-mode",
    cloud="aws",
    constraint="On EKS without the VPC CNI, Cilium runs in ENI mode (eni.enabled, ipam.mode eni, native routing, "
    "egress masquerading on the node interfaces) so pods have VPC addresses: the control plane, in AWS's VPC, "
    "cannot reach overlay pod addresses, and every admission webhook served from a pod would time out.",
    source="https://docs.cilium.io/en/stable/installation/k8s-install-helm/",
)
def cilium_eni_mode(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """The Cilium release on a bare EKS cluster has the ENI-mode values of Cilium's EKS installation."""
    evaluation = Evaluation()
    if not _bare_clusters(graph):
        return evaluation
    for release, values in _cilium_values(graph):
        eni = values.get("eni") or {}
        ipam = values.get("ipam") or {}
        evaluation.check(
            release.urn,
            eni.get("enabled") is True and ipam.get("mode") == "eni",
            f"Cilium's IPAM is {ipam.get('mode')!r} with eni.enabled {eni.get('enabled')!r}: pods would be off the VPC",
        )
        evaluation.check(release.urn, values.get("routingMode") == "native", "ENI mode routes natively, not by tunnel")
        evaluation.check(
            release.urn,
            bool(values.get("egressMasqueradeInterfaces")),
            "egressMasqueradeInterfaces unset: traffic to outside the VPC would leave with pod addresses the NAT gateway drops",
        )
    return evaluation


def _actions(document: Any) -> set[str]:
    policy = json.loads(document) if isinstance(document, str) else document or {}
    found: set[str] = set()
    for statement in policy.get("Statement") or []:
        if statement.get("Effect") == "Allow":
            actions = statement.get("Action") or []
            found |= {actions} if isinstance(actions, str) else set(actions)
    return found


def _grants(graph: Graph, role: RecordedResource) -> tuple[set[str], set[str]]:
    """(inline actions, managed policy ARNs) of one role: policies name their role by its name, the role's id."""
    inline = {a for p in graph.of_type(ROLE_POLICY) if p.inputs.get("role") == role.id for a in _actions(p.inputs.get("policy"))}
    managed = {str(a.inputs.get("policyArn")) for a in graph.of_type(ATTACHMENT) if a.inputs.get("role") == role.id}
    return inline, managed


@preflight_rule(
    "eks-eni-rights-on-operator",
    cloud="aws",
    constraint="Only the Cilium operator creates and attaches network interfaces in ENI mode, so only its service "
    "account holds those EC2 actions (its own Pod Identity role); a node role holding them hands them to every "
    "process on every node.",
    source=CILIUM_ENI_DOC,
)
def eni_rights_on_operator(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """No node role holds ENI-changing actions; a role associated with kube-system/cilium-operator holds them all."""
    evaluation = Evaluation()
    clusters = _bare_clusters(graph)
    if not clusters:
        return evaluation
    roles = graph.of_type(ROLE)
    for role in roles:
        if "ec2.amazonaws.com" not in str(role.inputs.get("assumeRolePolicy")):
            continue
        inline, managed = _grants(graph, role)
        evaluation.check(
            role.urn,
            not (inline & ENI_MUTATIONS) and not (managed & ENI_MANAGED_POLICIES),
            "the node role can create and attach network interfaces: give those rights to Cilium's operator alone",
        )
    operator = [
        a
        for a in graph.of_type(ASSOCIATION)
        if a.inputs.get("namespace") == "kube-system" and a.inputs.get("serviceAccount") == "cilium-operator"
    ]
    for cluster in clusters:
        evaluation.check(cluster.urn, bool(operator), "no Pod Identity association for kube-system/cilium-operator")
    for association in operator:
        bound = next((r for r in roles if r.id and str(association.inputs.get("roleArn", "")).endswith("/" + r.id)), None)
        inline = _grants(graph, bound)[0] if bound else set()
        missing = sorted(ENI_MUTATIONS - inline)
        evaluation.check(association.urn, not missing, f"the operator's role lacks {missing}")
    return evaluation


@preflight_rule(
    "eks-upgrade-policy-explicit",
    cloud="aws",
    constraint="An EKS cluster states its upgrade policy: left unset, EKS puts it in extended support at the end of "
    "standard support, at six times the cluster-hour price, instead of upgrading it.",
    source="https://docs.aws.amazon.com/eks/latest/userguide/view-upgrade-policy.html",
)
def upgrade_policy_explicit(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Every EKS cluster sets ``upgradePolicy.supportType``."""
    evaluation = Evaluation()
    for cluster in graph.of_type(CLUSTER):
        support = (cluster.inputs.get("upgradePolicy") or {}).get("supportType")
        evaluation.check(
            cluster.urn, support in ("STANDARD", "EXTENDED"), "upgradePolicy.supportType is unset (EKS picks EXTENDED)"
        )
    return evaluation


@preflight_rule(
    "eks-public-endpoint-restricted",
    cloud="aws",
    constraint="A public EKS API endpoint answers every address unless publicAccessCidrs narrows it (the default is "
    "0.0.0.0/0): a public endpoint names its CIDRs, none of them /0.",
    source="https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html",
)
def public_endpoint_restricted(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Every public endpoint has non-empty ``publicAccessCidrs`` without a /0; a private one has private access on."""
    evaluation = Evaluation()
    for cluster in graph.of_type(CLUSTER):
        vpc = cluster.inputs.get("vpcConfig") or {}
        if vpc.get("endpointPublicAccess") is False:
            evaluation.check(cluster.urn, vpc.get("endpointPrivateAccess") is True, "neither endpoint is enabled")
            continue
        cidrs = [str(c) for c in vpc.get("publicAccessCidrs") or []]
        evaluation.check(
            cluster.urn,
            bool(cidrs) and not any(c.endswith("/0") for c in cidrs),
            f"the public API endpoint is open to {cidrs or ['0.0.0.0/0 (the default)']}",
        )
    return evaluation


@preflight_rule(
    "eks-control-plane-logs",
    cloud="aws",
    constraint="An EKS cluster sends all five control-plane log types (api, audit, authenticator, controllerManager, "
    "scheduler) to /aws/eks/<cluster>/cluster, a group created with a retention period and a KMS key.",
    source="https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html",
)
def control_plane_logs(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """All five log types are on, and the group EKS writes into exists with retention and encryption."""
    evaluation = Evaluation()
    groups = {str(g.inputs.get("name")): g for g in graph.of_type(LOG_GROUP)}
    for cluster in graph.of_type(CLUSTER):
        missing = sorted(EKS_LOG_TYPES - set(cluster.inputs.get("enabledClusterLogTypes") or []))
        evaluation.check(cluster.urn, not missing, f"control-plane log types {missing} are off")
        group = groups.get(f"/aws/eks/{cluster.inputs.get('name')}/cluster")
        evaluation.check(cluster.urn, group is not None, "no log group is created for the cluster: EKS makes one kept forever")
        if group is not None:
            evaluation.check(
                group.urn, bool(group.inputs.get("retentionInDays")), "the control-plane log group keeps logs forever"
            )
            evaluation.check(group.urn, bool(group.inputs.get("kmsKeyId")), "the control-plane log group is not KMS-encrypted")
    return evaluation


@preflight_rule(
    "eks-node-launch-template",
    cloud="aws",
    constraint="Every managed node group names its AMI type and a launch template that requires IMDSv2 with a hop "
    "limit of 1 (pods cannot reach the node role's credentials) and an encrypted gp3 root volume.",
    source="https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html",
)
def node_launch_template(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each node group's launch template: IMDSv2 required, hop limit 1, encrypted gp3 root; ``amiType`` set."""
    evaluation = Evaluation()
    templates = {t.id: t for t in graph.of_type(LAUNCH_TEMPLATE)}
    for group in graph.of_type(NODE_GROUP):
        evaluation.check(group.urn, bool(group.inputs.get("amiType")), "no explicit amiType: EKS picks the AMI family")
        template = templates.get(str((group.inputs.get("launchTemplate") or {}).get("id")))
        if template is None:
            evaluation.check(group.urn, False, "no launch template: IMDSv1 answers and the hop limit lets pods reach it")
            continue
        metadata = template.inputs.get("metadataOptions") or {}
        evaluation.check(template.urn, metadata.get("httpTokens") == "required", "IMDSv1 is allowed (httpTokens not required)")
        evaluation.check(
            template.urn,
            metadata.get("httpPutResponseHopLimit") == 1,
            f"IMDS hop limit {metadata.get('httpPutResponseHopLimit')}: pods can reach the node role's credentials",
        )
        roots = [m.get("ebs") or {} for m in template.inputs.get("blockDeviceMappings") or []]
        evaluation.check(
            template.urn,
            bool(roots) and all(str(r.get("encrypted")) == "true" and r.get("volumeType") == "gp3" for r in roots),
            "the root volume is not an encrypted gp3 volume",
        )
    return evaluation
