"""Azure (azure-native) as the provider answers: ARM ids, locations, addresses, identities, AKS.

Sources: ARM resource ids are ``/subscriptions/{s}/resourceGroups/{g}/providers/{namespace}/{type}/{name}``
with child types appended (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules);
the AKS shapes follow the ``managedClusters.json`` REST spec of Microsoft.ContainerService
(Azure/azure-rest-api-specs) as surfaced by the azure-native SDK (``ManagedClusterIdentity``:
``principalId``/``tenantId`` exist for the system-assigned identity only; ``userAssignedIdentities``
maps each identity id to its ``clientId`` and ``principalId``).
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping

from pulumi.runtime import MockCallArgs, MockResourceArgs, rpc

from .common import SUBSCRIPTION, TENANT, MockMissing, Outputs, kubeconfig_document, stable_hex, stable_uuid

# type -> (ARM path under the resource group, with {input} placeholders; the input holding the name)
_ARM: dict[str, tuple[str, str]] = {
    "network:VirtualNetwork": ("Microsoft.Network/virtualNetworks/{virtualNetworkName}", "virtualNetworkName"),
    "network:Subnet": ("Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets/{subnetName}", "subnetName"),
    "network:VirtualNetworkPeering": (
        "Microsoft.Network/virtualNetworks/{virtualNetworkName}/virtualNetworkPeerings/{virtualNetworkPeeringName}",
        "virtualNetworkPeeringName",
    ),
    "network:RouteTable": ("Microsoft.Network/routeTables/{routeTableName}", "routeTableName"),
    "network:NetworkSecurityGroup": (
        "Microsoft.Network/networkSecurityGroups/{networkSecurityGroupName}",
        "networkSecurityGroupName",
    ),
    "network:PublicIPAddress": ("Microsoft.Network/publicIPAddresses/{publicIpAddressName}", "publicIpAddressName"),
    "network:FirewallPolicy": ("Microsoft.Network/firewallPolicies/{firewallPolicyName}", "firewallPolicyName"),
    "network:FirewallPolicyRuleCollectionGroup": (
        "Microsoft.Network/firewallPolicies/{firewallPolicyName}/ruleCollectionGroups/{ruleCollectionGroupName}",
        "ruleCollectionGroupName",
    ),
    "network:AzureFirewall": ("Microsoft.Network/azureFirewalls/{azureFirewallName}", "azureFirewallName"),
    "network:PrivateEndpoint": ("Microsoft.Network/privateEndpoints/{privateEndpointName}", "privateEndpointName"),
    "network:PrivateDnsZoneGroup": (
        "Microsoft.Network/privateEndpoints/{privateEndpointName}/privateDnsZoneGroups/{privateDnsZoneGroupName}",
        "privateDnsZoneGroupName",
    ),
    "privatedns:PrivateZone": ("Microsoft.Network/privateDnsZones/{privateZoneName}", "privateZoneName"),
    "privatedns:VirtualNetworkLink": (
        "Microsoft.Network/privateDnsZones/{privateZoneName}/virtualNetworkLinks/{virtualNetworkLinkName}",
        "virtualNetworkLinkName",
    ),
    "dns:Zone": ("Microsoft.Network/dnszones/{zoneName}", "zoneName"),
    "keyvault:Vault": ("Microsoft.KeyVault/vaults/{vaultName}", "vaultName"),
    "keyvault:Key": ("Microsoft.KeyVault/vaults/{vaultName}/keys/{keyName}", "keyName"),
    "keyvault:Secret": ("Microsoft.KeyVault/vaults/{vaultName}/secrets/{secretName}", "secretName"),
    "storage:StorageAccount": ("Microsoft.Storage/storageAccounts/{accountName}", "accountName"),
    "storage:BlobServiceProperties": (
        "Microsoft.Storage/storageAccounts/{accountName}/blobServices/{blobServicesName}",
        "blobServicesName",
    ),
    "storage:BlobContainer": (
        "Microsoft.Storage/storageAccounts/{accountName}/blobServices/default/containers/{containerName}",
        "containerName",
    ),
    "operationalinsights:Workspace": ("Microsoft.OperationalInsights/workspaces/{workspaceName}", "workspaceName"),
    "managedidentity:UserAssignedIdentity": ("Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}", "resourceName"),
    "managedidentity:FederatedIdentityCredential": (
        "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}/federatedIdentityCredentials/"
        "{federatedIdentityCredentialResourceName}",
        "federatedIdentityCredentialResourceName",
    ),
    "containerservice:ManagedCluster": ("Microsoft.ContainerService/managedClusters/{resourceName}", "resourceName"),
    "containerservice:MaintenanceConfiguration": (
        "Microsoft.ContainerService/managedClusters/{resourceName}/maintenanceConfigurations/{configName}",
        "configName",
    ),
}
_EXTENSIONS = {"authorization:RoleAssignment", "monitor:DiagnosticSetting", "features:SubscriptionFeatureRegistration"}
# The server application and the Azure CLI client that AKS writes into an Entra ID cluster's kubeconfig
# (kubelogin docs, https://azure.github.io/kubelogin/concepts/aks.html).
AKS_SERVER_APP = "6dae42f8-4368-4678-94ff-3960e28e3630"
AZURE_CLI_CLIENT = "80faf920-1908-4b52-b5ef-a8e7bedfc67a"


def _kind(token: str) -> str:
    # "azure-native:containerservice/v20260502preview:ManagedCluster" -> "containerservice:ManagedCluster"
    _, module, name = token.split(":")
    return f"{module.split('/')[0]}:{name}"


class AzureMocks:
    """The azure-native provider for one run: remembers groups, subnets, identities and clusters it made."""

    def __init__(self, config: Mapping[str, str]) -> None:
        self.location = config.get("azure-native:location", "")
        self.groups: dict[str, str] = {}
        self.subnets: dict[str, str] = {}
        self.identities: dict[str, Outputs] = {}
        self.clusters: dict[tuple[str, str], Outputs] = {}
        self.subscriptions: dict[str, str] = {}  # explicit provider id -> the subscription it was given

    def add_provider(self, ident: str, inputs: Mapping[str, object]) -> None:
        """An explicit azure-native provider: ARM ids of its resources carry its ``subscriptionId``, if it names one."""
        if inputs.get("subscriptionId"):
            self.subscriptions[ident] = str(inputs["subscriptionId"])

    def _subscription(self, provider: str | None) -> str:
        # A provider reference is "<urn>::<id>"; without one (or one naming none) the default provider's.
        return self.subscriptions.get((provider or "").rsplit("::", 1)[-1], SUBSCRIPTION)

    def handles(self, token: str) -> bool:
        """True for the azure-native resource types modelled here."""
        return token.startswith("azure-native:") and (
            _kind(token) in _ARM or _kind(token) in _EXTENSIONS or _kind(token) == "resources:ResourceGroup"
        )

    def new_resource(self, args: MockResourceArgs) -> tuple[str, Outputs]:
        """ARM id and state for one resource, computed from its inputs."""
        kind, inputs = _kind(args.typ), dict(args.inputs)
        subscription = self._subscription(args.provider)
        if kind == "resources:ResourceGroup":
            name = inputs.get("resourceGroupName") or f"{args.name}{stable_hex(args.name, 8)}"
            self.groups[name] = inputs.get("location") or self.location
            return f"/subscriptions/{subscription}/resourceGroups/{name}", {**inputs, "name": name, "location": self.groups[name]}
        if kind in _EXTENSIONS:
            return self._extension(kind, args.name, inputs, subscription)
        template, name_key = _ARM[kind]
        inputs.setdefault(name_key, f"{args.name}{stable_hex(args.name, 8)}")  # azure-native autonaming
        group = inputs.get("resourceGroupName", "")
        ident = f"/subscriptions/{subscription}/resourceGroups/{group}/providers/" + template.format_map(inputs)
        outputs: Outputs = {**inputs, "id": ident, "name": inputs[name_key]}
        if "location" in inputs or kind in ("network:VirtualNetwork", "keyvault:Vault", "containerservice:ManagedCluster"):
            # Without a location the provider uses its configured one, then the group's.
            outputs["location"] = inputs.get("location") or self.location or self.groups.get(group, "")
        handler = getattr(self, "_" + kind.split(":")[1], None)
        if handler is not None:
            outputs = handler(ident, outputs)
        return ident, outputs

    def _extension(self, kind: str, logical: str, inputs: Outputs, subscription: str) -> tuple[str, Outputs]:
        if kind == "features:SubscriptionFeatureRegistration":
            ident = (
                f"/subscriptions/{subscription}/providers/Microsoft.Features/featureProviders/"
                f"{inputs['providerNamespace']}/subscriptionFeatureRegistrations/{inputs['featureName']}"
            )
            return ident, {**inputs, "name": inputs["featureName"]}
        if kind == "authorization:RoleAssignment":
            name = inputs.get("roleAssignmentName") or stable_uuid(f"{inputs.get('scope')}|{logical}")
            ident = f"{inputs['scope']}/providers/Microsoft.Authorization/roleAssignments/{name}"
        else:
            name = inputs.get("name") or logical
            ident = f"{inputs['resourceUri']}/providers/Microsoft.Insights/diagnosticSettings/{name}"
        return ident, {**inputs, "name": name}

    def _Subnet(self, ident: str, outputs: Outputs) -> Outputs:  # noqa: N802 - named after the type
        self.subnets[ident] = outputs.get("addressPrefix") or (outputs.get("addressPrefixes") or [""])[0]
        return outputs

    def _AzureFirewall(self, ident: str, outputs: Outputs) -> Outputs:  # noqa: N802
        # Azure reserves the first four addresses of every subnet (network, gateway, two for DNS: VNet FAQ,
        # https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq#are-there-any-restrictions-on-using-ip-addresses-within-these-subnets),
        # so the firewall's dynamic private address is the fifth: the first one Azure hands out.
        configs = []
        for config in outputs.get("ipConfigurations") or []:
            if not config.get("subnet"):  # an extra public IP: only the first configuration is in the subnet
                configs.append(config)
                continue
            prefix = self.subnets.get(str((config.get("subnet") or {}).get("id")), "")
            if not prefix:
                raise MockMissing(
                    f"AzureFirewall {outputs['name']}: its subnet {config.get('subnet')} was not created in this run"
                )
            first_usable = ipaddress.ip_network(prefix, strict=False).network_address + 4
            configs.append({**config, "privateIPAddress": str(first_usable), "privateIPAllocationMethod": "Dynamic"})
        return {**outputs, "ipConfigurations": configs}

    def _Key(self, ident: str, outputs: Outputs) -> Outputs:  # noqa: N802
        # Key Vault's data-plane URI of the key: versionless (keyUri) and of the version just created
        # (https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#object-identifiers).
        uri = f"https://{outputs['vaultName']}.vault.azure.net/keys/{outputs['name']}"
        return {**outputs, "keyUri": uri, "keyUriWithVersion": f"{uri}/{stable_hex(ident, 32)}"}

    def _Vault(self, ident: str, outputs: Outputs) -> Outputs:  # noqa: N802
        # The data-plane address Key Vault reports for a vault in Azure's public cloud: its name under
        # vault.azure.net (https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates).
        properties = {**(outputs.get("properties") or {}), "vaultUri": f"https://{outputs['name']}.vault.azure.net/"}
        return {**outputs, "properties": properties}

    def _Secret(self, ident: str, outputs: Outputs) -> Outputs:  # noqa: N802
        # ARM never returns a secret's value ("value will never be returned from the service": Microsoft.KeyVault
        # REST reference, Secrets - Create Or Update); it reports the secret's data-plane URIs instead.
        vault, name = outputs["vaultName"], outputs["name"]
        given = outputs.get("properties") or {}
        if rpc.is_rpc_secret(given):  # the whole object arrives marked secret because its value is
            given = rpc.unwrap_rpc_secret(given)
        properties = {k: v for k, v in given.items() if k != "value"}
        uri = f"https://{vault}.vault.azure.net/secrets/{name}"
        properties |= {"secretUri": uri, "secretUriWithVersion": f"{uri}/{stable_hex(ident, 32)}"}
        return {**outputs, "properties": properties}

    def _UserAssignedIdentity(self, ident: str, outputs: Outputs) -> Outputs:  # noqa: N802
        made = {"clientId": stable_uuid(ident + "client"), "principalId": stable_uuid(ident + "principal"), "tenantId": TENANT}
        self.identities[ident] = made
        return {**outputs, **made}

    def _ManagedCluster(self, ident: str, outputs: Outputs) -> Outputs:  # noqa: N802
        location, prefix = outputs["location"], outputs.get("dnsPrefix") or outputs["name"]
        suffix = stable_hex(ident, 8)
        result: Outputs = {**outputs, "fqdn": f"{prefix}-{suffix}.hcp.{location}.azmk8s.io", "provisioningState": "Succeeded"}
        api = outputs.get("apiServerAccessProfile") or {}
        if api.get("enablePrivateCluster") and api.get("enablePrivateClusterPublicFQDN") is False:
            del result["fqdn"]  # a private cluster without its public name has only the private FQDN
        if api.get("enablePrivateCluster"):
            result["privateFQDN"] = f"{prefix}-{suffix}.{stable_uuid(ident)}.privatelink.{location}.azmk8s.io"
        oidc = outputs.get("oidcIssuerProfile") or {}
        if oidc.get("enabled"):
            result["oidcIssuerProfile"] = {
                **oidc,
                "issuerURL": f"https://{location}.oic.prod-aks.azure.com/{TENANT}/{stable_uuid(ident)}/",
            }
        result["identity"] = self._cluster_identity(ident, outputs.get("identity") or {})
        self.clusters[(outputs.get("resourceGroupName", ""), outputs["name"])] = result
        return result

    def _cluster_identity(self, ident: str, identity: Outputs) -> Outputs:
        kind = identity.get("type", "")
        answered: Outputs = dict(identity)
        if "SystemAssigned" in kind:
            answered |= {"principalId": stable_uuid(ident + "principal"), "tenantId": TENANT}
        if identity.get("userAssignedIdentities"):
            answered["userAssignedIdentities"] = {
                key: {k: v for k, v in self.identities.get(key, {}).items() if k in ("clientId", "principalId")}
                for key in identity["userAssignedIdentities"]
            }
        return answered

    def client_config(self, args: MockCallArgs) -> Outputs:
        """``authorization:getClientConfig``: the offline deployer's account."""
        return {
            "clientId": stable_uuid("deployer"),
            "objectId": stable_uuid("deployer-object"),
            "subscriptionId": SUBSCRIPTION,
            "tenantId": TENANT,
        }

    def user_credentials(self, args: MockCallArgs) -> Outputs:
        """``listClusterUserCredential``: base64 kubeconfigs of the cluster this run created.

        For an Entra ID cluster AKS returns the ``exec`` format with kubelogin (the API's ``format``
        parameter, https://learn.microsoft.com/rest/api/aks/managed-clusters/list-cluster-user-credentials);
        a private cluster's server is its private FQDN unless ``server-fqdn`` asks for the public one.
        """
        group, name = args.args.get("resourceGroupName", ""), args.args.get("resourceName", "")
        cluster = self.clusters.get((group, name))
        if cluster is None:
            raise MockMissing(
                f"listManagedClusterUserCredentials: no cluster {name!r} in group {group!r} was created in this run"
            )
        host = cluster.get("privateFQDN") if args.args.get("serverFqdn") != "public" else None
        server = f"https://{host or cluster.get('fqdn')}:443"
        user: Outputs = {"token": stable_hex(name + "token", 64)}
        if cluster.get("aadProfile"):
            user = {
                "exec": {
                    "apiVersion": "client.authentication.k8s.io/v1beta1",
                    "args": [
                        "get-token",
                        "--environment",
                        "AzurePublicCloud",
                        "--server-id",
                        AKS_SERVER_APP,
                        "--client-id",
                        AZURE_CLI_CLIENT,
                        "--tenant-id",
                        TENANT,
                        "--login",
                        "devicecode",
                    ],
                    "command": "kubelogin",
                    "env": None,
                    "provideClusterInfo": False,
                }
            }
        document = kubeconfig_document(name, server, f"clusterUser_{group}_{name}", user)
        return {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(document.encode()).decode()}]}
