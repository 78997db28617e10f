"""Resilience rules: security logs kept, backups scheduled, state protected (SATRE 2.5.03, 2.6.01, 2.6.03, 2.2.03)."""

from __future__ import annotations

import re

from ...offline.graph import Graph
from ..facts import is_prod, managed_clusters, objects, plain
from ..registry import Evaluation, rule

MIN_RETENTION_DAYS = 30

STATEFUL_TYPES = frozenset(
    {
        "azure-native:resources:ResourceGroup",
        "azure-native:containerservice:ManagedCluster",
        "azure-native:containerservice/v20260502preview:ManagedCluster",
        "azure-native:dns:Zone",
        "azure-native:operationalinsights:Workspace",
        "azure-native:keyvault:Vault",
        "azure-native:storage:StorageAccount",
        "azure-native:privatedns:PrivateZone",
        "aws:eks/cluster:Cluster",
        "aws:kms/key:Key",
        "aws:cloudwatch/logGroup:LogGroup",
    }
)
"""Resources whose loss loses data or evidence, or whose replacement is an outage."""


@rule(
    "security-logs",
    "The Kubernetes API audit log is collected and kept for a stated period.",
    satre=("2.5.03",),
    severity="mandatory",
)
def security_logs(graph: Graph) -> Evaluation:
    """Each cluster's audit trail is switched on and retained."""
    result = Evaluation()
    settings = graph.of_type("azure-native:monitor:DiagnosticSetting")
    workspaces = graph.of_type("azure-native:operationalinsights:Workspace")
    for cluster in managed_clusters(graph):
        audited = any(
            {"categoryGroup": "audit", "enabled": True}.items() <= log.items()
            for setting in settings
            for log in setting.inputs.get("logs") or []
        )
        result.check(cluster.urn, audited, "no diagnostic setting sends the AKS audit logs anywhere")
        for setting in settings:
            target = str(setting.inputs.get("workspaceId", ""))
            # A workspace this stack owns must keep logs long enough; a hub's workspace is its owner's to retain.
            for workspace in workspaces:
                if target.endswith(f"/workspaces/{workspace.inputs.get('workspaceName')}"):
                    days = workspace.inputs.get("retentionInDays") or 0
                    result.check(workspace.urn, days >= MIN_RETENTION_DAYS, f"workspace keeps logs for {days} days only")
    groups = graph.of_type("aws:cloudwatch/logGroup:LogGroup")
    for cluster in graph.of_type("aws:eks/cluster:Cluster"):
        result.check(cluster.urn, "audit" in (cluster.inputs.get("enabledClusterLogTypes") or []), "EKS audit logging is off")
        group = f"/aws/eks/{cluster.inputs.get('name')}/cluster"
        retained = any(
            g.inputs.get("name") == group and (g.inputs.get("retentionInDays") or 0) >= MIN_RETENTION_DAYS for g in groups
        )
        result.check(cluster.urn, retained, f"log group {group} is not created with a retention period")
    for command in graph.of_type("command:remote:Command"):
        script = plain(command.inputs.get("stdin"))
        if isinstance(script, str) and "K3S_ROLE=server" in script:
            match = re.search(r"export AUDIT_LOG_MAXAGE=(\d+)", script)
            ok = "audit-log-path=" in script and match is not None and int(match.group(1)) >= MIN_RETENTION_DAYS
            result.check(command.urn, ok, "K3s server does not keep an API audit log")
    return result


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
    return result
