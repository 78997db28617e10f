"""Resilience rules: security logs kept, backups scheduled, state protected (SATRE 2.5.03, 2.6.01, 2.6.03, 2.2.03)."""

from __future__ import annotations

import re

from ...chart_lock import chart_name
from ...offline.graph import Graph, RecordedResource
from ..facts import is_prod, managed_clusters, objects, plain, text
from ..k3s_script import install_commands, script_of
from ..registry import Evaluation, rule
from .project_data import project_data_kept

MIN_RETENTION_DAYS = 30

STATEFUL_TYPES = frozenset(
    {
        "azure-native:resources:ResourceGroup",
        "azure-native:containerservice:ManagedCluster",
        "azure-native:containerservice/v20260502preview:ManagedCluster",
        "azure-native:dns:Zone",
        "azure-native:operationalinsights:Workspace",
        "azure-native:keyvault:Vault",
        "azure-native:keyvault:Key",
        "azure-native:storage:StorageAccount",
        "azure-native:privatedns:PrivateZone",
        "aws:eks/cluster:Cluster",
        "aws:kms/key:Key",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:efs/fileSystem:FileSystem",
    }
)
"""Resources whose loss loses data or evidence, or whose replacement is an outage."""


# Log categories that carry the AKS API server's audit events: the categories kube-audit and kube-audit-admin, or a
# category group holding them (Azure Monitor docs, "Supported logs for Microsoft.ContainerService/managedClusters";
# "Diagnostic settings in Azure Monitor": category groups audit and allLogs).
AKS_AUDIT_CATEGORIES = frozenset({"kube-audit", "kube-audit-admin"})
AKS_AUDIT_GROUPS = frozenset({"audit", "allLogs"})
# A destination is an ARM resource id of a Log Analytics workspace or a storage account (REST DiagnosticSettings:
# workspaceId, storageAccountId).
_WORKSPACE_ID = re.compile(r"/resourceGroups/([^/]+)/providers/Microsoft\.OperationalInsights/workspaces/([^/]+)$", re.I)
_STORAGE_ID = re.compile(r"/resourceGroups/[^/]+/providers/Microsoft\.Storage/storageAccounts/[^/]+$", re.I)


@rule(
    "security-logs",
    "The Kubernetes API audit log is collected into a log destination and kept for a stated period.",
    satre=("2.5.03",),
    severity="mandatory",
)
def security_logs(graph: Graph) -> Evaluation:
    """Each cluster's audit trail goes somewhere real and stays there long enough."""
    result = Evaluation()
    for cluster in managed_clusters(graph):
        with result.judging(cluster.urn, "diagnostic settings"):
            _aks_audit(result, graph, cluster)
    groups = graph.of_type("aws:cloudwatch/logGroup:LogGroup")
    for cluster in graph.of_type("aws:eks/cluster:Cluster"):
        with result.judging(cluster.urn, "enabledClusterLogTypes"):
            types = plain(cluster.inputs.get("enabledClusterLogTypes")) or []
            result.check(cluster.urn, "audit" in types, "EKS audit logging is off")
            # EKS writes control-plane logs to /aws/eks/<cluster>/cluster (EKS docs, "Send control plane logs to
            # CloudWatch Logs"); created by EKS itself it would keep them forever, unreviewed and unbudgeted.
            group = f"/aws/eks/{text(cluster.inputs.get('name'))}/cluster"
            kept = [g for g in groups if text(g.inputs.get("name")) == group]
            days = max((plain(g.inputs.get("retentionInDays")) or 0 for g in kept), default=0)
            result.check(cluster.urn, days >= MIN_RETENTION_DAYS, f"log group {group} is not created with a retention period")
    for command in install_commands(graph):
        with result.judging(command.urn, "K3s install script"):
            script = script_of(command)
            if script is not None and script.is_server:
                _k3s_audit(result, command.urn, script.apiserver_args())
    return result


def _aks_audit(result: Evaluation, graph: Graph, cluster: RecordedResource) -> None:
    # The cluster's ARM id, from what the program declared (ARM ids compare case-insensitively).
    expected = (
        f"/resourceGroups/{text(cluster.inputs.get('resourceGroupName'))}/providers/"
        f"Microsoft.ContainerService/managedClusters/{text(cluster.inputs.get('resourceName'))}"
    ).lower()
    settings = [
        s
        for s in graph.of_type("azure-native:monitor:DiagnosticSetting")
        if (text(s.inputs.get("resourceUri")) or "").lower().endswith(expected)
    ]
    audited = []
    for setting in settings:
        logs = plain(setting.inputs.get("logs")) or []
        enabled = any(
            log.get("enabled") is True
            and (log.get("category") in AKS_AUDIT_CATEGORIES or log.get("categoryGroup") in AKS_AUDIT_GROUPS)
            for log in logs
        )
        workspace = text(setting.inputs.get("workspaceId")) or ""
        storage = text(setting.inputs.get("storageAccountId")) or ""
        if enabled and (_WORKSPACE_ID.search(workspace) or _STORAGE_ID.search(storage)):
            audited.append(setting)
            _workspace_retention(result, graph, setting.urn, workspace)
    result.check(cluster.urn, bool(audited), "no diagnostic setting sends this AKS cluster's audit log to a workspace")


