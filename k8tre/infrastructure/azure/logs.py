"""The cluster's audit trail: the AKS diagnostic setting that sends audit events to the hub's workspace."""

from __future__ import annotations

import pulumi
from pulumi_azure_native import monitor


def cluster_audit_logs(
    name: str, cluster_id: pulumi.Input[str], workspace_id: pulumi.Input[str], parent: pulumi.Resource
) -> monitor.DiagnosticSetting:
    """Send the API server's audit events and control-plane logs to a retained workspace (SATRE 2.5.03)."""
    return monitor.DiagnosticSetting(
        f"{name}-diagnostics",
        name="k8tre-audit",
        resource_uri=cluster_id,
        workspace_id=workspace_id,
        log_analytics_destination_type="Dedicated",
        logs=[
            {"category_group": "audit", "enabled": True},
            {"category": "kube-apiserver", "enabled": True},
            {"category": "kube-controller-manager", "enabled": True},
        ],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def resource_audit_logs(
    name: str, resource_id: pulumi.Input[str], workspace_id: pulumi.Input[str], parent: pulumi.Resource
) -> monitor.DiagnosticSetting:
    """Send a resource's audit log group (Key Vault access, firewall decisions) to the workspace."""
    return monitor.DiagnosticSetting(
        f"{name}-diagnostics",
        name="k8tre-audit",
        resource_uri=resource_id,
        workspace_id=workspace_id,
        log_analytics_destination_type="Dedicated",
        logs=[{"category_group": "allLogs", "enabled": True}],
        opts=pulumi.ResourceOptions(parent=parent),
    )
