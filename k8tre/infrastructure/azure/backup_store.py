"""The backup object store on Azure: a Blob container behind a private endpoint, and Velero's identity for it."""

from __future__ import annotations

import functools

import pulumi
from pulumi_azure_native import authorization, resources, storage

from ...naming import BACKUP_CONTAINER, AzureNames
from ...stage import Stage
from ..cluster import ObjectStore, WorkloadIdentity
from ..service_facts import DATABASE_SERVICE_ACCOUNTS
from .account import AzureAccount
from .data_services import INFRASTRUCTURE_ENCRYPTION
from .identities import federate, federated_identity, role_definition_id
from .logs import audit_logs
from .private_endpoint import private_endpoint

STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
"""Built-in role: read, write and delete blobs and containers (Azure built-in roles, Storage;
https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage#storage-blob-data-contributor)."""
VELERO_NAMESPACE = "velero"
VELERO_SERVICE_ACCOUNT = "velero"
"""The service account Velero's server and node agent run as (velero chart value ``serviceAccount.server.name``)."""
SOFT_DELETE_DAYS = 30
"""Deleted blobs and containers stay recoverable this long: a deleted backup can be undeleted."""


def blob_host(account_name: str) -> str:
    """The storage account's blob endpoint host in Azure's public cloud.

    The hub's private DNS zone ``privatelink.blob.core.windows.net`` answers it with the private
    endpoint's address (https://learn.microsoft.com/azure/private-link/private-endpoint-dns#storage).
    """
    return f"{account_name}.blob.core.windows.net"


class AzureBackupStore(pulumi.ComponentResource):
    """A storage account for backups only: private, Entra ID only, versioned, soft-deleting, protected in prod.

    Velero's managed identity is federated to its service account and holds Storage Blob Data
    Contributor on the one container, nothing on the account or elsewhere. Giving Velero the blob
    endpoint (``storageAccountURI``) spares it the Reader role it would otherwise need to look the
    endpoint up (velero-plugin-for-microsoft-azure README, "Use Azure AD Workload Identity", limitation
    on the Reader permission), and since plugin v1.13 only Restic, not Kopia, still needs listKeys
    (same README): shared keys stay disabled.
    """

    store: ObjectStore
    """The facts the agnostics layer hands to Velero and the database backups."""

    def __init__(
        self,
        name: str,
        group: resources.ResourceGroup,
        location: str,
        issuer_url: pulumi.Input[str],
        endpoints_subnet_id: pulumi.Input[str],
        blob_dns_zone_id: pulumi.Input[str],
        workspace_id: pulumi.Input[str],
        stage: Stage,
        account: AzureAccount,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:AzureBackupStore", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        names = AzureNames(stage.slug)
        self.account = storage.StorageAccount(
            f"{name}-account",
            resource_group_name=group.name,
            account_name=account.subscription_id.apply(functools.partial(names.storage_account, "backup")),
            location=location,
            kind="StorageV2",
            sku={"name": "Standard_ZRS"},
            allow_blob_public_access=False,
            allow_shared_key_access=False,  # Entra ID only: no account key exists to leak
            minimum_tls_version="TLS1_2",
            enable_https_traffic_only=True,
            public_network_access="Disabled",
            network_rule_set={"default_action": storage.DefaultAction.DENY, "bypass": "None"},
            encryption={
                "key_source": "Microsoft.Storage",
                "require_infrastructure_encryption": True,  # a second layer of encryption at rest
                "services": {"blob": {"enabled": True, "key_type": "Account"}},
            },
            tags=dict(stage.tags),
            # Infrastructure encryption is create-only: a change is planned as a replacement, which prod refuses.
            opts=stage.stateful(pulumi.ResourceOptions(parent=self, replace_on_changes=[INFRASTRUCTURE_ENCRYPTION])),
        )
        storage.BlobServiceProperties(
            f"{name}-protection",
            resource_group_name=group.name,
            account_name=self.account.name,
            blob_services_name="default",
            # Microsoft's data protection baseline for blobs
            # (https://learn.microsoft.com/azure/storage/blobs/data-protection-overview).
            delete_retention_policy={"enabled": True, "days": SOFT_DELETE_DAYS},
            container_delete_retention_policy={"enabled": True, "days": SOFT_DELETE_DAYS},
            is_versioning_enabled=True,
            opts=child,
        )
        self.container = storage.BlobContainer(
            f"{name}-container",
            resource_group_name=group.name,
            account_name=self.account.name,
            container_name=BACKUP_CONTAINER,  # checked by k8tre.naming LIMITS["blob-container"]
            public_access=storage.PublicAccess.NONE,
            opts=stage.stateful(child),
        )
        private_endpoint(
            f"{name}-blob",
            resource_group_name=group.name,
            location=location,
            subnet_id=endpoints_subnet_id,
            target_id=self.account.id,
            group_id="blob",
            dns_zone_id=blob_dns_zone_id,
            parent=self,
        )
        for service in ("blob", "file"):
            # Who read, wrote or deleted backups: the data-plane logs are each service's own
            # (https://learn.microsoft.com/azure/storage/blobs/monitor-blob-storage).
            uri = pulumi.Output.concat(self.account.id, f"/{service}Services/default")
            audit_logs(f"{name}-{service}", uri, workspace_id, self)
        identity = federated_identity(
            f"{name}-velero", group, location, "velero", VELERO_NAMESPACE, VELERO_SERVICE_ACCOUNT, issuer_url, stage, child
        )
        for namespace, service_account in DATABASE_SERVICE_ACCOUNTS:
            # Database backups (CloudNativePG's Barman Cloud plugin) write to the same container as the same identity.
            federate(
                f"{name}-{namespace}-{service_account}-federation", group, identity, namespace, service_account, issuer_url, child
            )
        self.role = authorization.RoleAssignment(
            f"{name}-velero-role",
            principal_id=identity.principal_id,
            principal_type="ServicePrincipal",
            role_definition_id=role_definition_id(account.subscription_id, STORAGE_BLOB_DATA_CONTRIBUTOR),
            scope=self.container.id,  # the container alone: not the account, group or subscription
            opts=child,
        )
        host = self.account.name.apply(blob_host)
        self.store = ObjectStore(
            api="azure-blob",
            bucket=self.container.name,
            endpoint=pulumi.Output.concat("https://", host, "/"),
            region=location,
            hosts=(host,),
            identity=WorkloadIdentity(
                service_account_annotations={"azure.workload.identity/client-id": identity.client_id},
                pod_labels={"azure.workload.identity/use": "true"},
            ),
            identity_hosts=("login.microsoftonline.com",),
            settings={
                "storageAccount": self.account.name,
                "resourceGroup": group.name,
                "subscriptionId": account.subscription_id,
            },
        )
        self.register_outputs({"account": self.account.name, "container": self.container.name})
