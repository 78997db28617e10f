"""Key Vault and storage accounts: private, encrypted, protected in prod."""

from __future__ import annotations

import functools

import pulumi
from pulumi_azure_native import keyvault, resources, storage

from ...config import AzureClusterConfig
from ...naming import AzureNames
from ...stage import Stage
from .account import AzureAccount
from .hub import HubFacts
from .logs import audit_logs
from .private_endpoint import private_endpoint

INFRASTRUCTURE_ENCRYPTION = "encryption.requireInfrastructureEncryption"
"""The create-only property (https://learn.microsoft.com/azure/storage/common/infrastructure-encryption-enable)."""


def _encryption(infrastructure: bool) -> storage.EncryptionArgsDict:
    """Microsoft-managed keys for blobs and files, and the second, infrastructure-level encryption when chosen."""
    return {
        "key_source": storage.KeySource.MICROSOFT_STORAGE,
        "require_infrastructure_encryption": infrastructure,
        "services": {
            "blob": {"enabled": True, "key_type": storage.KeyType.ACCOUNT},
            "file": {"enabled": True, "key_type": storage.KeyType.ACCOUNT},
        },
    }


STORAGE_ACCOUNTS = {"core": False, "workspace": True}
"""Storage accounts by role; True where Data Lake hierarchical namespaces are needed (research workspaces)."""


class DataServices(pulumi.ComponentResource):
    """The environment's Key Vault and storage accounts, each reachable only through private endpoints."""

    def __init__(
        self,
        name: str,
        config: AzureClusterConfig,
        hub: HubFacts,
        group: resources.ResourceGroup,
        endpoints_subnet_id: pulumi.Input[str],
        stage: Stage,
        account: AzureAccount,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:DataServices", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        names = AzureNames(stage.slug)  # globally unique names: k8tre.naming.global_name
        self.vault = keyvault.Vault(
            f"{name}-kv",
            resource_group_name=group.name,
            vault_name=account.subscription_id.apply(lambda sub: names.key_vault(sub, config.location)),
            location=config.location,
            properties={
                "tenant_id": account.tenant_id,
                "sku": {"family": keyvault.SkuFamily.A, "name": keyvault.SkuName.STANDARD},
                "enable_rbac_authorization": True,  # access by Entra ID roles, never by vault access policies
                "enable_purge_protection": True,
                "enable_soft_delete": True,
                "soft_delete_retention_in_days": 90,
                "public_network_access": "Disabled",
                "network_acls": {"bypass": "None", "default_action": "Deny"},
            },
            tags=dict(stage.tags),
            opts=stage.stateful(child),
        )
        private_endpoint(
            f"{name}-kv-pe",
            resource_group_name=group.name,
            location=config.location,
            subnet_id=endpoints_subnet_id,
            target_id=self.vault.id,
            group_id="vault",
            dns_zone_id=hub.private_dns_zone_ids["keyVault"],
            parent=self,
        )
        self.accounts: dict[str, storage.StorageAccount] = {}
        for role, hierarchical in STORAGE_ACCOUNTS.items():
            storage_account = storage.StorageAccount(
                f"{name}-st-{role}",
                resource_group_name=group.name,
                account_name=account.subscription_id.apply(functools.partial(names.storage_account, role)),
                location=config.location,
                kind="StorageV2",
                sku={"name": "Standard_ZRS"},
                allow_blob_public_access=False,
                allow_shared_key_access=False,  # Entra ID only: no account keys to leak
                minimum_tls_version="TLS1_2",
                enable_https_traffic_only=True,
                is_hns_enabled=hierarchical,
                public_network_access="Disabled",
                network_rule_set={"default_action": storage.DefaultAction.DENY, "bypass": "None"},
                encryption=_encryption(config.storage_infrastructure_encryption),
                tags=dict(stage.tags),
                # Infrastructure encryption is create-only: a change is planned as the replacement it would need,
                # which prod's protection refuses (docs/azure.md), rather than sent to ARM as an update it rejects.
                opts=stage.stateful(pulumi.ResourceOptions(parent=self, replace_on_changes=[INFRASTRUCTURE_ENCRYPTION])),
            )
            # Data Lake (hierarchical) accounts are also reached on their dfs endpoint.
            groups = ("blob", "file", "dfs") if hierarchical else ("blob", "file")
            for group_id, zone in ((g, g) for g in groups):
                private_endpoint(
                    f"{name}-st-{role}-{group_id}",
                    resource_group_name=group.name,
                    location=config.location,
                    subnet_id=endpoints_subnet_id,
                    target_id=storage_account.id,
                    group_id=group_id,
                    dns_zone_id=hub.private_dns_zone_ids[zone],
                    parent=self,
                )
            self._protect_blobs(f"{name}-st-{role}", group, storage_account, versioning=not hierarchical)
            for service in ("blob", "file"):
                # An account's data-plane logs are its services' own: one setting per service
                # (https://learn.microsoft.com/azure/storage/blobs/monitor-blob-storage).
                uri = pulumi.Output.concat(storage_account.id, f"/{service}Services/default")
                audit_logs(f"{name}-st-{role}-{service}", uri, hub.log_analytics_workspace_id, self)
            self.accounts[role] = storage_account
        self.register_outputs({"vaultId": self.vault.id})

    def _protect_blobs(
        self, name: str, group: resources.ResourceGroup, account: storage.StorageAccount, *, versioning: bool
    ) -> None:
        """Deleted blobs and deleted containers stay recoverable for 30 days; on flat accounts, overwritten ones too.

        Microsoft's data protection baseline: blob and container soft delete, and blob
        versioning (https://learn.microsoft.com/azure/storage/blobs/data-protection-overview).
        Soft delete works with a hierarchical namespace (Data Lake); versioning does not
        (https://learn.microsoft.com/azure/storage/blobs/storage-feature-support-in-storage-accounts).
        """
        storage.BlobServiceProperties(
            f"{name}-blob-protection",
            resource_group_name=group.name,
            account_name=account.name,
            blob_services_name="default",
            delete_retention_policy={"enabled": True, "days": 30},
            container_delete_retention_policy={"enabled": True, "days": 30},
            is_versioning_enabled=versioning or None,
            opts=pulumi.ResourceOptions(parent=self),
        )
