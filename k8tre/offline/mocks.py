"""Realistic mock outputs for every resource type and call the program uses.

What the clouds would return is reproduced in shape (ARM ids, ARNs, EKS endpoints,
kubeconfigs), deterministically from the resource's name, so that nothing
downstream sees ``None`` and a render is the same every time.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import yaml
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks

SUBSCRIPTION = "00000000-0000-4000-8000-000000000000"
TENANT = "11111111-1111-4111-8111-111111111111"
AWS_ACCOUNT = "123456789012"
FAKE_CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIBofflineCA\n-----END CERTIFICATE-----\n").decode()

Outputs = dict[str, Any]


def _hex(seed: str, length: int = 16) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def _uuid(seed: str) -> str:
    h = _hex(seed, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def kubeconfig_document(name: str, server: str, user: dict[str, Any]) -> str:
    """A kubeconfig of the shape clouds return, with a placeholder CA."""
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": FAKE_CA}}],
            "users": [{"name": f"{name}-user", "user": user}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-user"}}],
            "current-context": name,
        },
        sort_keys=False,
    )


# ---- Azure -----------------------------------------------------------------------------------

_ARM_TYPES = {
    "azure-native:network:VirtualNetwork": ("Microsoft.Network/virtualNetworks", "virtualNetworkName"),
    "azure-native:network:RouteTable": ("Microsoft.Network/routeTables", "routeTableName"),
    "azure-native:network:NetworkSecurityGroup": ("Microsoft.Network/networkSecurityGroups", "networkSecurityGroupName"),
    "azure-native:network:PublicIPAddress": ("Microsoft.Network/publicIPAddresses", "publicIpAddressName"),
    "azure-native:network:FirewallPolicy": ("Microsoft.Network/firewallPolicies", "firewallPolicyName"),
    "azure-native:network:AzureFirewall": ("Microsoft.Network/azureFirewalls", "azureFirewallName"),
    "azure-native:network:PrivateEndpoint": ("Microsoft.Network/privateEndpoints", "privateEndpointName"),
    "azure-native:network:VirtualNetworkPeering": ("Microsoft.Network/virtualNetworks/peerings", "virtualNetworkPeeringName"),
    "azure-native:privatedns:PrivateZone": ("Microsoft.Network/privateDnsZones", "privateZoneName"),
    "azure-native:dns:Zone": ("Microsoft.Network/dnszones", "zoneName"),
    "azure-native:keyvault:Vault": ("Microsoft.KeyVault/vaults", "vaultName"),
    "azure-native:storage:StorageAccount": ("Microsoft.Storage/storageAccounts", "accountName"),
    "azure-native:operationalinsights:Workspace": ("Microsoft.OperationalInsights/workspaces", "workspaceName"),
    "azure-native:managedidentity:UserAssignedIdentity": ("Microsoft.ManagedIdentity/userAssignedIdentities", "resourceName"),
    "azure-native:containerservice:ManagedCluster": ("Microsoft.ContainerService/managedClusters", "resourceName"),
    "azure-native:containerservice/v20260502preview:ManagedCluster": (
        "Microsoft.ContainerService/managedClusters",
        "resourceName",
    ),
}


def _azure(args: MockResourceArgs) -> tuple[str, Outputs]:
    inputs = args.inputs
    if args.typ == "azure-native:resources:ResourceGroup":
        name = inputs.get("resourceGroupName", args.name)
        return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{name}", {**inputs, "name": name}
    group = inputs.get("resourceGroupName", "rg")
    base = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers"
    if args.typ == "azure-native:network:Subnet":
        name = inputs.get("subnetName", args.name)
        vnet = inputs.get("virtualNetworkName", "vnet")
        return f"{base}/Microsoft.Network/virtualNetworks/{vnet}/subnets/{name}", {**inputs, "name": name}
    arm_type, name_key = _ARM_TYPES.get(args.typ, (f"Microsoft.Mock/{args.typ.rsplit(':', 1)[-1]}", "name"))
    name = inputs.get(name_key, args.name)
    outputs: Outputs = {**inputs, "name": name}
    if args.typ == "azure-native:network:AzureFirewall":
        configs = [dict(c) for c in inputs.get("ipConfigurations") or []]
        if configs:
            configs[0]["privateIPAddress"] = "10.0.0.4"  # Azure gives the firewall the 4th address of its subnet
        outputs["ipConfigurations"] = configs
    if args.typ == "azure-native:managedidentity:UserAssignedIdentity":
        outputs |= {"clientId": _uuid(name + "client"), "principalId": _uuid(name + "principal"), "tenantId": TENANT}
    if args.typ.endswith(":ManagedCluster") and args.typ.startswith("azure-native:containerservice"):
        location = inputs.get("location", "uksouth")
        suffix = _hex(name, 8)
        outputs |= {
            "fqdn": f"{inputs.get('dnsPrefix', name)}-{suffix}.hcp.{location}.azmk8s.io",
            "privateFQDN": f"{inputs.get('dnsPrefix', name)}-{suffix}.privatelink.{location}.azmk8s.io",
            "oidcIssuerProfile": {
                "enabled": True,
                "issuerURL": f"https://{location}.oic.prod-aks.azure.com/{TENANT}/{_uuid(name)}/",
            },
            "identity": {"type": "SystemAssigned", "principalId": _uuid(name + "principal"), "tenantId": TENANT},
            "provisioningState": "Succeeded",
            "powerState": {"code": "Running"},
        }
    return f"{base}/{arm_type}/{name}", outputs


def _client_config(args: MockCallArgs) -> Outputs:
    return {
        "clientId": _uuid("deployer"),
        "objectId": _uuid("deployer-object"),
        "subscriptionId": SUBSCRIPTION,
        "tenantId": TENANT,
    }


def _stack_reference(args: MockResourceArgs) -> tuple[str, Outputs]:
    # What the management stack's `hub` output looks like (see HubNetwork).
    stack = str(args.inputs.get("name", args.name))
    group = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-k8tre-mgmt-hub/providers"
    zones = {
        key: f"{group}/Microsoft.Network/privateDnsZones/{zone}"
        for key, zone in (
            ("keyVault", "privatelink.vaultcore.azure.net"),
            ("blob", "privatelink.blob.core.windows.net"),
            ("file", "privatelink.file.core.windows.net"),
            ("dfs", "privatelink.dfs.core.windows.net"),
            ("aks", "privatelink.uksouth.azmk8s.io"),
        )
    }
    hub = {
        "vnetId": f"{group}/Microsoft.Network/virtualNetworks/vnet-k8tre-mgmt-hub",
        "firewallPrivateIp": "10.0.0.4",
        "logAnalyticsWorkspaceId": f"{group}/Microsoft.OperationalInsights/workspaces/log-k8tre-mgmt",
        "privateDnsZoneIds": zones,
    }
    return stack, {"name": stack, "outputs": {"hub": hub}, "secretOutputNames": []}


def _aks_credentials(args: MockCallArgs) -> Outputs:
    name = args.args.get("resourceName", "aks")
    server = f"https://{name}-{_hex(name, 8)}.hcp.uksouth.azmk8s.io:443"
    # AKS user credentials with Entra ID sign in through kubelogin, never with a static token.
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "kubelogin",
            "args": ["get-token", "--login", "azurecli", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"],
        }
    }
    document = kubeconfig_document(name, server, user)
    return {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(document.encode()).decode()}]}


# ---- AWS -------------------------------------------------------------------------------------


def _aws(args: MockResourceArgs) -> tuple[str, Outputs]:
    inputs = dict(args.inputs)
    kind = args.typ.rsplit(":", 1)[-1]
    region = "eu-west-2"
    if kind == "Vpc":
        ident = f"vpc-0{_hex(args.name, 16)}"
    elif kind == "Subnet":
        ident = f"subnet-0{_hex(args.name, 16)}"
    elif kind == "Key":
        ident = _uuid(args.name)
        inputs |= {"keyId": ident, "arn": f"arn:aws:kms:{region}:{AWS_ACCOUNT}:key/{ident}"}
    elif kind == "Role":
        ident = inputs.get("name") or f"{args.name}-{_hex(args.name, 7)}"
        inputs |= {"name": ident, "arn": f"arn:aws:iam::{AWS_ACCOUNT}:role/{ident}"}
    elif kind == "Cluster":
        ident = inputs.get("name", args.name)
        inputs |= {
            "arn": f"arn:aws:eks:{region}:{AWS_ACCOUNT}:cluster/{ident}",
            "endpoint": f"https://{_hex(ident, 32).upper()}.gr7.{region}.eks.amazonaws.com",
            "certificateAuthority": {"data": FAKE_CA},
            "status": "ACTIVE",
            "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{_hex(ident, 32).upper()}"}]}],
        }
    else:
        ident = f"{args.name}-{_hex(args.name, 8)}"
    inputs.setdefault("arn", f"arn:aws:{args.typ.split(':')[1].split('/')[0]}:{region}:{AWS_ACCOUNT}:{kind.lower()}/{ident}")
    return ident, inputs


def _availability_zones(args: MockCallArgs) -> Outputs:
    region = "eu-west-2"
    return {"names": [f"{region}{zone}" for zone in "abc"], "zoneIds": [f"euw2-az{i}" for i in (1, 2, 3)], "id": region}


# ---- K3s over SSH, random, Kubernetes --------------------------------------------------------


def _command(args: MockResourceArgs) -> tuple[str, Outputs]:
    create = str(args.inputs.get("create", ""))
    stdout = "k3s installed"
    if "/etc/rancher/k3s/k3s.yaml" in create:
        # What K3s writes for local use: a client certificate and the loopback address.
        stdout = kubeconfig_document(
            "default",
            "https://127.0.0.1:6443",
            {"client-certificate-data": FAKE_CA, "client-key-data": base64.b64encode(b"offline-key").decode()},
        )
    return f"{args.name}-{_hex(args.name, 8)}", {**args.inputs, "stdout": stdout, "stderr": ""}


def _random(args: MockResourceArgs) -> tuple[str, Outputs]:
    length = int(args.inputs.get("length", 32))
    value = (_hex(args.name, 64) * 4)[:length]
    return "none", {**args.inputs, "result": value, "bcryptHash": "$2a$10$" + _hex(value, 53)}


def _helm_release(args: MockResourceArgs) -> tuple[str, Outputs]:
    inputs = args.inputs
    namespace = inputs.get("namespace", "default")
    name = inputs.get("name", args.name)
    status = {
        "name": name,
        "namespace": namespace,
        "chart": inputs.get("chart"),
        "version": inputs.get("version"),
        "revision": 1,
        "status": "deployed",
    }
    return f"{namespace}/{name}", {**inputs, "status": status}


def _kubernetes(args: MockResourceArgs) -> tuple[str, Outputs]:
    inputs = args.inputs
    metadata = dict(inputs.get("metadata") or {})
    metadata.setdefault("name", f"{args.name}-{_hex(args.name, 8)}")
    metadata["uid"] = _uuid(args.typ + metadata["name"])
    namespace = metadata.get("namespace")
    ident = f"{namespace}/{metadata['name']}" if namespace else metadata["name"]
    return ident, {**inputs, "metadata": metadata}


class K8treMocks(Mocks):
    """Dispatches each resource type and call to the function that mimics its provider."""

    def __init__(self) -> None:
        self._calls: dict[str, Callable[[MockCallArgs], Outputs]] = {
            "azure-native:containerservice:listManagedClusterUserCredentials": _aks_credentials,
            "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
            "azure-native:authorization:getClientConfig": _client_config,
        }

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        """Return a realistic id and output state for a new resource."""
        typ = args.typ
        if typ == "pulumi:pulumi:StackReference":
            return _stack_reference(args)
        if typ.startswith("pulumi:providers:"):
            return _uuid(args.name), dict(args.inputs)
        if typ.startswith("azure-native:"):
            return _azure(args)
        if typ.startswith("aws:"):
            return _aws(args)
        if typ.startswith("command:"):
            return _command(args)
        if typ.startswith("random:"):
            return _random(args)
        if typ == "kubernetes:helm.sh/v3:Release":
            return _helm_release(args)
        if typ.startswith("kubernetes:"):
            return _kubernetes(args)
        return f"{args.name}-{_hex(args.name, 8)}", dict(args.inputs)

    def call(self, args: MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        """Answer a provider function call; an unknown one is an error, never a silent empty result."""
        handler = self._calls.get(args.token)
        if handler is None:
            raise NotImplementedError(
                f"the offline engine has no mock for the call {args.token!r}: add one to k8tre/offline/mocks.py"
            )
        return handler(args), []
