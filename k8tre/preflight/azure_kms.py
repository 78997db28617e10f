"""Preflight rule for KMS encryption of AKS's etcd Secrets with a customer-managed key in a private vault."""

from __future__ import annotations

import re

from ..offline.graph import Graph, RecordedResource
from ..policies.registry import Evaluation
from . import azure_graph as ag
from .registry import PreflightContext, preflight_rule

VAULT = "azure-native:keyvault:Vault"
KEY = "azure-native:keyvault:Key"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
KEY_VAULT_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
"""Built-in role 'Key Vault Crypto User'."""
KEY_VAULT_CONTRIBUTOR = "f25e0fa2-a7c8-4377-a976-54943a77a395"
"""Built-in role 'Key Vault Contributor'."""
_VERSIONLESS_KEY = re.compile(r"^https://[^/]+\.vault\.azure\.net/keys/[^/]+$")
"""A key URI without a version segment: AKS then follows the key's rotation itself."""


def _identities(graph: Graph, cluster: RecordedResource) -> set[str]:
    by_id = {r.id: r.urn for r in graph.resources if r.id}
    assigned = (cluster.inputs.get("identity") or {}).get("userAssignedIdentities") or {}
    return {by_id[i] for i in assigned if i in by_id}


def _key_problems(kms: dict[str, object], keys: list[RecordedResource]) -> list[str]:
    problems = []
    key_id = str(kms.get("keyId") or "")
    if not _VERSIONLESS_KEY.match(key_id):
        problems.append(f"keyId {key_id!r} is not a versionless Key Vault key URI")
    if kms.get("keyVaultNetworkAccess") != "Private":
        problems.append("the key vault is not private (keyVaultNetworkAccess)")
    vault_name = key_id.removeprefix("https://").split(".", 1)[0]
    if not any(k.inputs.get("vaultName") == vault_name and k.inputs.get("keyName") == key_id.rsplit("/", 1)[-1] for k in keys):
        problems.append(f"no key of this render is {key_id!r}")
    return problems


def _vault_problems(vault: RecordedResource | None) -> list[str]:
    if vault is None:
        return ["keyVaultResourceId names no vault of this render"]
    props = vault.inputs.get("properties") or {}
    acls = props.get("networkAcls") or {}
    problems = []
    if props.get("publicNetworkAccess") != "Disabled" or acls.get("defaultAction") != "Deny":
        problems.append("the key's vault is reachable from public networks")
    if acls.get("bypass") != "AzureServices":
        problems.append("the key's vault does not let trusted Azure services (AKS's KMS plugin) through its firewall")
    if props.get("enablePurgeProtection") is not True:
        problems.append("the key's vault has no purge protection: a purged key loses every Secret")
    return problems


@preflight_rule(
    "azure-aks-kms-etcd-encryption",
    cloud="azure",
    constraint="An AKS cluster encrypts its Secrets in etcd with a customer-managed key (KMS data encryption, "
    "Kubernetes 1.33+): a versionless key ID, a private vault (public access disabled, trusted services allowed, purge "
    "protection), and the cluster's identity holding Key Vault Crypto User and Key Vault Contributor on the vault "
    "before the cluster is created.",
    source="https://learn.microsoft.com/azure/aks/kms-data-encryption",
)
def kms_etcd_encryption(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each cluster's KMS profile, the vault it names, and the roles its identity holds there."""
    evaluation = Evaluation()
    vaults = {v.id: v for v in graph.of_type(VAULT)}
    keys = graph.of_type(KEY)
    assignments = graph.of_type(ROLE_ASSIGNMENT)
    for cluster in graph.of_type(*ag.MANAGED_CLUSTER):
        security = cluster.inputs.get("securityProfile") or {}
        kms = security.get("azureKeyVaultKms") or {}
        evaluation.check(cluster.urn, kms.get("enabled") is True, "KMS encryption of etcd Secrets is off")
        if kms.get("enabled") is not True:
            continue
        encryption = (security.get("kubernetesResourceObjectEncryptionProfile") or {}).get("infrastructureEncryption")
        evaluation.check(cluster.urn, encryption == "Enabled", "kubernetesResourceObjectEncryptionProfile is not Enabled")
        vault_id = str(kms.get("keyVaultResourceId") or "")
        for problem in _key_problems(kms, keys) + _vault_problems(vaults.get(vault_id)):
            evaluation.check(cluster.urn, False, problem)
        identities = _identities(graph, cluster)
        for role, label in ((KEY_VAULT_CRYPTO_USER, "Key Vault Crypto User"), (KEY_VAULT_CONTRIBUTOR, "Key Vault Contributor")):
            grants = [
                a
                for a in assignments
                if identities & set(a.dependencies)
                and str(a.inputs.get("roleDefinitionId", "")).endswith(role)
                and a.inputs.get("scope") == vault_id
            ]
            evaluation.check(cluster.urn, bool(grants), f"the cluster's identity lacks {label} on the key's vault")
            before = all(a.urn in cluster.options.depends_on for a in grants)
            evaluation.check(cluster.urn, before, f"the cluster does not wait for its {label} role")
    return evaluation
