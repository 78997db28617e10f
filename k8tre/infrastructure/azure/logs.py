"""Audit trails: diagnostic settings that send a resource's logs to the retained workspace (SATRE 2.5.03)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_azure_native import monitor

CLUSTER_LOGS: Sequence[monitor.DiagnosticsLogSettingsArgsDict] = (
    {"category_group": "audit", "enabled": True},
    {"category": "kube-apiserver", "enabled": True},
    {"category": "kube-controller-manager", "enabled": True},
)
"""The API server's audit events and the control plane's own logs."""
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
