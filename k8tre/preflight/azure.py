"""Preflight rules for Azure: what ARM would refuse, and what would break once it accepted.

Each rule names the Microsoft page (or REST specification) its constraint comes from.
"""

from __future__ import annotations

from ..offline.graph import Graph
from ..policies.registry import Evaluation
from . import azure_graph as ag
from .registry import PreflightContext, preflight_rule

AKS_LOG_CATEGORIES = frozenset(
    {
        "kube-apiserver",
        "kube-audit",
        "kube-audit-admin",
        "kube-controller-manager",
        "kube-scheduler",
        "cluster-autoscaler",
        "cloud-controller-manager",
        "guard",
        "csi-azuredisk-controller",
        "csi-azurefile-controller",
        "csi-snapshot-controller",
    }
)
"""AKS resource log categories, as Microsoft's monitoring page lists them.

Source: https://learn.microsoft.com/azure/aks/monitor-aks (MicrosoftDocs/azure-aks-docs, articles/aks/monitor-aks.md).
"""


@preflight_rule(
    "azure-diagnostic-categories-not-mixed",
    cloud="azure",
    constraint="A diagnostic setting selects logs either by category or by category group, never both "
    "(ARM: 'Diagnostic setting does not support mix of log category and log category group').",
    source="https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings#resource-logs",
)
def diagnostic_categories_not_mixed(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Every diagnostic setting's ``logs`` use one selection kind only."""
    evaluation = Evaluation()
    for setting in graph.of_type(*ag.DIAGNOSTIC_SETTING):
        logs = setting.inputs.get("logs") or []
        kinds = {"category" if entry.get("category") else "categoryGroup" for entry in logs if entry.get("enabled", True)}
        evaluation.check(setting.urn, len(kinds) <= 1, "mixes log categories with category groups; ARM answers 400")
    return evaluation


@preflight_rule(
    "azure-aks-audit-log-categories",
    cloud="azure",
    constraint="An AKS cluster's diagnostic setting enables kube-audit-admin (or kube-audit) and names only categories "
    "AKS offers; Microsoft recommends kube-audit-admin, which leaves out get and list events.",
    source="https://learn.microsoft.com/azure/aks/monitor-aks#aks-control-planeresource-logs",
)
def aks_audit_log_categories(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each cluster has a setting sending its API audit log, by category, and nothing AKS does not log."""
    evaluation = Evaluation()
    settings = graph.of_type(*ag.DIAGNOSTIC_SETTING)
    for cluster in graph.of_type(*ag.MANAGED_CLUSTER):
        mine = [s for s in settings if s.inputs.get("resourceUri") == cluster.id]
        categories = {e.get("category") for s in mine for e in s.inputs.get("logs") or [] if e.get("enabled", True)}
        evaluation.check(
            cluster.urn,
            bool(categories & {"kube-audit-admin", "kube-audit"}),
            "no diagnostic setting sends the cluster's kube-audit-admin (or kube-audit) log",
        )
        for setting in mine:
            unknown = sorted(str(c) for c in categories - AKS_LOG_CATEGORIES if c)
            evaluation.check(setting.urn, not unknown, f"AKS has no log categories {unknown}")
    return evaluation


@preflight_rule(
    "azure-role-assignment-principal-type",
    cloud="azure",
    constraint="A role assignment's principalType is the principal's real type; the SDK's default, User, makes ARM "
    "refuse a service principal with UnmatchedPrincipalType.",
    source="https://learn.microsoft.com/azure/role-based-access-control/troubleshooting",
)
def role_assignment_principal_type(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Judge every assignment whose principal the graph can identify; the deployer's type comes from config.

    A managed identity created in this stack is a ServicePrincipal; an Entra group named
    as the cluster's administrators is a Group. The deploying identity's type cannot
    be read from the render (the SDK writes ``User`` when nothing is given, which looks
    the same as ``User`` chosen on purpose): ``k8tre:cluster.deployerPrincipalType``
    decides it, and those assignments are left unexamined here rather than passed.
    """
    evaluation = Evaluation()
    identities = {r.urn for r in graph.of_type("azure-native:managedidentity:UserAssignedIdentity")}
    groups = ag.admin_groups(graph)
    for assignment in graph.of_type("azure-native:authorization:RoleAssignment"):
        actual = assignment.inputs.get("principalType")
        if identities & set(assignment.dependencies):
            expected = "ServicePrincipal"
        elif assignment.inputs.get("principalId") in groups:
            expected = "Group"
        else:
            continue
        evaluation.check(assignment.urn, actual == expected, f"principal is a {expected}, principalType says {actual!r}")
    return evaluation


@preflight_rule(
    "azure-firewall-network-rule-no-wildcard",
    cloud="azure",
    constraint="FQDN filtering in Azure Firewall network rules doesn't support wildcards; only application rules match "
    "wildcard names.",
    source="https://learn.microsoft.com/azure/firewall/fqdn-filtering-network-rules",
)
def firewall_network_rule_no_wildcard(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """No network rule names a destination FQDN with a wildcard."""
    evaluation = Evaluation()
    for group, rule in ag.network_rules(graph):
        wildcards = [name for name in rule.get("destinationFqdns") or [] if "*" in name]
        evaluation.check(group.urn, not wildcards, f"network rule {rule.get('name')!r} has wildcard FQDNs {wildcards}")
    return evaluation


@preflight_rule(
    "azure-byocni-pod-cidr",
    cloud="azure",
    constraint="A bring-your-own-CNI cluster must specify networkProfile.podCidr (the control plane routes to pods by it), "
    "and here it must be exactly Cilium's cluster-pool range.",
    source="https://learn.microsoft.com/azure/aks/use-byo-cni#prerequisites",
)
def byocni_pod_cidr(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each ``networkPlugin: none`` cluster's podCidr is set and equals the pool Cilium allocates from."""
    evaluation = Evaluation()
    pools = ag.cilium_pod_pools(graph)
    for cluster in graph.of_type(*ag.MANAGED_CLUSTER):
        profile = cluster.inputs.get("networkProfile") or {}
        if profile.get("networkPlugin") != "none":
            continue
        pod_cidr = profile.get("podCidr")
        evaluation.check(
            cluster.urn,
            pod_cidr is not None and pools == [[pod_cidr]],
            f"podCidr {pod_cidr!r} is not Cilium's cluster pool {pools}",
        )
    return evaluation


@preflight_rule(
    "azure-public-api-reachable-through-firewall",
    cloud="azure",
    constraint="Pods outside kube-system reach a public AKS API by its IP, without SNI that FQDN application rules could "
    "match: egress through a firewall needs a network rule for TCP 443 to the API server.",
    source="https://learn.microsoft.com/azure/aks/outbound-rules-control-egress#azure-global-required-network-rules",
)
def public_api_reachable_through_firewall(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """A public cluster egressing through a firewall this render writes rules for has the API network rule."""
    evaluation = Evaluation()
    rules = ag.network_rules(graph)
    hosts = ag.api_server_hosts(graph)
    if not rules:
        return evaluation  # no firewall rules in this render, nor any handed to a hub's owner: nothing to judge
    for cluster in graph.of_type(*ag.MANAGED_CLUSTER):
        private = (cluster.inputs.get("apiServerAccessProfile") or {}).get("enablePrivateCluster")
        routed = (cluster.inputs.get("networkProfile") or {}).get("outboundType") == "userDefinedRouting"
        if private or not routed:
            continue
        allowed = any(ag.allows_tcp_443(rule, hosts) for _, rule in rules)
        evaluation.check(cluster.urn, allowed, f"no firewall network rule allows TCP 443 to the API server {sorted(hosts)}")
    return evaluation


SUBNETS_WITHOUT_NSG = frozenset({"AzureFirewallSubnet", "AzureFirewallManagementSubnet", "GatewaySubnet", "RouteServerSubnet"})
"""Platform subnets that take no NSG (Azure Firewall, VPN/ExpressRoute gateways, Route Server); the policy exempts them."""


@preflight_rule(
    "azure-subnet-has-nsg",
    cloud="azure",
    constraint="Every subnet other than the platform's own (firewall, gateway, route server) is associated with a network "
    "security group, as the built-in policy 'Subnets should be associated with a Network Security Group' demands.",
    source="https://learn.microsoft.com/azure/governance/policy/samples/built-in-policies#network",
)
def subnet_has_nsg(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each workload subnet names an NSG."""
    evaluation = Evaluation()
    for subnet in graph.of_type("azure-native:network:Subnet"):
        if subnet.inputs.get("subnetName") in SUBNETS_WITHOUT_NSG:
            continue
        nsg = (subnet.inputs.get("networkSecurityGroup") or {}).get("id")
        evaluation.check(subnet.urn, bool(nsg), f"subnet {subnet.inputs.get('subnetName')!r} has no network security group")
    return evaluation


NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
"""Built-in role 'Network Contributor'."""


@preflight_rule(
    "azure-control-plane-route-table-role",
    cloud="azure",
    constraint="With its own subnet and route table, the cluster's user-assigned identity must be able to write the route "
    "table (Network Contributor on it or above), granted before the cluster is created.",
    source="https://learn.microsoft.com/azure/aks/configure-kubenet#bring-your-own-subnet-and-route-table-with-kubenet",
)
def control_plane_route_table_role(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each cluster's control-plane identity holds Network Contributor at or above its node subnets' route tables."""
    evaluation = Evaluation()
    subnets = {s.id: s for s in graph.of_type("azure-native:network:Subnet")}
    by_id = {r.id: r for r in graph.resources if r.id}
    for cluster in graph.of_type(*ag.MANAGED_CLUSTER):
        tables = {
            (subnets[pool["vnetSubnetID"]].inputs.get("routeTable") or {}).get("id")
            for pool in cluster.inputs.get("agentPoolProfiles") or []
            if pool.get("vnetSubnetID") in subnets
        } - {None}
        identities = {
            by_id[i].urn for i in ((cluster.inputs.get("identity") or {}).get("userAssignedIdentities") or {}) if i in by_id
        }
        scopes = [
            str(a.inputs.get("scope"))
            for a in graph.of_type("azure-native:authorization:RoleAssignment")
            if identities & set(a.dependencies) and str(a.inputs.get("roleDefinitionId", "")).endswith(NETWORK_CONTRIBUTOR)
        ]
        for table in sorted(str(t) for t in tables):
            granted = any(table == scope or table.startswith(scope.rstrip("/") + "/") for scope in scopes)
            evaluation.check(cluster.urn, granted, f"the control-plane identity cannot write route table {table}")
    return evaluation
