"""Audit trails: diagnostic settings that send a resource's logs to the retained workspace (SATRE 2.5.03)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_azure_native import monitor

CLUSTER_LOG_CATEGORIES = (
    "kube-audit-admin",
    "guard",
    "kube-apiserver",
    "kube-controller-manager",
    "cloud-controller-manager",
    "cluster-autoscaler",
    "kube-scheduler",
)
"""AKS control-plane log categories kept: the audit log and the control plane's own logs.

Categories only: ARM refuses a setting that mixes categories with a category group
(https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings#resource-logs).
``kube-audit-admin`` rather than ``kube-audit``: Microsoft recommends it, as it leaves out
the high-volume get and list events (https://learn.microsoft.com/azure/aks/monitor-aks).
``guard`` records Entra ID and Azure RBAC authorisation decisions.
"""
CLUSTER_LOGS: Sequence[monitor.DiagnosticsLogSettingsArgsDict] = tuple(
    {"category": category, "enabled": True} for category in CLUSTER_LOG_CATEGORIES
)
"""The cluster's diagnostic log selection."""
ALL_LOGS: Sequence[monitor.DiagnosticsLogSettingsArgsDict] = ({"category_group": "allLogs", "enabled": True},)
"""Everything a resource logs: Key Vault access, firewall decisions."""


def audit_logs(
    name: str,
    resource_id: pulumi.Input[str],
    workspace_id: pulumi.Input[str],
    parent: pulumi.Resource,
    logs: Sequence[monitor.DiagnosticsLogSettingsArgsDict] = ALL_LOGS,
) -> monitor.DiagnosticSetting:
    """Send ``logs`` of the resource to the workspace."""
    return monitor.DiagnosticSetting(
        f"{name}-diagnostics",
        name="k8tre-audit",
        resource_uri=resource_id,
        workspace_id=workspace_id,
        log_analytics_destination_type="Dedicated",
        logs=list(logs),
        opts=pulumi.ResourceOptions(parent=parent),
    )
