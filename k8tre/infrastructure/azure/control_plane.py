"""The cluster's control-plane identity: user-assigned, so its roles exist before AKS needs them.

A system-assigned identity only exists once the cluster does, but a private cluster
registers its API name in the hub's zone and places load balancers in the spoke while
it is being created: the roles must be granted first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import authorization, managedidentity, resources

from ...naming import AzureNames
from ...stage import Stage
from .account import AzureAccount
from .identities import role_definition_id
from .subscriptions import role_definition_in

NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
"""Built-in role 'Network Contributor'."""
PRIVATE_DNS_ZONE_CONTRIBUTOR = "b12aa53e-6015-4669-85d0-8515ebb3ae7f"
"""Built-in role 'Private DNS Zone Contributor'."""


@dataclass(frozen=True)
class ControlPlaneIdentity:
    """The identity block for the cluster and the grants it must wait for."""

    identity: pulumi.Output[dict[str, Any]]
    """``{type: UserAssigned, userAssignedIdentities: {<id>: {}}}``."""
    grants: list[pulumi.Resource]
    """Role assignments that must exist before the cluster is created."""
    principal_id: pulumi.Output[str]
    """The identity's object ID, for roles granted elsewhere (the etcd key's vault)."""


def control_plane_identity(
    name: str,
    group: resources.ResourceGroup,
    location: str,
    spoke_vnet_id: pulumi.Input[str],
    route_table_id: pulumi.Input[str],
    private_zone_id: pulumi.Input[str] | None,
    stage: Stage,
    account: AzureAccount,
    parent: pulumi.Resource,
    private_zone_provider: pulumi.ProviderResource | None = None,
) -> ControlPlaneIdentity:
    """Create the identity, let it manage the spoke's network, its route table and (private clusters) the API's DNS zone."""
    child = pulumi.ResourceOptions(parent=parent)
    uami = managedidentity.UserAssignedIdentity(
        f"{name}-control-plane",
        resource_group_name=group.name,
        location=location,
        resource_name_=AzureNames(stage.slug).identity("aks"),
        tags=dict(stage.tags),
        opts=child,
    )
    sub = account.subscription_id
    scopes = {"network": (NETWORK_CONTRIBUTOR, spoke_vnet_id)}
    # The node subnet's own route table is not under the VNet's scope; AKS must be able to write it
    # (https://learn.microsoft.com/azure/aks/configure-kubenet#bring-your-own-subnet-and-route-table-with-kubenet).
    scopes["route-table"] = (NETWORK_CONTRIBUTOR, route_table_id)
    grants: list[pulumi.Resource] = [
        authorization.RoleAssignment(
            f"{name}-control-plane-{part}",
            principal_id=uami.principal_id,
            principal_type="ServicePrincipal",
            role_definition_id=role_definition_id(sub, role),
            scope=scope,
            opts=child,
        )
        for part, (role, scope) in scopes.items()
    ]
    if private_zone_id is not None:
        # The hub's zone may be in another subscription (a landing zone's Connectivity one): the assignment is made
        # there, through that subscription's provider, with the role definition named in that subscription.
        grants.append(
            authorization.RoleAssignment(
                f"{name}-control-plane-private-dns",
                principal_id=uami.principal_id,
                principal_type="ServicePrincipal",
                role_definition_id=role_definition_in(private_zone_id, PRIVATE_DNS_ZONE_CONTRIBUTOR),
                scope=private_zone_id,
                opts=pulumi.ResourceOptions(parent=parent, provider=private_zone_provider),
            )
        )
    identity = uami.id.apply(lambda ident: {"type": "UserAssigned", "userAssignedIdentities": {ident: {}}})
    return ControlPlaneIdentity(identity=identity, grants=grants, principal_id=uami.principal_id)
