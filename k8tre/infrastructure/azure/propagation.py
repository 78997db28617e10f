"""Waiting for new Azure role assignments to take effect before the first thing that relies on them.

Azure Resource Manager and the services behind it cache role assignments: a new assignment can take
minutes to be honoured ("Role assignment changes are not being detected": up to 10 minutes normally,
longer where a service caches tokens; https://learn.microsoft.com/azure/role-based-access-control/troubleshooting).
A first ``pulumi up`` meets this three times: AKS acting with its control-plane identity's new network,
DNS-zone and key roles; the deployer creating the etcd key in a vault it was just granted; and the
deployer's first Kubernetes call (Cilium) with its new cluster-admin role.

pulumi-command (in the lock; the time provider's ``Sleep`` is not) runs a local ``sleep`` that depends
on the assignments and is keyed on their IDs (``triggers``): it runs when they are created or replaced,
never on a later ``pulumi up`` that leaves them alone, and never in a preview. A fixed wait, not a probe:
the deployer's data-plane view cannot be asked offline-neutrally (the etcd vault has no public or
private endpoint the runner can reach), and a wait that is too short still leaves the documented rerun.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_command import local


def propagation_wait(
    name: str, grants: Sequence[pulumi.Resource], seconds: int, parent: pulumi.Resource
) -> list[pulumi.Resource]:
    """A wait of ``seconds`` after ``grants`` exist (none when ``seconds`` is 0): depend on it, not on the grants."""
    if seconds == 0:
        return list(grants)
    wait = local.Command(
        f"{name}-rbac-propagation",
        create=f"sleep {seconds}",
        triggers=[grant.id for grant in grants if isinstance(grant, pulumi.CustomResource)],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(grants)),
    )
    return [wait]
