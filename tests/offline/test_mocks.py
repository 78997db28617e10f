"""The mocks compute outputs from inputs as the providers do, and refuse what they do not model."""

from __future__ import annotations

import base64
import ipaddress

import pytest
import yaml
from pulumi.runtime import MockCallArgs, MockResourceArgs

from k8tre.offline.mocks import K8treMocks, MockMissing

GROUP = "rg-test"


def _azure(mocks: K8treMocks, token: str, name: str, **inputs: object) -> tuple[str, dict[str, object]]:
    ident, state = mocks.new_resource(
        MockResourceArgs(f"azure-native:{token}", name, {"resourceGroupName": GROUP, **inputs}, custom=True)
    )
    return str(ident), state


@pytest.mark.parametrize("prefix", ["10.0.0.0/26", "172.16.8.64/26"])
def test_the_firewall_gets_the_first_address_azure_hands_out_in_its_subnet(prefix: str) -> None:
    mocks = K8treMocks({"azure-native:location": "westeurope"})
    subnet, _ = _azure(
        mocks, "network:Subnet", "fw", subnetName="AzureFirewallSubnet", virtualNetworkName="hub", addressPrefix=prefix
    )
    _, state = _azure(
        mocks, "network:AzureFirewall", "fw", azureFirewallName="fw", ipConfigurations=[{"name": "c", "subnet": {"id": subnet}}]
    )
    address = ipaddress.ip_address(state["ipConfigurations"][0]["privateIPAddress"])  # type: ignore[index]
    network = ipaddress.ip_network(prefix)
    # Azure keeps the first four addresses of a subnet (network, gateway, 2x DNS) for itself.
    assert address in network and int(address) - int(network.network_address) == 4


def test_a_firewall_in_a_subnet_this_run_did_not_create_is_an_error() -> None:
    with pytest.raises(MockMissing, match="subnet"):
        _azure(
            K8treMocks(), "network:AzureFirewall", "fw", azureFirewallName="fw", ipConfigurations=[{"subnet": {"id": "/nowhere"}}]
        )


def test_location_comes_from_the_input_else_the_provider() -> None:
    mocks = K8treMocks({"azure-native:location": "westeurope"})
    assert (
        _azure(mocks, "network:VirtualNetwork", "a", virtualNetworkName="a", location="northeurope")[1]["location"]
        == "northeurope"
    )
    assert _azure(mocks, "network:VirtualNetwork", "b", virtualNetworkName="b")[1]["location"] == "westeurope"


def _cluster(mocks: K8treMocks, identity: dict[str, object], **extra: object) -> dict[str, object]:
    return _azure(
        mocks,
        "containerservice:ManagedCluster",
        "aks",
        resourceName="aks",
        dnsPrefix="dns",
        location="uksouth",
        identity=identity,
        **extra,
    )[1]


def test_the_cluster_identity_is_the_one_asked_for() -> None:
    mocks = K8treMocks()
    uami, made = _azure(mocks, "managedidentity:UserAssignedIdentity", "cp", resourceName="cp", location="uksouth")
    state = _cluster(mocks, {"type": "UserAssigned", "userAssignedIdentities": {uami: {}}})
    identity = state["identity"]
    assert identity["type"] == "UserAssigned" and "principalId" not in identity  # type: ignore[index,operator]
    assert identity["userAssignedIdentities"][uami]["clientId"] == made["clientId"]  # type: ignore[index]
    assert _cluster(K8treMocks(), {"type": "SystemAssigned"})["identity"]["principalId"]  # type: ignore[index]


def test_oidc_issuer_and_private_fqdn_only_when_asked_for() -> None:
    plain = _cluster(K8treMocks(), {"type": "SystemAssigned"})
    assert "privateFQDN" not in plain and "issuerURL" not in (plain.get("oidcIssuerProfile") or {})
    full = _cluster(
        K8treMocks(),
        {"type": "SystemAssigned"},
        oidcIssuerProfile={"enabled": True},
        apiServerAccessProfile={"enablePrivateCluster": True},
    )
    assert str(full["privateFQDN"]).startswith("dns-") and str(full["fqdn"]).endswith(".hcp.uksouth.azmk8s.io")
    assert "uksouth" in full["oidcIssuerProfile"]["issuerURL"]  # type: ignore[index]


def test_user_credentials_are_the_kubeconfig_aks_returns_for_this_cluster() -> None:
    mocks = K8treMocks()
    state = _cluster(
        mocks, {"type": "SystemAssigned"}, aadProfile={"managed": True}, apiServerAccessProfile={"enablePrivateCluster": True}
    )
    answer = mocks.call(
        MockCallArgs(
            "azure-native:containerservice:listManagedClusterUserCredentials",
            {"resourceGroupName": GROUP, "resourceName": "aks"},
            "",
        )
    )[0]
    document = yaml.safe_load(base64.b64decode(answer["kubeconfigs"][0]["value"]))
    assert document["kind"] == "Config" and document["clusters"][0]["cluster"]["server"] == f"https://{state['privateFQDN']}:443"
    (user,) = document["users"]
    assert user["name"] == f"clusterUser_{GROUP}_aks"
    assert user["user"]["exec"]["command"] == "kubelogin" and "--server-id" in user["user"]["exec"]["args"]
    with pytest.raises(MockMissing, match="no cluster 'other'"):
        mocks.call(
            MockCallArgs(
                "azure-native:containerservice:listManagedClusterUserCredentials",
                {"resourceGroupName": GROUP, "resourceName": "other"},
                "",
            )
        )


