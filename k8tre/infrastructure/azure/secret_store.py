"""The environment's Key Vault as External Secrets' store, and the writer that puts generated values into it.

External Secrets reads the vault as its own workload identity (``external-secrets``, "Key Vault Secrets
User" on this vault only: ``identities.py``); the deployer writes generated values through ARM. ARM's
``Microsoft.KeyVault/vaults/secrets`` write is a management-plane operation: it needs the resource write
permission the deployer already has, and is not subject to the vault's network rules, so it reaches a vault
whose public access is off (https://learn.microsoft.com/azure/templates/microsoft.keyvault/vaults/secrets;
https://learn.microsoft.com/azure/key-vault/secrets/quick-create-template). The value never returns from ARM.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlparse

import pulumi
from pulumi_azure_native import keyvault

from ...stage import Stage
from ..cluster import SecretStoreFacts, StoredSecret, json_secret

NAMESPACE = "external-secrets"
SERVICE_ACCOUNT = "external-secrets"
"""The operator's namespace and service account: the federated credential's subject (``identities.py``)."""
_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")
"""Key Vault object names: letters, digits and dashes, 1 to 127 (ARM template reference, vaults/secrets name)."""


def vault_secret_name(entry: str) -> str:
    """The Key Vault name for a store entry: dots (allowed in Kubernetes names) become dashes."""
    name = entry.replace(".", "-")
    if not _NAME.match(name):
        raise ValueError(f"secret store entry {entry!r} cannot be a Key Vault secret name (letters, digits, dashes; 1-127)")
    return name


def key_vault_store(
    vault: keyvault.Vault, resource_group_name: pulumi.Input[str], tenant_id: pulumi.Input[str], stage: Stage
) -> SecretStoreFacts:
    """External Secrets' ``azurekv`` provider over ``vault`` with workload identity, and its writer.

    ``serviceAccountRef`` names the operator's own service account, whose ``azure.workload.identity/client-id``
    annotation names the identity; External Secrets asks the API server for that account's token and exchanges
    it with Entra ID (External Secrets docs, Azure Key Vault, "Workload Identity":
    https://external-secrets.io/latest/provider/azure-key-vault/). The vault URL is what ARM reports
    (``properties.vaultUri``), so the store names the vault this stack created; its name resolves to the private
    endpoint through the hub's ``privatelink.vaultcore.azure.net`` zone.
    """
    properties = vault.properties
    vault_url = properties.apply(lambda p: str(p.vault_uri or ""))
    host = vault_url.apply(lambda url: urlparse(url).hostname or "")

    def write(
        name: str,
        entry: str,
        values: Mapping[str, pulumi.Input[str]],
        parent: pulumi.Resource,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> StoredSecret:
        # One vault secret per entry, its value a JSON object of the generated values: each is a `property`
        # of the entry for External Secrets (External Secrets docs, Azure Key Vault, "JSON secret").
        document = json_secret(values)
        secret = keyvault.Secret(
            name,
            resource_group_name=resource_group_name,
            vault_name=vault.name,
            secret_name=vault_secret_name(entry),
            properties=keyvault.SecretPropertiesArgs(value=document, content_type="application/json"),
            # The record of a generated password: losing it loses the password, so it is protected in prod.
            opts=stage.stateful(pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on))),
        )
        return StoredSecret(key=vault_secret_name(entry), written=secret)

    return SecretStoreFacts(
        kind="azurekv",
        provider={
            "authType": "WorkloadIdentity",
            "environmentType": "PublicCloud",
            "vaultUrl": vault_url,
            "tenantId": tenant_id,
            "serviceAccountRef": {"name": SERVICE_ACCOUNT, "namespace": NAMESPACE},
        },
        write=write,
        # The vault (through its private endpoint) and Entra ID, where the service account's token is exchanged.
        endpoint_fqdns=(host, "login.microsoftonline.com"),
    )
