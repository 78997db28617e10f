"""The backup object store on AWS: an encrypted, versioned, private S3 bucket and Velero's Pod Identity role for it."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from ...naming import AwsNames
from ...stage import Stage
from ..cluster import ObjectStore, WorkloadIdentity
from ..service_facts import DATABASE_SERVICE_ACCOUNTS
from .pod_identity import PodIdentityNames, pod_identity_role

VELERO_NAMESPACE = "velero"
VELERO_SERVICE_ACCOUNT = "velero"
"""The service account Velero's server and node agent run as (velero chart value ``serviceAccount.server.name``)."""
POD_IDENTITY_AGENT = "169.254.170.23/32"
"""Where the EKS Pod Identity Agent hands pods their credentials (EKS docs, "Learn how EKS Pod Identity
grants pods access to AWS services": the agent listens on 169.254.170.23 port 80 on every node)."""
NONCURRENT_DAYS = 30
"""Overwritten or deleted objects are kept this long as noncurrent versions before S3 removes them."""
BUCKET_ACTIONS = ("s3:ListBucket",)
OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")
"""What Velero needs on its bucket and objects (velero-plugin-for-aws README, "Set permissions for Velero";
the EC2 snapshot actions are left out: volumes are backed up to the bucket by the node agent)."""
KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
"""What writing and reading SSE-KMS objects takes on the bucket's key (S3 docs, "Using server-side encryption
with AWS KMS keys": permissions)."""


def velero_policy(bucket_arn: str, key_arn: str) -> str:
    """Velero's permissions: its one bucket, its objects, and the bucket's key; nothing else."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": list(BUCKET_ACTIONS), "Resource": [bucket_arn]},
                {"Effect": "Allow", "Action": list(OBJECT_ACTIONS), "Resource": [f"{bucket_arn}/*"]},
                {"Effect": "Allow", "Action": list(KEY_ACTIONS), "Resource": [key_arn]},
            ],
        }
    )


def tls_only_policy(bucket_arn: str) -> str:
    """Refuse every request that is not over TLS (S3 docs, "Security best practices": enforce encryption in transit)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


class S3BackupStore(pulumi.ComponentResource):
    """The backup bucket: SSE-KMS with its own key, versioned, public access blocked, TLS only, protected in prod."""

    store: ObjectStore
    """The facts the agnostics layer hands to Velero and the database backups."""

    def __init__(
        self, name: str, cluster_name: pulumi.Input[str], region: str, stage: Stage, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("k8tre:infrastructure:S3BackupStore", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"Encryption of {stage.slug}'s backups",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=dict(stage.tags),
            opts=stage.stateful(child),
        )
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=account.account_id.apply(lambda account_id: AwsNames(stage.slug).backup_bucket(account_id, region)),
            force_destroy=False,  # a bucket holding backups is never emptied by a destroy
            tags=dict(stage.tags),
            opts=stage.stateful(child),
        )
        after = pulumi.ResourceOptions(parent=self, depends_on=[self.bucket])
        self.public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=after,
        )
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": self.key.arn},
                    "bucket_key_enabled": True,  # fewer KMS calls per object (S3 docs, "S3 Bucket Keys")
                }
            ],
            opts=after,
        )
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=self.bucket.id, versioning_configuration={"status": "Enabled"}, opts=after
        )
        # Velero deletes expired backups itself; the lifecycle only clears what versioning and failed uploads leave.
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=[
                {
                    "id": "noncurrent-and-incomplete",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_DAYS},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.versioning]),
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=self.bucket.id,
            policy=self.bucket.arn.apply(tls_only_policy),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access]),
        )
        identity = pod_identity_role(
            PodIdentityNames(role=f"{name}-velero-role", association=f"{name}-velero-identity"),
            parent=self,
            cluster_name=cluster_name,
            namespace=VELERO_NAMESPACE,
            service_account=VELERO_SERVICE_ACCOUNT,
            tags=stage.tags,
            inline={
                f"{name}-velero-policy": pulumi.Output.all(self.bucket.arn, self.key.arn).apply(
                    lambda arns: velero_policy(arns[0], arns[1])
                )
            },
        )
        (self.policy,) = identity.inline
        for namespace, service_account in DATABASE_SERVICE_ACCOUNTS:
            # Database backups (CloudNativePG's Barman Cloud plugin) write to the same bucket with the same role.
            aws.eks.PodIdentityAssociation(
                f"{name}-{namespace}-{service_account}-identity",
                cluster_name=cluster_name,
                namespace=namespace,
                service_account=service_account,
                role_arn=identity.role.arn,
                tags=dict(stage.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
        # The plugin's AWS SDK uses the regional virtual-hosted name; Kopia's minio-go client (the node agent's
        # uploads) the dual-stack one, on by default (minio-go api.go, s3DualstackEnabled).
        host = pulumi.Output.concat(self.bucket.bucket, f".s3.{region}.amazonaws.com")
        dualstack = pulumi.Output.concat(self.bucket.bucket, f".s3.dualstack.{region}.amazonaws.com")
        self.store = ObjectStore(
            api="s3",
            bucket=self.bucket.bucket,
            endpoint="",
            region=region,
            hosts=(host, dualstack),
            # Pod Identity needs nothing on the service account: EKS injects the credentials endpoint into pods
            # of an associated service account (EKS docs, "EKS Pod Identity").
            identity=WorkloadIdentity(service_account_annotations={}, pod_labels={}),
            identity_cidrs=(POD_IDENTITY_AGENT,),
        )
        self.register_outputs({"bucket": self.bucket.bucket})
