"""One way to give a Kubernetes service account an AWS role: EKS Pod Identity.

A role trusted by ``pods.eks.amazonaws.com`` alone, its permissions (inline documents and AWS managed
policies), and the association that binds it to one namespace and service account
(EKS docs, "Learn how EKS Pod Identity grants pods access to AWS services":
https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html; the trust policy from
"Create an IAM role for Pod Identity": https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html).
No stored key and no OIDC trust to keep in step with the cluster.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


def pod_identity_trust() -> str:
    """Trust policy letting EKS Pod Identity hand the role to an associated service account (and tag the session)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            ],
        }
    )


@dataclass(frozen=True)
class PodIdentity:
    """The role and the association that hands it to one service account."""

    role: aws.iam.Role
    """The IAM role."""
    association: aws.eks.PodIdentityAssociation
    """The binding to ``namespace/serviceAccount`` in the cluster."""
    inline: tuple[aws.iam.RolePolicy, ...] = ()
    """The role's inline policies, in the order given."""


@dataclass(frozen=True)
class PodIdentityNames:
    """Logical names of the three kinds of child (kept as each caller first named them, so renders do not move)."""

    role: str
    """The role's logical name."""
    association: str
    """The association's logical name."""


def pod_identity_role(
    names: PodIdentityNames,
    *,
    parent: pulumi.Resource,
    cluster_name: pulumi.Input[str],
    namespace: str,
    service_account: str,
    tags: Mapping[str, str],
    inline: Mapping[str, pulumi.Input[str]] | None = None,
    managed: Mapping[str, str] | None = None,
    trust: pulumi.Input[str] | None = None,
    description: str | None = None,
    association_after: Sequence[pulumi.Resource] = (),
) -> PodIdentity:
    """A Pod Identity role with its permissions and association, as children of ``parent``.

    ``inline`` maps each inline policy's logical name to its JSON document; ``managed`` maps each
    attachment's logical name to an AWS managed policy ARN. ``trust`` overrides the plain Pod Identity
    trust (e.g. with conditions on the session tags).
    """
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        names.role,
        assume_role_policy=trust if trust is not None else pod_identity_trust(),
        description=description,
        tags=dict(tags),
        opts=child,
    )
    policies = tuple(
        aws.iam.RolePolicy(logical, role=role.name, policy=document, opts=child) for logical, document in (inline or {}).items()
    )
    for logical, arn in (managed or {}).items():
        aws.iam.RolePolicyAttachment(logical, role=role.name, policy_arn=arn, opts=child)
    association = aws.eks.PodIdentityAssociation(
        names.association,
        cluster_name=cluster_name,
        namespace=namespace,
        service_account=service_account,
        role_arn=role.arn,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(association_after)) if association_after else child,
    )
    return PodIdentity(role=role, association=association, inline=policies)