def test_aws_outputs_are_in_the_configured_region() -> None:
    mocks = K8treMocks({"aws:region": "ap-southeast-2"})
    _, cluster = mocks.new_resource(MockResourceArgs("aws:eks/cluster:Cluster", "eks", {"name": "eks"}, custom=True))
    assert ".ap-southeast-2.eks.amazonaws.com" in str(cluster["endpoint"]) and ":ap-southeast-2:" in str(cluster["arn"])
    zones = mocks.call(MockCallArgs("aws:index/getAvailabilityZones:getAvailabilityZones", {}, ""))[0]
    assert all(zone.startswith("ap-southeast-2") for zone in zones["names"])
    with pytest.raises(MockMissing, match="aws:region"):
        K8treMocks().new_resource(MockResourceArgs("aws:ec2/vpc:Vpc", "vpc", {}, custom=True))


def test_an_unmodelled_resource_type_or_call_is_an_error_naming_it() -> None:
    with pytest.raises(MockMissing, match="'aws:sqs/queue:Queue'"):
        K8treMocks({"aws:region": "eu-west-1"}).new_resource(
            MockResourceArgs("aws:sqs/queue:Queue", "q", {"name": "q"}, custom=True)
        )
    with pytest.raises(MockMissing, match="'azure-native:keyvault:getVault'"):
        K8treMocks().call(MockCallArgs("azure-native:keyvault:getVault", {}, ""))


def test_a_bucket_and_its_settings_are_answered_from_their_inputs() -> None:
    mocks = K8treMocks({"aws:region": "eu-west-1"})
    ident, state = mocks.new_resource(
        MockResourceArgs("aws:s3/bucket:Bucket", "b", {"bucket": "k8tre-dev-backups-1"}, custom=True)
    )
    assert ident == "k8tre-dev-backups-1" and state["arn"] == "arn:aws:s3:::k8tre-dev-backups-1"
    assert state["bucketRegionalDomainName"] == "k8tre-dev-backups-1.s3.eu-west-1.amazonaws.com"
    block = MockResourceArgs("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "p", {"bucket": ident}, custom=True)
    assert mocks.new_resource(block)[0] == ident
    association = {"clusterName": "eks-k8tre-dev", "namespace": "velero", "serviceAccount": "velero", "roleArn": "arn"}
    made, answered = mocks.new_resource(
        MockResourceArgs("aws:eks/podIdentityAssociation:PodIdentityAssociation", "a", association, custom=True)
    )
    # pulumi-aws's id is "<cluster>,<association id>" (aws.eks.PodIdentityAssociation, import).
    assert made == f"eks-k8tre-dev,{answered['associationId']}"
    assert answered["associationArn"].endswith(f"podidentityassociation/eks-k8tre-dev/{answered['associationId']}")
    assert mocks.call(MockCallArgs("aws:index/getCallerIdentity:getCallerIdentity", {}, ""))[0]["accountId"] == "123456789012"


def test_a_vault_reports_its_address_and_a_vault_secret_never_its_value() -> None:
    mocks = K8treMocks({"azure-native:location": "uksouth"})
    _, vault = _azure(mocks, "keyvault:Vault", "kv", vaultName="kv-test", properties={"tenantId": "t"})
    assert vault["properties"]["vaultUri"] == "https://kv-test.vault.azure.net/"  # type: ignore[index]
    ident, secret = _azure(
        mocks, "keyvault:Secret", "s", vaultName="kv-test", secretName="ns-app", properties={"value": "p4ss", "contentType": "x"}
    )
    assert ident.endswith("/providers/Microsoft.KeyVault/vaults/kv-test/secrets/ns-app")
    properties = secret["properties"]
    assert "value" not in properties  # type: ignore[operator]
    assert properties["secretUri"] == "https://kv-test.vault.azure.net/secrets/ns-app"  # type: ignore[index]


def test_secrets_manager_and_pod_identity_ids_follow_their_inputs() -> None:
    mocks = K8treMocks({"aws:region": "eu-west-2"})
    arn, secret = mocks.new_resource(
        MockResourceArgs("aws:secretsmanager/secret:Secret", "s", {"name": "k8tre-dev/ns-app"}, custom=True)
    )
    assert str(arn).startswith("arn:aws:secretsmanager:eu-west-2:123456789012:secret:k8tre-dev/ns-app-")
    assert len(str(arn).rsplit("-", 1)[-1]) == 6 and secret["arn"] == arn
    version, state = mocks.new_resource(
        MockResourceArgs(
            "aws:secretsmanager/secretVersion:SecretVersion", "v", {"secretId": arn, "secretString": "x"}, custom=True
        )
    )
    assert str(version).startswith(f"{arn}|") and state["versionStages"] == ["AWSCURRENT"]
    ident, association = mocks.new_resource(
        MockResourceArgs(
            "aws:eks/podIdentityAssociation:PodIdentityAssociation",
            "a",
            {"clusterName": "eks-x", "namespace": "ns", "serviceAccount": "sa", "roleArn": "arn:aws:iam::1:role/r"},
            custom=True,
        )
    )
    assert str(ident).startswith("eks-x,a-")
    assert association["associationArn"].startswith("arn:aws:eks:eu-west-2:123456789012:podidentityassociation/eks-x/a-")
