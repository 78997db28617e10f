"""A private endpoint for one sub-resource, registered in the hub's private DNS zone."""

from __future__ import annotations

import pulumi
from pulumi_azure_native import network


def private_endpoint(
    name: str,
    *,
    resource_group_name: pulumi.Input[str],
    location: str,
    subnet_id: pulumi.Input[str],
    target_id: pulumi.Input[str],
    group_id: str,
    dns_zone_id: pulumi.Input[str],
    parent: pulumi.Resource,
) -> network.PrivateEndpoint:
    """Reach ``target_id``'s ``group_id`` (vault, blob, file) only through the spoke's endpoints subnet."""
    endpoint = network.PrivateEndpoint(
        name,
        resource_group_name=resource_group_name,
        private_endpoint_name=f"pe-{name}",
        location=location,
        subnet={"id": subnet_id},
        private_link_service_connections=[
            {"name": f"{name}-{group_id}", "private_link_service_id": target_id, "group_ids": [group_id]}
        ],
        opts=pulumi.ResourceOptions(parent=parent),
    )
    network.PrivateDnsZoneGroup(
        f"{name}-dns",
        resource_group_name=resource_group_name,
        private_endpoint_name=endpoint.name,
        private_dns_zone_group_name="default",
        private_dns_zone_configs=[{"name": group_id, "private_dns_zone_id": dns_zone_id}],
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return endpoint
