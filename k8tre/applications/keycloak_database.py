"""Keycloak's database: a CloudNativePG cluster (``PostgresDatabase``) backing up to the platform's object store.

The backup target is derived from the platform's ``ObjectStore`` facts, not from the cloud's name: a
blob container reached with a workload identity (Azure), a bucket reached through EKS Pod Identity
(AWS), or the in-cluster S3 gateway reached with a key pair the platform delivers (SeaweedFS on K3s).
"""

from __future__ import annotations

from typing import Final

import pulumi

from ..agnostics import Platform
from ..agnostics.postgres import PostgresDatabase, PostgresSpec
from ..agnostics.postgres_backup import AwsPodIdentity, AzureWorkloadIdentity, BackupTarget, S3CredentialsSecret
from ..agnostics.seaweedfs import NAMESPACE as SEAWEEDFS_NAMESPACE
from ..agnostics.seaweedfs import S3_LABELS, S3_PORT
from ..config.layers import KeycloakSettings
from ..infrastructure import Cluster, ObjectStore
from ..infrastructure.service_facts import DATABASE_SERVICE_ACCOUNTS
from ..stage import Stage

NAMESPACE: Final = "keycloak"
DATABASE_CLUSTER: Final = "keycloak-db"
"""The CloudNativePG cluster's name: also its service account's (a cloud identity is federated to it)."""
PREFIX: Final = "postgres/keycloak"
"""Where in the store this database's base backups and WAL go."""
AZURE_CLIENT_ID: Final = "azure.workload.identity/client-id"
if (NAMESPACE, DATABASE_CLUSTER) not in DATABASE_SERVICE_ACCOUNTS:  # the cloud modules federate the identity to it
    raise RuntimeError(f"{NAMESPACE}/{DATABASE_CLUSTER} must be listed in service_facts.DATABASE_SERVICE_ACCOUNTS")


def _in_cluster_rule() -> dict[str, object]:
    """Egress to the S3 gateway's pods: a name policy cannot follow a Service to its endpoints."""
    peer = {"k8s:io.kubernetes.pod.namespace": SEAWEEDFS_NAMESPACE, **{f"k8s:{k}": v for k, v in S3_LABELS.items()}}
    return {"toEndpoints": [{"matchLabels": peer}], "toPorts": [{"ports": [{"port": str(S3_PORT), "protocol": "TCP"}]}]}


def backup_target(store: ObjectStore) -> pulumi.Output[BackupTarget]:
    """Where the database's backups go in ``store``, and how its instances authenticate there."""
    if store.credentials is not None:
        keys = store.credentials
        auth = S3CredentialsSecret(keys.secret_name, keys.access_key_key, keys.secret_key_key)
        return pulumi.Output.all(store.bucket, store.endpoint).apply(
            lambda v: BackupTarget(f"s3://{v[0]}/{PREFIX}", auth, endpoint_url=str(v[1]), egress_rules=(_in_cluster_rule(),))
        )
    if store.api == "azure-blob":
        annotations = store.identity.service_account_annotations if store.identity else {}
        client_id = annotations.get(AZURE_CLIENT_ID, "")
        return pulumi.Output.all(store.endpoint, store.bucket, client_id).apply(
            lambda v: BackupTarget(
                f"{str(v[0]).rstrip('/')}/{v[1]}/{PREFIX}",
                AzureWorkloadIdentity(str(v[2])),
                egress_fqdns=tuple(store.identity_hosts),
            )
        )
    return pulumi.Output.from_input(store.bucket).apply(lambda bucket: BackupTarget(f"s3://{bucket}/{PREFIX}", AwsPodIdentity()))


def keycloak_database(
    name: str,
    namespace: str,
    namespace_resource: pulumi.Resource,
    settings: KeycloakSettings,
    cluster: Cluster,
    platform: Platform,
    stage: Stage,
    parent: pulumi.Resource,
) -> PostgresDatabase:
    """The database, protected in prod (``PostgresDatabase`` protects the cluster and its password)."""
    after: list[pulumi.Resource] = [namespace_resource, *platform.databases_ready]
    if platform.object_store_grant is not None:
        # The in-cluster store: its key pair in this namespace, and its S3 gateway open to this namespace.
        after.append(platform.object_store_grant(namespace, [namespace_resource]).ready)
    spec = PostgresSpec(
        namespace=namespace,
        database="keycloak",
        owner="keycloak",
        backup=backup_target(platform.object_store),
        size=f"{settings.database_size_gib}Gi",
        retention_days=settings.backup_retention_days,
        region=platform.object_store.region,
    )
    return PostgresDatabase(
        name, DATABASE_CLUSTER, spec, cluster, stage, depends_on=after, opts=pulumi.ResourceOptions(parent=parent)
    )
