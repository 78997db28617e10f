"""Azure: hub-spoke, egress through the firewall, AKS with BYO Cilium and kube-proxy off, data services, identities."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from conftest import ROOT, graph_of
from k8tre.chart_lock import chart_name
from k8tre.infrastructure.azure.firewall_rules import AKS_FQDNS
from k8tre.infrastructure.azure.managed_cluster import PREVIEW_TOKEN, STABLE_TOKEN
from k8tre.offline.engine import resolve, run
from k8tre.offline.graph import Graph, RecordedResource
from k8tre.policies.facts import managed_clusters

STACK_HUB = ROOT / "tests" / "stacks" / "Pulumi.azure-stackhub.yaml"


@pytest.fixture(scope="module")
def stack_hub_graph() -> Graph:
    # The management stack's outputs are what a hub-creating stack (dev) really exports, not made up.
    references = {"example-org/k8tre/management": {"hub": graph_of("dev").outputs["hub"]}}
    return run(resolve(str(STACK_HUB), ROOT), references=references)


def _firewall_subnet(graph: Graph) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    subnets = graph.of_type("azure-native:network:Subnet")
    (subnet,) = [s for s in subnets if s.inputs["subnetName"] == "AzureFirewallSubnet"]
    return ipaddress.ip_network(subnet.inputs["addressPrefix"])


def _cluster(graph: Graph) -> RecordedResource:
    (cluster,) = managed_clusters(graph)
    return cluster


def _types(graph: Graph, token: str) -> list[RecordedResource]:
    return graph.of_type(token)


@pytest.mark.parametrize("stack", ["dev", "stg", "prod"])
def test_aks_is_byo_cni_with_kube_proxy_off_through_the_preview_api(stack: str) -> None:
    graph = graph_of(stack)
    cluster = _cluster(graph)
    assert cluster.type == PREVIEW_TOKEN
    profile = cluster.inputs["networkProfile"]
    assert profile["networkPlugin"] == "none"
    assert profile["kubeProxyConfig"] == {"enabled": False}
    assert profile["outboundType"] == "userDefinedRouting"
    features = {f.inputs["featureName"]: f for f in _types(graph, "azure-native:features:SubscriptionFeatureRegistration")}
    assert set(features) == {"KubeProxyConfigurationPreview", "EncryptionAtHost"}
    feature = features["KubeProxyConfigurationPreview"]
    assert feature.urn in cluster.options.depends_on and feature.options.retain_on_delete


def test_cilium_alongside_keeps_kube_proxy_without_its_preview_feature(stack_hub_graph: Graph) -> None:
    cluster = _cluster(stack_hub_graph)
    # KMS data encryption of etcd is preview-only too, so the preview API is used; the stable token remains for a
    # cluster that asks for neither.
    assert cluster.type == PREVIEW_TOKEN != STABLE_TOKEN
    assert "kubeProxyConfig" not in cluster.inputs["networkProfile"]
    features = {f.inputs["featureName"] for f in _types(stack_hub_graph, "azure-native:features:SubscriptionFeatureRegistration")}
    assert features == {"EncryptionAtHost"}


def test_cluster_identity_access_and_upgrades() -> None:
    prod = _cluster(graph_of("prod")).inputs
    assert prod["oidcIssuerProfile"] == {"enabled": True}
    assert prod["securityProfile"]["workloadIdentity"] == {"enabled": True}
    assert prod["aadProfile"]["enableAzureRBAC"] is True
    assert prod["aadProfile"]["adminGroupObjectIDs"] == ["3f2504e0-4f89-41d3-9a0c-0305e82c3301"]
    assert prod["disableLocalAccounts"] is True and prod["apiServerAccessProfile"]["enablePrivateCluster"] is True
    assert prod["autoUpgradeProfile"]["upgradeChannel"] == "patch"
    assert all(p["enableNodePublicIP"] is False and p["vnetSubnetID"] for p in prod["agentPoolProfiles"])
    windows = {
        w.inputs["configName"]: w for w in _types(graph_of("prod"), "azure-native:containerservice:MaintenanceConfiguration")
    }
    assert set(windows) == {"aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"}
    assert all(w.inputs["maintenanceWindow"]["durationHours"] >= 4 for w in windows.values())


def test_private_cluster_cilium_uses_the_private_fqdn() -> None:
    (release,) = [
        r for r in graph_of("prod").of_type("kubernetes:helm.sh/v3:Release") if chart_name(r.inputs["chart"]) == "cilium"
    ]
    assert ".privatelink." in release.inputs["values"]["k8sServiceHost"]
    (dev_release,) = [
        r for r in graph_of("dev").of_type("kubernetes:helm.sh/v3:Release") if chart_name(r.inputs["chart"]) == "cilium"
    ]
    assert ".privatelink." not in dev_release.inputs["values"]["k8sServiceHost"]


@pytest.mark.parametrize("stack", ["dev", "stg", "prod"])
def test_node_egress_is_routed_through_the_hub_firewall(stack: str) -> None:
    graph = graph_of(stack)
    (table,) = _types(graph, "azure-native:network:RouteTable")
    (route,) = table.inputs["routes"]
    assert route["addressPrefix"] == "0.0.0.0/0" and route["nextHopType"] == "VirtualAppliance"
    if stack == "dev":  # the hub's firewall: whatever address Azure gave it, inside its own subnet
        expected_ip = graph.outputs["hub"]["firewallPrivateIp"]
        assert ipaddress.ip_address(expected_ip) in _firewall_subnet(graph)
    else:  # the landing zone's firewall, as its owner gave it in the stack file
        expected_ip = "10.1.0.4"
    assert route["nextHopIpAddress"] == expected_ip
    subnets = {s.inputs["subnetName"]: s for s in _types(graph, "azure-native:network:Subnet")}
    assert subnets["snet-nodes"].inputs["routeTable"]["id"]
    assert subnets["snet-nodes"].inputs["defaultOutboundAccess"] is False
    node_subnet = subnets["snet-nodes"]
    assert all(p["vnetSubnetID"] for p in _cluster(graph).inputs["agentPoolProfiles"])
    assert node_subnet.urn in _cluster(graph).dependencies


@pytest.mark.parametrize("stack", ["dev", "stg"])
def test_spoke_and_hub_are_peered_both_ways(stack: str) -> None:
    peerings = {
        p.inputs["virtualNetworkPeeringName"]: p for p in _types(graph_of(stack), "azure-native:network:VirtualNetworkPeering")
    }
    assert set(peerings) == {"to-hub", f"to-vnet-k8tre-{stack}"}
    assert peerings["to-hub"].inputs["remoteVirtualNetwork"]["id"].endswith(("vnet-k8tre-dev-hub", "vnet-hub-uksouth"))
    back = peerings[f"to-vnet-k8tre-{stack}"].inputs
    assert back["remoteVirtualNetwork"]["id"].endswith(f"vnet-k8tre-{stack}")
    assert back["virtualNetworkName"] in ("vnet-k8tre-dev-hub", "vnet-hub-uksouth")


def test_created_hub_firewall_denies_by_default_and_allows_what_aks_needs() -> None:
    graph = graph_of("dev")
    (firewall,) = _types(graph, "azure-native:network:AzureFirewall")
    assert firewall.inputs["firewallPolicy"]["id"]
    (policy,) = _types(graph, "azure-native:network:FirewallPolicy")
    assert policy.inputs["dnsSettings"] == {"enableProxy": True, "requireProxyForNetworkRules": True}
    assert policy.inputs["threatIntelMode"] == "Deny"
    # The spoke's egress group; the API server's own group is judged by the preflight rules (tests/preflight).
    groups = _types(graph, "azure-native:network:FirewallPolicyRuleCollectionGroup")
    (group,) = [g for g in groups if g.name.endswith("-egress-rules")]
    collections = group.inputs["ruleCollections"]
    assert all(c["action"]["type"] == "Allow" for c in collections), "deny is the firewall's default, no allow-all"
    rules = [rule for c in collections for rule in c["rules"]]
    assert not any("*" in rule.get("destinationAddresses", []) for rule in rules)
    assert any(rule.get("fqdnTags") == ["AzureKubernetesService"] for rule in rules)
    fqdns = {fqdn for rule in rules for fqdn in rule.get("targetFqdns", [])}
    assert set(AKS_FQDNS) <= fqdns and {"pypi.org", "files.pythonhosted.org"} <= fqdns
    assert all(rule["sourceAddresses"] == ["10.10.0.0/16"] for rule in rules)


def test_existing_hub_mode_creates_no_hub(stack_hub_graph: Graph) -> None:
    for graph in (graph_of("stg"), stack_hub_graph):
        assert not _types(graph, "azure-native:network:AzureFirewall")
        # The only private zone is the environment's own (external-dns's), not a hub's Private Link zones.
        zones = [z.inputs["privateZoneName"] for z in _types(graph, "azure-native:privatedns:PrivateZone")]
        assert zones == [graph.outputs["domain"]]
    (reference,) = _types(stack_hub_graph, "pulumi:pulumi:StackReference")
    assert reference.inputs["name"] == "example-org/k8tre/management"
    (table,) = _types(stack_hub_graph, "azure-native:network:RouteTable")
    assert table.inputs["routes"][0]["nextHopIpAddress"] == graph_of("dev").outputs["hub"]["firewallPrivateIp"]


@pytest.mark.parametrize("stack", ["dev", "stg", "prod"])
def test_key_vault_and_storage_are_private_and_hardened(stack: str) -> None:
    graph = graph_of(stack)
    (vault,) = [v for v in _types(graph, "azure-native:keyvault:Vault") if v.name.endswith("data-kv")]
    props = vault.inputs["properties"]
    assert props["enableRbacAuthorization"] and props["enablePurgeProtection"] and props["enableSoftDelete"]
    assert props["publicNetworkAccess"] == "Disabled" and props["networkAcls"]["defaultAction"] == "Deny"
    accounts = _types(graph, "azure-native:storage:StorageAccount")
    assert len(accounts) == 3  # core, workspace, and the backup store's own
    for account in accounts:
        inputs = account.inputs
        assert inputs["allowBlobPublicAccess"] is False and inputs["minimumTlsVersion"] == "TLS1_2"
        assert inputs["enableHttpsTrafficOnly"] is True and inputs["publicNetworkAccess"] == "Disabled"
    assert sorted(bool(a.inputs.get("isHnsEnabled")) for a in accounts) == [False, False, True]
    endpoints = _types(graph, "azure-native:network:PrivateEndpoint")
    groups = sorted(e.inputs["privateLinkServiceConnections"][0]["groupIds"][0] for e in endpoints)
    assert groups == ["blob", "blob", "blob", "dfs", "file", "file", "vault"]
    zone_groups = _types(graph, "azure-native:network:PrivateDnsZoneGroup")
    assert len(zone_groups) == len(endpoints)
    assert all("privatelink." in z.inputs["privateDnsZoneConfigs"][0]["privateDnsZoneId"] for z in zone_groups)


def test_federated_credentials_bind_the_right_service_accounts() -> None:
    graph = graph_of("dev")
    credentials = {c.inputs["subject"]: c for c in _types(graph, "azure-native:managedidentity:FederatedIdentityCredential")}
    assert set(credentials) == {
        "system:serviceaccount:cert-manager:cert-manager",
        "system:serviceaccount:external-dns:external-dns",
        "system:serviceaccount:external-secrets:external-secrets",
        "system:serviceaccount:velero:velero",
        # Keycloak's database backs up to Velero's container as Velero's identity (naming.DATABASE_SERVICE_ACCOUNTS).
        "system:serviceaccount:keycloak:keycloak-db",
    }
    velero, database = (credentials[f"system:serviceaccount:{s}"] for s in ("velero:velero", "keycloak:keycloak-db"))
    assert database.inputs["resourceName"] == velero.inputs["resourceName"], "the database uses the backup identity"
    issuers = {credential.inputs["issuer"] for credential in credentials.values()}
    assert len(issuers) == 1, "every identity trusts the one cluster's OIDC issuer"
    assert _cluster(graph).inputs["oidcIssuerProfile"]["enabled"] and issuers.pop().startswith("https://")
    for credential in credentials.values():
        assert credential.inputs["audiences"] == ["api://AzureADTokenExchange"]
    roles = {r.name.rsplit("-identities-", 1)[-1]: r.inputs for r in _types(graph, "azure-native:authorization:RoleAssignment")}
    # cert-manager answers ACME in the public zone; external-dns publishes in the private zone only.
    assert roles["cert-manager-role"]["scope"].endswith("/Microsoft.Network/dnszones/dev.tre.example.ac.uk")
    assert roles["cert-manager-role"]["roleDefinitionId"].endswith("befefa01-2a29-4197-83a8-272ff33ce314")
    assert roles["external-dns-role"]["scope"].endswith("/Microsoft.Network/privateDnsZones/dev.tre.example.ac.uk")
    assert roles["external-dns-role"]["roleDefinitionId"].endswith("b12aa53e-6015-4669-85d0-8515ebb3ae7f")
    assert "/Microsoft.KeyVault/vaults/" in roles["external-secrets-role"]["scope"]
    assert roles["external-secrets-role"]["roleDefinitionId"].endswith("4633458b-17de-408a-b874-0445c86b69e6")


def test_access_grants_and_their_scopes() -> None:
    graph = graph_of("prod")
    roles = {r.name.rsplit("-aks-", 1)[-1]: r for r in _types(graph, "azure-native:authorization:RoleAssignment")}
    assert "/Microsoft.ContainerService/managedClusters/" in roles["deployer-admin"].inputs["scope"]
    assert roles["control-plane-network"].inputs["scope"].endswith("/virtualNetworks/vnet-k8tre-prod")
    zone_role = roles["control-plane-private-dns"].inputs
    assert zone_role["scope"].endswith("/privateDnsZones/privatelink.uksouth.azmk8s.io")
    (cluster,) = managed_clusters(graph)
    assert cluster.inputs["apiServerAccessProfile"]["privateDNSZone"] == zone_role["scope"]
    assert cluster.inputs["identity"]["type"] == "UserAssigned"
    # The cluster waits for the identity's roles to be honoured: through the propagation wait that follows them.
    (wait,) = [graph.get(u) for u in cluster.options.depends_on if graph.get(u).type == "command:local:Command"]
    assert {roles["control-plane-network"].urn, roles["control-plane-private-dns"].urn} <= set(wait.dependencies)
    assert "control-plane-private-dns" not in {
        r.name.rsplit("-aks-", 1)[-1] for r in _types(graph_of("dev"), "azure-native:authorization:RoleAssignment")
    }, "a public dev API registers no private name"
    assert roles["vault-admin-0"].inputs["principalType"] == "Group"
    (release,) = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if chart_name(r.inputs["chart"]) == "cilium"]
    # Cilium installs only once the deployer's cluster-admin role exists and has been honoured (the wait after it).
    (access_wait,) = [graph.get(u) for u in release.dependencies if graph.get(u).type == "command:local:Command"]
    assert roles["deployer-admin"].urn in access_wait.dependencies, "Cilium installs only once the deployer may"
    settings = {
        s.inputs["resourceUri"].split("/providers/")[-1].split("/")[0]
        for s in graph.of_type("azure-native:monitor:DiagnosticSetting")
    }
    assert settings == {"Microsoft.ContainerService", "Microsoft.KeyVault", "Microsoft.Storage"}  # storage: per service


def test_cert_manager_answers_dns01_as_its_own_workload_identity() -> None:
    graph = graph_of("stg")
    (identity,) = [
        r
        for r in graph.of_type("azure-native:managedidentity:UserAssignedIdentity")
        if r.inputs["resourceName"].endswith("-cert-manager")
    ]
    (release,) = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if chart_name(r.inputs["chart"]) == "cert-manager"]
    client_id = release.inputs["values"]["serviceAccount"]["annotations"]["azure.workload.identity/client-id"]
    assert release.inputs["values"]["podLabels"] == {"azure.workload.identity/use": "true"}
    (issuer,) = [m for m in graph.manifests() if m["kind"] == "ClusterIssuer" and "acme" in m["spec"]]
    dns01 = issuer["spec"]["acme"]["solvers"][0]
    assert dns01["selector"] == {"dnsZones": ["stg.tre.example.ac.uk"]}
    assert dns01["dns01"]["azureDNS"]["managedIdentity"]["clientID"] == client_id
    assert dns01["dns01"]["azureDNS"]["hostedZoneName"] == "stg.tre.example.ac.uk"
    (zone,) = graph.of_type("azure-native:dns:Zone")
    assert zone.inputs["zoneName"] == "stg.tre.example.ac.uk"
    assert identity.inputs["resourceName"] == "id-k8tre-stg-cert-manager"


def test_a_created_hub_is_exported_in_the_shape_spokes_read(stack_hub_graph: Graph) -> None:
    from k8tre.infrastructure.azure.hub import PRIVATE_DNS_ZONES

    exported = graph_of("dev").outputs["hub"]
    assert set(exported) == {"vnetId", "firewallPrivateIp", "logAnalyticsWorkspaceId", "privateDnsZoneIds"}
    assert set(exported["privateDnsZoneIds"]) == {"aks", *PRIVATE_DNS_ZONES}
    assert ipaddress.ip_address(exported["firewallPrivateIp"]) in _firewall_subnet(graph_of("dev"))
    # The offline engine reads another stack's outputs only from what it was given: nothing made up.
    from pulumi.runtime import MockResourceArgs

    from k8tre.offline.mocks import K8treMocks, MockMissing

    reference = MockResourceArgs("pulumi:pulumi:StackReference", "ref", {"name": "o/p/s"}, custom=True)
    _, state = K8treMocks(references={"o/p/s": {"hub": exported}}).new_resource(reference)
    assert state["outputs"]["hub"] == exported
    with pytest.raises(MockMissing, match="'o/p/s'"):
        K8treMocks().new_resource(reference)
    assert stack_hub_graph.of_type("pulumi:pulumi:StackReference")
    assert "hub" not in graph_of("stg").outputs, "a spoke of an existing hub exports no hub"


def test_a_public_api_server_is_reachable_only_from_its_authorised_ranges(stack_hub_graph: Graph) -> None:
    access = _cluster(stack_hub_graph).inputs["apiServerAccessProfile"]
    assert access == {"enablePrivateCluster": False, "authorizedIPRanges": ["203.0.113.0/24"]}


# --- Network security groups, judged as Azure evaluates them -------------------------------------------------
# Azure docs, "Network security groups" (https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview):
# rules are processed in priority order, lowest number first, and processing stops at the first rule that matches;
# after the NSG's own rules come the default rules AllowVNetInBound (65000), AllowAzureLoadBalancerInBound (65001)
# and DenyAllInBound (65500). Service tags: VirtualNetwork is the VNet's and its peers' (here: private) space,
# Internet every address outside it, AzureLoadBalancer the platform's health probe address 168.63.129.16.
PRIVATE_RANGES = tuple(ipaddress.ip_network(r) for r in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
AZURE_LOAD_BALANCER = ipaddress.ip_address("168.63.129.16")
DEFAULT_INBOUND = (
    {"name": "AllowVNetInBound", "priority": 65000, "sourceAddressPrefix": "VirtualNetwork", "access": "Allow"},
    {"name": "AllowAzureLoadBalancerInBound", "priority": 65001, "sourceAddressPrefix": "AzureLoadBalancer", "access": "Allow"},
    {"name": "DenyAllInBound", "priority": 65500, "sourceAddressPrefix": "*", "access": "Deny"},
)


def _source_matches(prefix: str, source: ipaddress.IPv4Address) -> bool:
    in_vnet = any(source in network for network in PRIVATE_RANGES)
    match prefix:
        case "*":
            return True
        case "VirtualNetwork":
            return in_vnet
        case "Internet":
            return not in_vnet and source != AZURE_LOAD_BALANCER
        case "AzureLoadBalancer":
            return source == AZURE_LOAD_BALANCER
        case _:
            return source in ipaddress.ip_network(prefix)


def _port_matches(spec: str, port: int) -> bool:
    if spec == "*":
        return True
    low, _, high = spec.partition("-")
    return int(low) <= port <= int(high or low)


def nsg_verdict(rules: list[dict[str, Any]], source: str, port: int, protocol: str = "Tcp") -> str:
    """``Allow by <rule>`` or ``Deny by <rule>`` for inbound traffic from ``source`` to ``port``."""
    address = ipaddress.ip_address(source)
    assert isinstance(address, ipaddress.IPv4Address)
    inbound = [r for r in rules if r.get("direction", "Inbound") == "Inbound"] + list(DEFAULT_INBOUND)
    for rule in sorted(inbound, key=lambda r: int(str(r["priority"]))):
        prefixes = rule.get("sourceAddressPrefixes") or [rule.get("sourceAddressPrefix", "*")]
        ports = rule.get("destinationPortRanges") or [rule.get("destinationPortRange", "*")]
        if (
            rule.get("protocol", "*") in ("*", protocol)
            and any(_source_matches(str(p), address) for p in prefixes)
            and any(_port_matches(str(p), port) for p in ports)
        ):
            return f"{rule['access']} by {rule['name']}"
    raise AssertionError("DenyAllInBound matches everything")


def test_the_nsg_verdict_follows_priority_and_service_tags() -> None:
    rules: list[dict[str, Any]] = [
        {"name": "deny-22", "priority": 100, "sourceAddressPrefix": "*", "destinationPortRange": "22", "access": "Deny"},
        {"name": "web", "priority": 200, "sourceAddressPrefix": "Internet", "destinationPortRange": "80-443", "access": "Allow"},
    ]
    assert nsg_verdict(rules, "52.1.2.3", 22) == "Deny by deny-22"
    assert nsg_verdict(rules, "52.1.2.3", 443) == "Allow by web"
    assert nsg_verdict(rules, "52.1.2.3", 8080) == "Deny by DenyAllInBound"
    assert nsg_verdict(rules, "10.1.0.4", 8080) == "Allow by AllowVNetInBound"
    assert nsg_verdict(rules, "168.63.129.16", 8080) == "Allow by AllowAzureLoadBalancerInBound"


@pytest.mark.parametrize("stack", ["dev", "stg", "prod"])
def test_no_subnet_admits_the_internet_and_the_gateway_serves_private_ranges(stack: str) -> None:
    graph = graph_of(stack)
    groups = {g.inputs["networkSecurityGroupName"]: g for g in _types(graph, "azure-native:network:NetworkSecurityGroup")}
    subnets = {s.inputs["subnetName"]: s for s in _types(graph, "azure-native:network:Subnet")}
    for name, subnet in subnets.items():
        if name == "AzureFirewallSubnet":
            continue  # Azure refuses an NSG on the firewall's own subnet; the firewall is the control there
        assert subnet.inputs.get("networkSecurityGroup"), f"{name} has no NSG"
        group = groups[subnet.inputs["networkSecurityGroup"]["id"].rsplit("/", 1)[-1]]
        rules = list(group.inputs.get("securityRules") or [])
        for source in ("52.1.2.3", "8.8.8.8"):  # public addresses, outside any VNet
            for port, protocol in ((443, "Tcp"), (80, "Tcp"), (22, "Tcp"), (6443, "Tcp"), (53, "Udp")):
                verdict = nsg_verdict(rules, source, port, protocol)
                assert verdict.startswith("Deny"), f"{name}: {source} -> {port}/{protocol} {verdict}"
    ingress = groups[subnets["snet-ingress"].inputs["networkSecurityGroup"]["id"].rsplit("/", 1)[-1]]
    rules = list(ingress.inputs["securityRules"])
    # The Gateway's internal load balancer: reached over the peering from private ranges, and by Azure's probes.
    assert nsg_verdict(rules, "10.1.0.4", 443).startswith("Allow")
    assert nsg_verdict(rules, "192.168.4.20", 80).startswith("Allow")
    assert nsg_verdict(rules, "168.63.129.16", 443).startswith("Allow")
