"""AWS Secrets Manager as External Secrets' store, read through EKS Pod Identity, and the writer into it.

The operator's service account is associated with an IAM role that only EKS Pod Identity may assume, only
for that namespace, service account and cluster, and that may read only this environment's secrets (names
under ``<slug>/``). No key is stored anywhere: the EKS Pod Identity Agent on each node hands the pod
short-lived credentials (https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ...stage import Stage
from ..cluster import SecretStoreFacts, StoredSecret, json_secret
from .pod_identity import PodIdentityNames, pod_identity_role

NAMESPACE = "external-secrets"
SERVICE_ACCOUNT = "external-secrets"
"""The operator's namespace and service account (the chart's default for release ``external-secrets``)."""
POD_IDENTITY_AGENT = "169.254.170.23"
"""Where the EKS Pod Identity Agent serves credentials on every node (port 80; EKS docs, "EKS Pod Identity
considerations"). Cilium sees it as the ``host`` entity, so a policy must allow ``host`` on 80, not the
address (cilium/cilium#34387)."""
READ_ACTIONS = (
    "secretsmanager:GetSecretValue",
    "secretsmanager:DescribeSecret",
    "secretsmanager:ListSecretVersionIds",
    "secretsmanager:GetResourcePolicy",
)
"""What External Secrets needs to read a secret (External Secrets docs, AWS Secrets Manager, "IAM Policy":
https://external-secrets.io/latest/provider/aws-secrets-manager/); no write, no list of the account's secrets."""


def secret_prefix(slug: str) -> str:
    """The start of every secret name of this environment (Secrets Manager names allow ``/``)."""
    return f"{slug}/"


def trust_policy(cluster_name: str) -> str:
    """Only EKS Pod Identity may assume the role, and only for the operator's service account on this cluster.

    EKS Pod Identity tags the session with the cluster, namespace and service account it acts for; conditions
    on those request tags pin the role to one association (EKS docs, "Create IAM role with trust policy
    required by EKS Pod Identity": https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html).
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                    "Condition": {
                        "StringEquals": {
                            "aws:RequestTag/eks-cluster-name": cluster_name,
                            "aws:RequestTag/kubernetes-namespace": NAMESPACE,
                            "aws:RequestTag/kubernetes-service-account": SERVICE_ACCOUNT,
                        }
                    },
                }
            ],
        }
    )


def read_policy(region: str, account: str, prefix: str) -> str:
    """Read access to this environment's secrets alone: ARNs under the prefix, in this region and account.

    A secret's ARN is its name followed by ``-`` and six random characters, so ``<prefix>*`` matches every
    secret named under the prefix and nothing else (Secrets Manager docs, "Secrets Manager resource ARNs":
    https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html).
    """
    if not prefix or prefix in ("*", "/") or "*" in prefix:
        raise ValueError(f"secret prefix {prefix!r} would grant more than this environment's secrets")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": list(READ_ACTIONS),
                    "Resource": f"arn:aws:secretsmanager:{region}:{account}:secret:{prefix}*",
                }
            ],
        }
    )


class SecretsManagerStore(pulumi.ComponentResource):
    """The operator's Pod Identity role and association, and the facts of its ``aws`` store."""

    facts: SecretStoreFacts
    """What the agnostics layer needs: the provider settings, the writer and the endpoint to allow."""

    def __init__(
        self,
        name: str,
        cluster: aws.eks.Cluster,
        region: str,
        stage: Stage,
        after: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:SecretsManagerStore", name, None, opts)
        prefix = secret_prefix(stage.slug)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        identity = pod_identity_role(
            PodIdentityNames(role=f"{name}-role", association=f"{name}-association"),
            parent=self,
            cluster_name=cluster.name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            tags=stage.tags,
            trust=cluster.name.apply(trust_policy),
            inline={f"{name}-read": account.apply(lambda acct: read_policy(region, acct, prefix))},
            # The association needs the agent on the nodes to mean anything (`after`).
            association_after=list(after),
        )
        role, self.association = identity.role, identity.association

        def write(
            name: str,
            entry: str,
            values: Mapping[str, pulumi.Input[str]],
            parent: pulumi.Resource,
            depends_on: Sequence[pulumi.Resource] = (),
        ) -> StoredSecret:
            secret = aws.secretsmanager.Secret(
                name,
                name=f"{prefix}{entry}",
                description=f"Generated by K8TRE for {entry} ({stage.slug})",
                # Deleted secrets stay recoverable for 30 days (the maximum), so a mistaken delete can be undone.
                recovery_window_in_days=30,
                tags=dict(stage.tags),
                opts=stage.stateful(pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on))),
            )
            # Each generated value is a key of the secret's JSON string, a `property` for External Secrets.
            document = json_secret(values)
            version = aws.secretsmanager.SecretVersion(
                f"{name}-value",
                secret_id=secret.id,
                secret_string=document,
                opts=pulumi.ResourceOptions(parent=parent),
            )
            return StoredSecret(key=f"{prefix}{entry}", written=version)

        provider: dict[str, Any] = {"service": "SecretsManager", "region": region}
        self.facts = SecretStoreFacts(
            kind="aws",
            # No `auth`: the AWS SDK's default chain finds the Pod Identity credentials (External Secrets docs,
            # AWS access, "Controller's Pod Identity": https://external-secrets.io/latest/provider/aws-access/).
            provider=provider,
            write=write,
            endpoint_fqdns=(f"secretsmanager.{region}.amazonaws.com",),
            extra_egress=({"toEntities": ["host"], "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}]}]},),
        )
        self.register_outputs({"roleArn": role.arn})
