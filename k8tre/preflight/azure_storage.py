"""Preflight rules for Azure Storage: data protection and audit logs, as Microsoft's storage baseline asks."""

from __future__ import annotations

from ..offline.graph import Graph, RecordedResource
from ..policies.registry import Evaluation
from . import azure_graph as ag
from .registry import PreflightContext, preflight_rule

STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
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
    constraint="A storage account without a hierarchical namespace keeps deleted blobs and containers (soft delete, at "
    "least 7 days) and earlier blob versions (versioning), so deleted or overwritten data can be recovered.",
    source="https://learn.microsoft.com/azure/storage/blobs/data-protection-overview#recommendations-for-basic-data-protection",
)
def blob_data_protection(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each flat account's blob service has blob and container soft delete and versioning on."""
    evaluation = Evaluation()
    services = graph.of_type(BLOB_SERVICE)
    for account in graph.of_type(STORAGE_ACCOUNT):
        if account.inputs.get("isHnsEnabled"):
            continue  # versioning is not offered with a hierarchical namespace (Data Lake); see docs/azure.md
        mine = [s.inputs for s in services if _same_account(s, account)]
        evaluation.check(
            account.urn,
            any(
                _retained(s.get("deleteRetentionPolicy"))
                and _retained(s.get("containerDeleteRetentionPolicy"))
                and s.get("isVersioningEnabled") is True
                for s in mine
            ),
            "blob or container soft delete, or blob versioning, is off",
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
