"""Each Azure preflight rule passes the real stacks and fails a render changed to break its constraint.

The mutations reproduce what the program used to render (a category group beside
categories, wildcard names in network rules, no pod CIDR, no API server rule) and
other harmful changes, so each rule is shown to catch what it claims to.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable
from typing import Any

import pytest

from conftest import graph_of
from k8tre.chart_lock import chart_name
from k8tre.offline.graph import Graph, RecordedResource
from k8tre.preflight.registry import PreflightFinding, run_preflight

TODAY = datetime.date(2026, 11, 25)
Mutation = Callable[[Graph], None]


def _finding(graph: Graph, rule_id: str, today: datetime.date = TODAY) -> PreflightFinding:
    return next(f for f in run_preflight(graph, today) if f.rule.id == rule_id)


def _one(graph: Graph, name_suffix: str) -> RecordedResource:
    (found,) = [r for r in graph.resources if r.name.endswith(name_suffix)]
    return found


def _cluster(graph: Graph) -> RecordedResource:
    (found,) = [r for r in graph.resources if r.type.endswith(":ManagedCluster")]
    return found


def _cilium(graph: Graph) -> RecordedResource:
    (found,) = [
        r
        for r in graph.resources
        if r.type == "kubernetes:helm.sh/v3:Release" and chart_name(str(r.inputs.get("chart", ""))) == "cilium"
    ]
    return found


def _cluster_logs(graph: Graph) -> list[dict[str, object]]:
    logs: list[dict[str, object]] = _one(graph, "aks-diagnostics").inputs["logs"]
    return logs


def _api_rule(graph: Graph) -> dict[str, object]:
    rule: dict[str, object] = _one(graph, "api-server-rules").inputs["ruleCollections"][0]["rules"][0]
    return rule


def _add_wildcard_network_rule(graph: Graph) -> None:
    # What the program rendered before: DNS-01 checks to the zone's name servers by wildcard.
    collections = _one(graph, "spoke-egress-rules").inputs["ruleCollections"]
    collections[0]["rules"].append(
        {
            "ruleType": "NetworkRule",
            "name": "dns01-check-udp",
            "ipProtocols": ["UDP"],
            "sourceAddresses": ["10.10.0.0/16"],
            "destinationPorts": ["53"],
            "destinationFqdns": ["*.azure-dns.com", "*.azure-dns.net"],
        }
    )


def _handed(graph: Graph) -> list[dict[str, Any]]:
    """The rule collection groups handed to the owner of a hub the stack does not own (ARM REST bodies)."""
    groups: list[dict[str, Any]] = graph.outputs["hubFirewallRules"]
    return groups


def _add_wildcard_handed_rule(graph: Graph) -> None:
    rules = _handed(graph)[0]["properties"]["ruleCollections"][0]["rules"]
    rules.append({**rules[0], "name": "dns01-check", "destinationFqdns": ["*.azure-dns.com"]})


VIOLATIONS: list[tuple[str, str, Mutation]] = [
    # The spoke left on Azure DNS: its FQDN network rules would not see the addresses the spoke resolves.
    (
        "azure-firewall-dns-proxy-for-fqdn-network-rules",
        "dev",
        lambda g: next(r for r in g.of_type("azure-native:network:VirtualNetwork") if "dhcpOptions" in r.inputs).inputs.pop(
            "dhcpOptions"
        ),
    ),
    # The old AKS setting: the 'audit' category group beside individual categories (ARM 400).
    (
        "azure-diagnostic-categories-not-mixed",
        "dev",
        lambda g: _cluster_logs(g).append({"categoryGroup": "audit", "enabled": True}),
    ),
    (
        "azure-diagnostic-categories-not-mixed",
        "stg",
        lambda g: _cluster_logs(g).append({"categoryGroup": "allLogs", "enabled": True}),
    ),
    (
        "azure-aks-audit-log-categories",
        "dev",
        lambda g: _cluster_logs(g).remove({"category": "kube-audit-admin", "enabled": True}),
    ),
    (
        "azure-aks-audit-log-categories",
        "prod",
        lambda g: _cluster_logs(g).append({"category": "kube-audit-all", "enabled": True}),
    ),
    # A managed identity named as a User (the SDK default) is refused by ARM.
    (
        "azure-role-assignment-principal-type",
        "dev",
        lambda g: _one(g, "control-plane-network").inputs.update(principalType="User"),
    ),
    ("azure-role-assignment-principal-type", "stg", lambda g: _one(g, "cert-manager-role").inputs.update(principalType="User")),
    ("azure-role-assignment-principal-type", "dev", lambda g: _one(g, "vault-admin-0").inputs.update(principalType="User")),
    ("azure-firewall-network-rule-no-wildcard", "dev", _add_wildcard_network_rule),
    ("azure-firewall-network-rule-no-wildcard", "stg", _add_wildcard_handed_rule),
    # The old cluster: no podCidr at all (AKS would use its own default, not Cilium's pool).
    ("azure-byocni-pod-cidr", "dev", lambda g: _cluster(g).inputs["networkProfile"].pop("podCidr")),
    ("azure-byocni-pod-cidr", "stg", lambda g: _cluster(g).inputs["networkProfile"].update(podCidr="10.244.0.0/16")),
    (
        "azure-byocni-pod-cidr",
        "prod",
        lambda g: _cilium(g).inputs["values"]["ipam"]["operator"].update(clusterPoolIPv4PodCIDRList=["10.99.0.0/16"]),
    ),
    # The old render: no rule for pods outside kube-system to reach the public API by IP.
    ("azure-public-api-reachable-through-firewall", "dev", lambda g: g.resources.remove(_one(g, "api-server-rules"))),
    ("azure-public-api-reachable-through-firewall", "dev", lambda g: _api_rule(g).update(destinationPorts=["80"])),
    ("azure-public-api-reachable-through-firewall", "dev", lambda g: _api_rule(g).update(ipProtocols=["UDP"])),
    ("azure-public-api-reachable-through-firewall", "dev", lambda g: _api_rule(g).update(destinationFqdns=["example.org"])),
    # The old spoke: snet-endpoints without an NSG (denied by landing-zone policy).
    ("azure-subnet-has-nsg", "dev", lambda g: _one(g, "spoke-endpoints").inputs.pop("networkSecurityGroup")),
    ("azure-subnet-has-nsg", "prod", lambda g: _one(g, "spoke-nodes").inputs.pop("networkSecurityGroup")),
    # The old hub side (defect 7): no provider for the hub's subscription, so the peering lands in the spoke's.
    (
        "azure-resource-in-its-subscription",
        "stg",
        lambda g: g.resources.remove(next(iter(g.of_type("pulumi:providers:azure-native")))),
    ),
    # A production firewall behind the one public IP every hub used to get.
    (
        "azure-firewall-snat-public-ips",
        "dev",
        lambda g: _one(g, "hub-firewall").inputs["tags"].update({"k8tre:environment": "prod"}),
    ),
    # The AKS baseline, each setting as the cluster had it before (absent) or switched off.
    ("azure-aks-image-cleaner", "dev", lambda g: _cluster(g).inputs["securityProfile"].pop("imageCleaner")),
    ("azure-aks-defender", "prod", lambda g: _cluster(g).inputs["securityProfile"].pop("defender")),
    (
        "azure-aks-defender",
        "stg",
        lambda g: _cluster(g).inputs["securityProfile"]["defender"].update(logAnalyticsWorkspaceResourceId=""),
    ),
    ("azure-aks-azure-policy", "dev", lambda g: _cluster(g).inputs.pop("addonProfiles")),
    (
        "azure-aks-system-pool-critical-addons-only",
        "prod",
        lambda g: _cluster(g).inputs["agentPoolProfiles"][0].pop("nodeTaints"),
    ),
    ("azure-aks-max-pods-within-cilium-node-range", "dev", lambda g: _cluster(g).inputs["agentPoolProfiles"][1].pop("maxPods")),
    (
        "azure-aks-max-pods-within-cilium-node-range",
        "stg",
        lambda g: _cilium(g).inputs["values"]["ipam"]["operator"].update(clusterPoolIPv4MaskSize=26),
    ),
    (
        "azure-aks-private-cluster-no-public-fqdn",
        "prod",
        lambda g: _cluster(g).inputs["apiServerAccessProfile"].pop("enablePrivateClusterPublicFQDN"),
    ),
    # The old storage: no data protection and no logs from the accounts' services.
    ("azure-storage-blob-data-protection", "dev", lambda g: g.resources.remove(_one(g, "st-core-blob-protection"))),
    (
        "azure-storage-blob-data-protection",
        "prod",
        lambda g: _one(g, "st-core-blob-protection").inputs.update(isVersioningEnabled=False),
    ),
    (
        "azure-storage-blob-data-protection",
        "stg",
        lambda g: _one(g, "st-core-blob-protection").inputs["containerDeleteRetentionPolicy"].update(days=1),
    ),
    ("azure-storage-diagnostics", "dev", lambda g: g.resources.remove(_one(g, "st-workspace-file-diagnostics"))),
    ("azure-storage-diagnostics", "prod", lambda g: _one(g, "st-core-blob-diagnostics").inputs.update(logs=[])),
    # The node subnet on Azure's default rules only (AllowVnetInBound admits the hub and every peer).
    ("azure-aks-node-subnet-nsg", "stg", lambda g: _one(g, "spoke-nsg-nodes").inputs.pop("securityRules")),
    # etcd Secrets under AKS's platform encryption only, or the key's vault closed to AKS's KMS plugin.
    ("azure-aks-kms-etcd-encryption", "dev", lambda g: _cluster(g).inputs["securityProfile"].pop("azureKeyVaultKms")),
    (
        "azure-aks-kms-etcd-encryption",
        "prod",
        lambda g: _one(g, "etcd-kv").inputs["properties"].update(enablePurgeProtection=False),
    ),
    # An ephemeral OS disk on a size without local storage; a managed one where an ephemeral one fits.
    (
        "azure-aks-ephemeral-os-disk-fits",
        "stg",
        lambda g: _cluster(g).inputs["agentPoolProfiles"][0].update(vmSize="Standard_D4s_v5"),
    ),
    (
        "azure-aks-ephemeral-os-disk-preferred",
        "dev",
        lambda g: _cluster(g).inputs["agentPoolProfiles"][1].update(osDiskType="Managed"),
    ),
    (
        "azure-storage-infrastructure-encryption",
        "dev",
        lambda g: _one(g, "st-workspace").inputs["encryption"].update(requireInfrastructureEncryption=False),
    ),
    # Velero's identity trusting another service account than the one the chart runs it as.
    (
        "velero-azure-workload-identity",
        "dev",
        lambda g: _one(g, "backups-velero-federation").inputs.update(subject="system:serviceaccount:velero:velero-server"),
    ),
    # The old grants: Network Contributor on the VNet only, which does not reach the route table.
    ("azure-control-plane-route-table-role", "dev", lambda g: g.resources.remove(_one(g, "control-plane-route-table"))),
    # The environment's private zone: a name Azure refuses, and a zone the resolving hub never sees.
    ("azure-private-dns-zone-name", "dev", lambda g: _one(g, "private-dns-zone").inputs.update(privateZoneName="internal")),
    ("azure-private-dns-zone-linked-where-resolved", "dev", lambda g: g.resources.remove(_one(g, "private-dns-hub-link"))),
    (
        "azure-control-plane-route-table-role",
        "stg",
        lambda g: _one(g, "control-plane-route-table").inputs.update(
            roleDefinitionId="/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
        ),
    ),
    # An NFS Azure Files class on a standard account: NFS shares exist only on premium accounts.
    (
        "azure-files-nfs-premium-private",
        "dev",
        lambda g: (
            next(r for r in g.kubernetes_objects() if r.inputs.get("metadata", {}).get("name") == "rwx-default")
            .inputs["parameters"]
            .update(skuName="Standard_ZRS")
        ),
    ),
    # The vault moved to access policies: External Secrets' "Key Vault Secrets User" assignment would grant nothing.
    (
        "azure-key-vault-rbac-for-data-roles",
        "dev",
        lambda g: (
            next(v for v in g.of_type("azure-native:keyvault:Vault") if "-etcd-" not in v.name)
            .inputs["properties"]
            .update(enableRbacAuthorization=False)
        ),
    ),
    # The chart repository Argo CD fetches JupyterHub from, and grafana.com, dropped from the firewall's rules.
    ("azure-firewall-allows-image-registries", "dev", lambda g: _drop_target_fqdn(g, "hub.jupyter.org")),
    ("azure-firewall-allows-policy-fqdns", "dev", lambda g: _drop_target_fqdn(g, "grafana.com")),
]


def _drop_target_fqdn(graph: Graph, fqdn: str) -> None:
    for group in graph.of_type("azure-native:network:FirewallPolicyRuleCollectionGroup"):
        for collection in group.inputs["ruleCollections"]:
            for rule in collection["rules"]:
                if fqdn in (rule.get("targetFqdns") or []):
                    rule["targetFqdns"].remove(fqdn)


@pytest.mark.parametrize(
    ("rule_id", "stack", "mutate"), VIOLATIONS, ids=[f"{r}-{s}-{i}" for i, (r, s, _) in enumerate(VIOLATIONS)]
)
def test_a_harmful_change_fails_the_rule(rule_id: str, stack: str, mutate: Mutation) -> None:
    assert _finding(graph_of(stack), rule_id).status == "pass", "the real stack must pass first"
    graph = copy.deepcopy(graph_of(stack))
    mutate(graph)
    finding = _finding(graph, rule_id)
    # A recommendation (severity warning) is reported, without failing the check.
    expected = "warn" if finding.rule.severity == "warning" else "fail"
    assert finding.status == expected, [v.message for v in finding.evaluation.violations]
    assert all(v.urn.startswith("urn:pulumi:") for v in finding.evaluation.violations)


def test_every_azure_rule_has_a_violation_test() -> None:
    azure_rules = {f.rule.id for f in run_preflight(graph_of("dev"), TODAY) if f.rule.cloud == "azure"}
    assert azure_rules - {"aks-kubernetes-version-supported"} <= {rule for rule, _, _ in VIOLATIONS}


def test_rules_handed_to_a_hubs_owner_are_judged_like_rules_created_here() -> None:
    # stg joins an existing hub: it creates no rule collection group, but hands its owner the rules as an output.
    graph = graph_of("stg")
    assert not graph.of_type("azure-native:network:FirewallPolicyRuleCollectionGroup")
    wildcards = _finding(graph, "azure-firewall-network-rule-no-wildcard")
    assert wildcards.status == "pass" and wildcards.evaluation.examined == [graph.of_type("pulumi:pulumi:Stack")[0].urn]
    # Without them (what the program rendered before) nothing is left to judge, and the rule says so.
    bare = copy.deepcopy(graph)
    bare.outputs.pop("hubFirewallRules")
    assert _finding(bare, "azure-firewall-network-rule-no-wildcard").status == "not-applicable"


def test_a_private_cluster_needs_no_api_server_rule() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    graph.resources.remove(_one(graph, "api-server-rules"))
    _cluster(graph).inputs["apiServerAccessProfile"]["enablePrivateCluster"] = True
    assert _finding(graph, "azure-public-api-reachable-through-firewall").status == "not-applicable"


def test_the_deployers_assignment_is_left_unjudged_not_passed() -> None:
    # Its type cannot be read from the render (the SDK writes User when none is given).
    finding = _finding(graph_of("dev"), "azure-role-assignment-principal-type")
    assert not any(urn.endswith("deployer-admin") for urn in finding.evaluation.examined)
    assert any(urn.endswith("control-plane-network") for urn in finding.evaluation.examined)
