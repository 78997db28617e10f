"""Preflight rules for Azure Storage: data protection and audit logs, as Microsoft's storage baseline asks."""

from __future__ import annotations

from ..offline.graph import Graph, RecordedResource
from ..policies.registry import Evaluation
from . import azure_graph as ag
from .registry import PreflightContext, preflight_rule

STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
INFRASTRUCTURE_ENCRYPTION = "encryption.requireInfrastructureEncryption"
"""The create-only property, as a ``replaceOnChanges`` path."""
MIN_RETENTION_DAYS = 7
"""Microsoft's default soft-delete retention, the least the rule accepts."""


def _same_account(service: RecordedResource, account: RecordedResource) -> bool:
    return (service.inputs.get("accountName"), service.inputs.get("resourceGroupName")) == (
        account.inputs.get("accountName"),
        account.inputs.get("resourceGroupName"),
    )


def _retained(policy: object) -> bool:
    return isinstance(policy, dict) and policy.get("enabled") is True and int(policy.get("days") or 0) >= MIN_RETENTION_DAYS


@preflight_rule(
    "azure-storage-blob-data-protection",
    cloud="azure",
    constraint="A storage account keeps deleted blobs and containers (soft delete, at least 7 days) and, without a "
    "hierarchical namespace (which does not support it), earlier blob versions (versioning), so deleted or overwritten "
    "data can be recovered.",
    source="https://learn.microsoft.com/azure/storage/blobs/data-protection-overview#recommendations-for-basic-data-protection",
)
def blob_data_protection(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each account's blob service has blob and container soft delete on, and a flat account's versioning too."""
    evaluation = Evaluation()
    services = graph.of_type(BLOB_SERVICE)
    for account in graph.of_type(STORAGE_ACCOUNT):
        # Versioning is not offered with a hierarchical namespace (Data Lake); soft delete is
        # (https://learn.microsoft.com/azure/storage/blobs/storage-feature-support-in-storage-accounts).
        versioned = not account.inputs.get("isHnsEnabled")
        mine = [s.inputs for s in services if _same_account(s, account)]
        evaluation.check(
            account.urn,
            any(
                _retained(s.get("deleteRetentionPolicy"))
                and _retained(s.get("containerDeleteRetentionPolicy"))
                and (s.get("isVersioningEnabled") is True or not versioned)
                for s in mine
            ),
            "blob or container soft delete is off" + (", or blob versioning" if versioned else ""),
        )
    return evaluation


@preflight_rule(
    "azure-storage-infrastructure-encryption",
    cloud="azure",
    constraint="A storage account encrypts its data twice, at the service and the infrastructure level "
    "(encryption.requireInfrastructureEncryption), which can be set only when the account is created; a change is "
    "planned as a replacement (replaceOnChanges), never sent as an update ARM refuses.",
    source="https://learn.microsoft.com/azure/storage/common/infrastructure-encryption-enable",
    severity="warning",
)
def infrastructure_encryption(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each account asks for infrastructure encryption, and a change of it would be planned as a replacement."""
    evaluation = Evaluation()
    for account in graph.of_type(STORAGE_ACCOUNT):
        encryption = account.inputs.get("encryption") or {}
        evaluation.check(
            account.urn,
            encryption.get("requireInfrastructureEncryption") is True,
            "infrastructure encryption is off (k8tre:cluster.storageInfrastructureEncryption: a create-only decision)",
        )
        evaluation.check(
            account.urn,
            INFRASTRUCTURE_ENCRYPTION in account.options.replace_on_changes,
            f"a change of {INFRASTRUCTURE_ENCRYPTION} would be sent to ARM as an update, which it refuses",
        )
    return evaluation


@preflight_rule(
    "azure-storage-diagnostics",
    cloud="azure",
    constraint="A storage account's blob and file services each have a diagnostic setting sending their resource logs "
    "(reads, writes, deletes) to a Log Analytics workspace; the account itself has none to send.",
    source="https://learn.microsoft.com/azure/storage/blobs/monitor-blob-storage",
)
def storage_diagnostics(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each account's blob and file service logs reach a workspace."""
    evaluation = Evaluation()
    settings = graph.of_type(*ag.DIAGNOSTIC_SETTING)
    for account in graph.of_type(STORAGE_ACCOUNT):
        for service in ("blob", "file"):
            uri = f"{account.id}/{service}Services/default".lower()
            logged = any(
                str(s.inputs.get("resourceUri", "")).lower() == uri
                and s.inputs.get("workspaceId")
                and any(entry.get("enabled", True) for entry in s.inputs.get("logs") or [])
                for s in settings
            )
            evaluation.check(account.urn, logged, f"no diagnostic setting sends the {service} service's logs to a workspace")
    return evaluation
