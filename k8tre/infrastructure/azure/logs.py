"""The cluster's audit trail: a Log Analytics workspace and the AKS diagnostic setting that feeds it."""

from __future__ import annotations

import pulumi
from pulumi_azure_native import containerservice, monitor, operationalinsights, resources

from ...stage import Stage


def cluster_audit_logs(
    name: str,
    cluster: containerservice.ManagedCluster,
    resource_group: resources.ResourceGroup,
    location: str,
    stage: Stage,
    parent: pulumi.Resource,
) -> operationalinsights.Workspace:
    """Send the API server's audit events and control-plane logs to a retained workspace."""
    workspace = operationalinsights.Workspace(
        f"{name}-logs",
        resource_group_name=resource_group.name,
        workspace_name=f"log-{stage.slug}",
        location=location,
        sku={"name": "PerGB2018"},
        retention_in_days=stage.audit_retention_days,
        tags=dict(stage.tags),
        opts=stage.stateful(pulumi.ResourceOptions(parent=parent)),
    )
    monitor.DiagnosticSetting(
        f"{name}-diagnostics",
        name="k8tre-audit",
        resource_uri=cluster.id,
        workspace_id=workspace.id,
        log_analytics_destination_type="Dedicated",
        logs=[
            {"category_group": "audit", "enabled": True},
            {"category": "kube-apiserver", "enabled": True},
            {"category": "kube-controller-manager", "enabled": True},
        ],
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return workspace