def _workspace_retention(result: Evaluation, graph: Graph, setting_urn: str, workspace_id: str) -> None:
    match = _WORKSPACE_ID.search(workspace_id)
    if match is None:
        return
    group, name = match.group(1).lower(), match.group(2).lower()
    for workspace in graph.of_type("azure-native:operationalinsights:Workspace"):
        if (text(workspace.inputs.get("workspaceName")) or "").lower() == name and (
            text(workspace.inputs.get("resourceGroupName")) or ""
        ).lower() == group:
            days = plain(workspace.inputs.get("retentionInDays")) or 0
            result.check(workspace.urn, days >= MIN_RETENTION_DAYS, f"workspace {name} keeps logs for {days} days only")
            return
    # An existing hub's workspace: its owner sets the retention, which this render cannot show.
    result.cannot_judge(setting_urn, f"retention of workspace {name}, which this stack does not manage")


def _k3s_audit(result: Evaluation, urn: str, args: dict[str, str]) -> None:
    # Without --audit-policy-file the API server logs no events at all; "-" as the path means stdout
    # (Kubernetes docs, "Auditing": log backend flags).
    path = args.get("audit-log-path", "")
    age = args.get("audit-log-maxage", "0")
    ok = bool(args.get("audit-policy-file")) and path not in ("", "-") and age.isdigit() and int(age) >= MIN_RETENTION_DAYS
    result.check(urn, ok, "K3s server does not keep an API audit log (policy file, log path and maxage)")


@rule(
    "backups-scheduled",
    "Backups of data and of the cluster's configuration run on a schedule.",
    satre=("2.6.01", "2.6.03"),
    severity="advisory",
)
def backups(graph: Graph) -> Evaluation:
    """Velero and CloudNativePG schedules, where stateful services exist."""
    result = Evaluation()
    schedules = objects(graph, "Schedule") + objects(graph, "ScheduledBackup")
    for cluster in objects(graph, "Cluster"):
        if str(cluster.inputs.get("apiVersion", "")).startswith("postgresql.cnpg.io/"):
            name = cluster.inputs["metadata"]["name"]
            covered = any((s.inputs.get("spec") or {}).get("cluster", {}).get("name") == name for s in schedules)
            result.check(cluster.urn, covered, f"database {name} has no scheduled backup")
    namespaces = graph.of_type("kubernetes:core/v1:Namespace")
    if namespaces:
        # One finding for the cluster, not one per namespace: a single schedule covers them all.
        result.check(namespaces[0].urn, bool(objects(graph, "Schedule")), "no Velero schedule backs up the cluster")
        result.examined += [n.urn for n in namespaces[1:]]
    return result


@rule(
    "protected-state",
    "In prod, resources that hold data or evidence are protected from deletion and replacement.",
    satre=("2.2.03", "3.1.09"),
    severity="mandatory",
)
def protected_state(graph: Graph) -> Evaluation:
    """Deleting or replacing them takes an explicit decision (unprotecting), never a config change."""
    result = Evaluation()
    if not is_prod(graph):
        return result
    for resource in graph.resources:
        if resource.type in STATEFUL_TYPES:
            result.check(resource.urn, resource.options.protect, f"{resource.type} {resource.name} is not protected")
    _volumes_kept(result, graph)
    _k3s_state(result, graph)
    project_data_kept(result, graph)
    return result


def _k3s_state(result: Evaluation, graph: Graph) -> None:
    """K3s servers hold etcd, and the server token is what an etcd snapshot restore needs (K3s docs, "etcd-snapshot")."""
    for command in install_commands(graph):
        script = script_of(command)
        if script is not None and script.is_server:
            result.check(command.urn, command.options.protect, f"K3s server {command.name} (etcd) is not protected")
    for password in graph.of_type("random:index/randomPassword:RandomPassword"):
        if "K3sCluster" in password.urn and password.name.endswith("-token") and not password.name.endswith("-agent-token"):
            result.check(password.urn, password.options.protect, f"the K3s server token {password.name} is not protected")


# Longhorn keeps every volume's data in its own custom resources and replicas: uninstalling the release deletes
# them (Longhorn docs, "Uninstall Longhorn": the deleting-confirmation flag guards exactly this).
VOLUME_HOLDING_CHARTS = frozenset({"longhorn"})


def _volumes_kept(result: Evaluation, graph: Graph) -> None:
    """Classes keep a released volume (``Retain``); databases and volume-holding charts are protected."""
    for storage_class in objects(graph, "StorageClass"):
        if storage_class.type.endswith("Patch"):
            continue  # an annotation patch of a class the cloud owns: it sets no reclaim policy
        name = (storage_class.inputs.get("metadata") or {}).get("name")
        policy = storage_class.inputs.get("reclaimPolicy")
        result.check(storage_class.urn, policy == "Retain", f"storage class {name} deletes volumes with their claims ({policy})")
    for cluster in objects(graph, "Cluster"):
        if str(cluster.inputs.get("apiVersion", "")).startswith("postgresql.cnpg.io/"):
            name = cluster.inputs["metadata"]["name"]
            result.check(cluster.urn, cluster.options.protect, f"Postgres cluster {name} is not protected")
    for release in graph.of_type("kubernetes:helm.sh/v3:Release"):
        if chart_name(str(release.inputs.get("chart", ""))) in VOLUME_HOLDING_CHARTS:
            result.check(release.urn, release.options.protect, f"release {release.name} holds every volume and is not protected")
