"""The environment's private DNS zone: where external-dns publishes the Gateway's routes for the VNet to resolve.

The zone has the environment's domain as its name, next to the public zone of the same name that ACME
DNS-01 answers go to (split horizon): inside the linked networks the private zone answers for the whole
domain, so cert-manager checks its DNS-01 records through a public resolver instead (agnostics,
``issuers.DNS01_CHECK_RESOLVER``). Spokes resolve through the hub firewall's DNS proxy, which asks Azure DNS
from the hub VNet: the zone must be linked there too, which this stack does only for a hub it owns
(a landing-zone hub's owner links it from the ``privateDnsZone`` stack output; docs/azure.md).
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import privatedns, resources

from ...naming import AzureNames
from ...stage import Stage
from ..cluster import AzureDnsZone
from .account import AzureAccount


class EnvironmentPrivateZone(pulumi.ComponentResource):
    """A private DNS zone for the environment's domain, linked to the spoke (and an owned hub) without auto-registration."""

    zone: privatedns.PrivateZone
    """The zone external-dns writes records into (its identity has a role on this zone alone)."""

    def __init__(
        self,
        name: str,
        group: resources.ResourceGroup,
        spoke_vnet_id: pulumi.Input[str],
        hub_vnet_id: pulumi.Input[str] | None,
        stage: Stage,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:EnvironmentPrivateZone", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        names = AzureNames(stage.slug)
        self.zone = privatedns.PrivateZone(
            f"{name}-zone",
            resource_group_name=group.name,
            private_zone_name=stage.domain,
            # Private DNS zones are global resources (https://learn.microsoft.com/azure/dns/private-dns-privatednszone).
            location="global",
            tags=dict(stage.tags),
            opts=stage.stateful(child),
        )
        links = {"spoke": (spoke_vnet_id, names.spoke_dns_link)}
        if hub_vnet_id is not None:
            links["hub"] = (hub_vnet_id, names.hub_dns_link)
        for part, (vnet_id, link_name) in links.items():
            privatedns.VirtualNetworkLink(
                f"{name}-{part}-link",
                resource_group_name=group.name,
                private_zone_name=self.zone.name,
                virtual_network_link_name=link_name,
                location="global",
                virtual_network={"id": vnet_id},
                # Only external-dns writes here, and only names it owns: VMs registering themselves would mix
                # unowned records into the zone (https://learn.microsoft.com/azure/dns/private-dns-autoregistration).
                registration_enabled=False,
                opts=child,
            )
        self.register_outputs({"zoneId": self.zone.id})


def dns_zone(
    domain: str, account: AzureAccount, group: pulumi.Input[str], client_id: pulumi.Input[str], private: bool
) -> AzureDnsZone:
    """The fact for the environment's public or private zone: where it is and the identity with a role on it alone."""
    return AzureDnsZone(
        zone=domain,
        subscription_id=account.subscription_id,
        tenant_id=account.tenant_id,
        resource_group=group,
        client_id=client_id,
        private=private,
    )
