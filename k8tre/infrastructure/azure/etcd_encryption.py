"""KMS encryption of the cluster's etcd secrets with a customer-managed key in a private Key Vault.

AKS's KMS data encryption (Kubernetes 1.33 and later; ``securityProfile.azureKeyVaultKms`` with
``kubernetesResourceObjectEncryptionProfile``) encrypts every Secret before it reaches etcd with a
data key wrapped by a key in Key Vault. With ``keyVaultNetworkAccess: Private`` the vault has public
network access disabled and AKS reaches it through Key Vault's trusted-services exception (private
endpoints are not supported for this); the cluster's own identity needs *Key Vault Crypto User* and
*Key Vault Contributor* on the vault, and the key ID is given without a version so that rotation
needs no cluster update (https://learn.microsoft.com/azure/aks/kms-data-encryption,
https://learn.microsoft.com/azure/aks/kms-data-encryption-concepts).

The key lives in a vault of its own: the trusted-services exception it needs then opens nothing
else (the environment's secrets vault keeps ``bypass: None``). Deleting the key or the vault makes
every Secret unrecoverable, so both are protected in prod and the vault has purge protection.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, keyvault, resources

from ...config import AzureClusterConfig
from ...naming import AzureNames
from ...stage import Stage
from .account import AzureAccount
from .identities import role_definition_id
from .propagation import propagation_wait

KEY_VAULT_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
"""Built-in role 'Key Vault Crypto User': encrypt and decrypt with the vault's keys."""
KEY_VAULT_CONTRIBUTOR = "f25e0fa2-a7c8-4377-a976-54943a77a395"
"""Built-in role 'Key Vault Contributor': manage the vault (AKS reads its network settings)."""
KEY_VAULT_CRYPTO_OFFICER = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603"
"""Built-in role 'Key Vault Crypto Officer': create keys and set their rotation policy (the deployer)."""

KEY_NAME = "etcd-kek"
"""The key-encryption key of the cluster's Secrets."""
ROTATE_AFTER = "P180D"
"""Key Vault makes a new key version this long after the current one was created."""
VERSION_LIFETIME = "P2Y"
"""Each version's expiry: KMS keeps decrypting with the previous version until Secrets are rewritten, so a version
must outlive at least the next rotation (https://learn.microsoft.com/azure/aks/use-kms-etcd-encryption#rotate-existing-keys-in-a-public-key-vault)."""
NOTIFY_BEFORE_EXPIRY = "P30D"
"""Event Grid notice before a version expires."""


@dataclass(frozen=True)
class EtcdKey:
    """What the cluster's ``securityProfile`` needs, and what it must wait for."""

    vault_id: pulumi.Output[str]
    """Resource ID of the key's vault (``keyVaultResourceId``)."""
    key_id: pulumi.Output[str]
    """The key's versionless URI (``keyId``), so rotation needs no cluster update."""
    grants: list[pulumi.Resource]
    """Role assignments that must exist before the cluster is created."""


def rotation_policy() -> keyvault.RotationPolicyArgsDict:
    """Rotate every 180 days, each version valid two years, notify 30 days before a version expires."""
    return {
        "attributes": {"expiry_time": VERSION_LIFETIME},
        "lifetime_actions": [
            {"trigger": {"time_after_create": ROTATE_AFTER}, "action": {"type": keyvault.KeyRotationPolicyActionType.ROTATE}},
            {
                "trigger": {"time_before_expiry": NOTIFY_BEFORE_EXPIRY},
                "action": {"type": keyvault.KeyRotationPolicyActionType.NOTIFY},
            },
        ],
    }


class EtcdEncryption(pulumi.ComponentResource):
    """A private vault holding the etcd key, its rotation policy, and the roles the cluster and deployer need on it."""

    key: EtcdKey
    """Handed to the cluster."""

    def __init__(
        self,
        name: str,
        group: resources.ResourceGroup,
        config: AzureClusterConfig,
        control_plane_principal_id: pulumi.Input[str],
        stage: Stage,
        account: AzureAccount,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:EtcdEncryption", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        names = AzureNames(stage.slug)
        location, deployer_type = config.location, config.deployer_principal_type
        vault = keyvault.Vault(
            f"{name}-kv",
            resource_group_name=group.name,
            vault_name=account.subscription_id.apply(lambda sub: names.kms_key_vault(sub, location)),
            location=location,
            properties={
                "tenant_id": account.tenant_id,
                "sku": {"family": keyvault.SkuFamily.A, "name": keyvault.SkuName.STANDARD},
                "enable_rbac_authorization": True,
                "enable_purge_protection": True,  # a purged key is every Secret lost
                "enable_soft_delete": True,
                "soft_delete_retention_in_days": 90,
                # No public network; only trusted Azure services (AKS's KMS plugin) pass the firewall.
                "public_network_access": "Disabled",
                "network_acls": {"bypass": "AzureServices", "default_action": "Deny"},
            },
            tags=dict(stage.tags),
            opts=stage.stateful(child),
        )
        sub = account.subscription_id
        grants: list[pulumi.Resource] = [
            authorization.RoleAssignment(
                f"{name}-{part}",
                principal_id=principal,
                principal_type=principal_type,
                role_definition_id=role_definition_id(sub, role),
                scope=vault.id,
                opts=child,
            )
            for part, principal, principal_type, role in (
                ("cluster-crypto-user", control_plane_principal_id, "ServicePrincipal", KEY_VAULT_CRYPTO_USER),
                ("cluster-contributor", control_plane_principal_id, "ServicePrincipal", KEY_VAULT_CONTRIBUTOR),
                ("deployer-crypto-officer", account.object_id, deployer_type, KEY_VAULT_CRYPTO_OFFICER),
            )
        ]
        # The deployer's Crypto Officer role must be honoured before it creates the key, and the cluster's two
        # roles before AKS (which waits for the key) first uses it: one wait for all three.
        after = propagation_wait(name, grants, config.rbac_propagation_seconds, self)
        key = keyvault.Key(
            f"{name}-key",
            resource_group_name=group.name,
            vault_name=vault.name,
            key_name=KEY_NAME,
            properties={
                "kty": keyvault.JsonWebKeyType.RSA,
                "key_size": 2048,
                "key_ops": [keyvault.JsonWebKeyOperation.ENCRYPT, keyvault.JsonWebKeyOperation.DECRYPT],
                "rotation_policy": rotation_policy(),
            },
            tags=dict(stage.tags),
            opts=stage.stateful(pulumi.ResourceOptions(parent=self, depends_on=after)),
        )
        self.key = EtcdKey(vault_id=vault.id, key_id=key.key_uri, grants=[*grants, key])
        self.register_outputs({"vaultId": vault.id, "keyId": key.key_uri})
