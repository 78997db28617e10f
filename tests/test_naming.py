"""The names the program gives cloud resources are the names the configuration checks, within each cloud's limits."""

from __future__ import annotations

import pytest

from conftest import graph_of
from k8tre.infrastructure.azure.data_services import STORAGE_ACCOUNTS
from k8tre.naming import LIMITS, AwsNames, AzureNames, aws_names, azure_names, name_problems

# (resource type suffix, input holding the physical name, kind in naming.LIMITS)
_PHYSICAL = (
    ("resources:ResourceGroup", "resourceGroupName", "resource-group"),
    ("network:VirtualNetwork", "virtualNetworkName", "virtual-network"),
    ("network:RouteTable", "routeTableName", "route-table"),
    ("network:NetworkSecurityGroup", "networkSecurityGroupName", "network-security-group"),
    ("network:PublicIPAddress", "publicIpAddressName", "public-ip"),
    ("network:FirewallPolicy", "firewallPolicyName", "firewall-policy"),
    ("network:AzureFirewall", "azureFirewallName", "firewall"),
    ("network:FirewallPolicyRuleCollectionGroup", "ruleCollectionGroupName", "rule-collection-group"),
    ("privatedns:VirtualNetworkLink", "virtualNetworkLinkName", "dns-zone-link"),
    ("operationalinsights:Workspace", "workspaceName", "log-analytics"),
    (":ManagedCluster", "resourceName", "aks-cluster"),
    (":ManagedCluster", "dnsPrefix", "aks-dns-prefix"),
    ("managedidentity:UserAssignedIdentity", "resourceName", "identity"),
    ("keyvault:Vault", "vaultName", "key-vault"),
    ("storage:StorageAccount", "accountName", "storage-account"),
    ("aws:eks/cluster:Cluster", "name", "eks-cluster"),
    ("aws:cloudwatch/logGroup:LogGroup", "name", "log-group"),
    ("storage:BlobContainer", "containerName", "blob-container"),
    ("aws:s3/bucket:Bucket", "bucket", "s3-bucket"),
)


def test_names_are_byte_identical_to_the_names_resources_already_have() -> None:
    # Renaming a physical name replaces the resource: these are the names deployed stacks carry.
    names = AzureNames("k8tre-dev")
    assert (names.resource_group, names.hub_resource_group, names.vnet, names.hub_vnet) == (
        "rg-k8tre-dev",
        "rg-k8tre-dev-hub",
        "vnet-k8tre-dev",
        "vnet-k8tre-dev-hub",
    )
    assert (names.aks_cluster, names.firewall, names.firewall_policy, names.log_analytics) == (
        "aks-k8tre-dev",
        "afw-k8tre-dev",
        "afwp-k8tre-dev",
        "log-k8tre-dev",
    )
    assert names.key_vault("00000000-0000-0000-0000-000000000001", "uksouth") == "kvk8tredevbc6d6bc1"
    assert names.storage_account("workspace", "00000000-0000-0000-0000-000000000001") == "stk8tredevwork62f28f27"
    assert (AwsNames("k8tre-prod").eks_cluster, AwsNames("k8tre-prod").eks_log_group) == (
        "eks-k8tre-prod",
        "/aws/eks/eks-k8tre-prod/cluster",
    )


@pytest.mark.parametrize("stack", ["dev", "prod", "aws-dev"])
def test_every_physical_name_the_program_registers_is_one_the_config_checks(stack: str) -> None:
    """Each name is within its limit and, unless hashed or per service, among the names config derives and checks."""
    graph = graph_of(stack)
    environment = stack.split("-")[-1]
    slug = f"k8tre-{environment}"
    derived = aws_names(slug) if stack.startswith("aws") else azure_names(slug, "uksouth", hub_created=stack == "dev")
    examined = 0
    for suffix, field, kind in _PHYSICAL:
        for resource in graph.resources:
            value = resource.inputs.get(field)
            if not resource.type.endswith(suffix) or not isinstance(value, str):
                continue
            examined += 1
            assert LIMITS[kind].problem(value) is None, f"{resource.urn}: {value}"
            if kind not in ("key-vault", "storage-account", "identity", "s3-bucket") and not value.startswith("rg-landing"):
                assert value in derived.values(), f"{resource.urn}: {value} is not a name the config checks"
    assert examined >= 2, "the program registered none of the named resources: the table above is stale"


@pytest.mark.parametrize("kind", sorted(LIMITS))
def test_each_limit_accepts_its_longest_name_and_refuses_one_more(kind: str) -> None:
    limit = LIMITS[kind]
    longest = ("a" * limit.maximum) if kind != "log-group" else "/" + "a" * (limit.maximum - 1)
    assert limit.problem(longest) is None
    assert limit.problem(longest + "a") is not None


def test_a_63_character_name_is_refused_on_azure_but_not_on_aws() -> None:
    slug = f"{'a' * 63}-prod"
    problems = name_problems(azure_names(slug, "uksouth", hub_created=True))
    assert any("AKS cluster" in p for p in problems) and any("dnsPrefix" in p for p in problems)
    assert name_problems(aws_names(slug)) == []  # EKS allows 100 characters


def test_storage_roles_checked_are_the_accounts_created() -> None:
    from k8tre.naming import STORAGE_ROLES

    assert set(STORAGE_ROLES) == set(STORAGE_ACCOUNTS)


@pytest.mark.parametrize(
    ("kind", "refused"),
    [
        ("s3-bucket", "K8tre-backups"),  # upper case
        ("s3-bucket", "k8tre..backups"),  # adjacent dots
        ("s3-bucket", "xn--k8tre-backups"),  # reserved prefix
        ("s3-bucket", "k8tre-backups-s3alias"),  # reserved suffix
        ("s3-bucket", "192.168.5.4"),  # an IP address
        ("s3-bucket", "k8tre-backups-"),  # ends with a hyphen
        ("blob-container", "Velero"),  # upper case
        ("blob-container", "velero--backups"),  # consecutive hyphens
        ("blob-container", "-velero"),  # starts with a hyphen
        ("blob-container", "ve"),  # too short
    ],
)
def test_bucket_and_container_names_follow_the_documented_rules(kind: str, refused: str) -> None:
    assert LIMITS[kind].problem(refused) is not None
    assert LIMITS[kind].problem("k8tre-dev-backups-1a2b3c4d") is None


def test_the_backup_bucket_name_fits_s3_for_the_longest_prefix() -> None:
    name = AwsNames(f"{'a' * 63}-prod").backup_bucket("123456789012", "eu-west-2")
    assert LIMITS["s3-bucket"].problem(name) is None
