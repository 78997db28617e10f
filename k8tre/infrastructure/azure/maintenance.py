"""When AKS may change the cluster: Kubernetes upgrades and node image upgrades, both in the stack's window."""

from __future__ import annotations

import pulumi
from pulumi_azure_native import containerservice

from ...config.azure import MaintenanceWindow

SCHEDULES = ("aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule")
"""The two planned-maintenance configurations AKS honours for automatic upgrades."""


def maintenance_windows(
    name: str,
    resource_group_name: pulumi.Input[str],
    cluster_name: pulumi.Input[str],
    window: MaintenanceWindow,
    parent: pulumi.Resource,
) -> list[containerservice.MaintenanceConfiguration]:
    """Both schedules in the same weekly window, so nothing restarts nodes outside it."""
    return [
        containerservice.MaintenanceConfiguration(
            f"{name}-{'upgrade' if schedule.endswith('AutoUpgradeSchedule') else 'node-os'}-window",
            resource_group_name=resource_group_name,
            resource_name_=cluster_name,
            config_name=schedule,
            maintenance_window={
                "schedule": {"weekly": {"day_of_week": window.day, "interval_weeks": 1}},
                "duration_hours": window.duration_hours,
                "start_time": f"{window.start_hour:02d}:00",
                "utc_offset": "+00:00",
            },
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for schedule in SCHEDULES
    ]
