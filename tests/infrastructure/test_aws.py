"""AWS: Cilium in ENI mode on EKS, the order the cluster comes up in, and what prod changes about it."""

from __future__ import annotations

import json

from conftest import graph_of
from k8tre.chart_lock import chart_name
from k8tre.offline.graph import Graph, RecordedResource
from k8tre.offline.validation import validate_render
from k8tre.policies import rules as _rules  # noqa: F401 - importing registers the rules
from k8tre.policies.registry import RULES

RELEASE = "kubernetes:helm.sh/v3:Release"


def _cilium(graph: Graph) -> RecordedResource:
    (release,) = [r for r in graph.of_type(RELEASE) if chart_name(r.inputs["chart"]) == "cilium"]
    return release


def _one(graph: Graph, typ: str, name_part: str = "") -> RecordedResource:
    (found,) = [r for r in graph.of_type(typ) if name_part in r.name]
    return found


def _depends(graph: Graph, waiter: RecordedResource, waited: RecordedResource) -> bool:
    """Whether Pulumi waits for ``waited`` before ``waiter`` (a direct or transitive dependency)."""
    seen, todo = set(), [waiter.urn]
    while todo:
        urn = todo.pop()
        if urn == waited.urn:
            return True
        if urn in seen:
            continue
        seen.add(urn)
        resource = graph.get(urn)
        todo += [*resource.dependencies, *resource.options.depends_on]
    return False


def test_eni_mode_is_the_default_and_gives_pods_vpc_addresses() -> None:
    graph = graph_of("aws-dev")
    values = _cilium(graph).inputs["values"]
    assert values["ipam"] == {"mode": "eni"}
    assert values["eni"] == {"enabled": True, "awsEnablePrefixDelegation": True}
    assert values["routingMode"] == "native"
    assert values["egressMasqueradeInterfaces"]
    assert validate_render(graph, "1.35") == []


def test_the_eni_rights_are_the_operators_not_the_nodes() -> None:
    graph = graph_of("aws-dev")
    policies = {r.inputs["policyArn"] for r in graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy" not in policies
    (association,) = [
        a
        for a in graph.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if (a.inputs["namespace"], a.inputs["serviceAccount"]) == ("kube-system", "cilium-operator")
    ]
    role = association.inputs["roleArn"].rsplit("/", 1)[-1]
    (policy,) = [p for p in graph.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role]
    actions = json.loads(policy.inputs["policy"])["Statement"][0]["Action"]
    assert {"ec2:CreateNetworkInterface", "ec2:AttachNetworkInterface", "ec2:AssignPrivateIpAddresses"} <= set(actions)
    # The association exists before Cilium's operator pod: EKS injects credentials only at pod creation.
    assert _depends(graph, _cilium(graph), association)


def test_cilium_comes_before_the_nodes_and_does_not_wait_for_its_pods() -> None:
    graph = graph_of("aws-dev")
    cilium = _cilium(graph)
    # hubble-relay and the operator cannot run before nodes exist: Helm must not wait (nor roll back) for them.
    assert cilium.inputs["skipAwait"] is True and cilium.inputs["atomic"] is False
    groups = graph.of_type("aws:eks/nodeGroup:NodeGroup")
    assert groups and all(_depends(graph, group, cilium) for group in groups)
    assert not any(_depends(graph, cilium, group) for group in groups)
    # Everything after the infrastructure layer waits for the nodes (and the add-ons on them), not the CNI alone.
    cert_manager = next(r for r in graph.of_type(RELEASE) if chart_name(r.inputs["chart"]) == "cert-manager")
    assert all(_depends(graph, cert_manager, group) for group in groups)
    # Elsewhere the release still waits for its pods: only EKS builds nodes after the CNI.
    assert _cilium(graph_of("dev")).inputs.get("atomic") is True


def test_cluster_and_nodes_wait_for_their_roles_policies_and_nat_for_the_gateway() -> None:
    graph = graph_of("aws-dev")
    cluster = _one(graph, "aws:eks/cluster:Cluster")
    attachments = graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    cluster_policies = [a for a in attachments if "-cluster-policy-" in a.name]
    node_policies = [a for a in attachments if "-node-policy-" in a.name]
    assert cluster_policies and all(_depends(graph, cluster, a) for a in cluster_policies)
    for group in graph.of_type("aws:eks/nodeGroup:NodeGroup"):
        assert node_policies and all(_depends(graph, group, a) for a in node_policies)
    gateway = _one(graph, "aws:ec2/internetGateway:InternetGateway")
    nats = graph.of_type("aws:ec2/natGateway:NatGateway")
    assert nats and all(_depends(graph, nat, gateway) for nat in nats)


def test_the_cluster_states_its_upgrade_policy_and_logs_everything() -> None:
    cluster = _one(graph_of("aws-dev"), "aws:eks/cluster:Cluster")
    assert cluster.inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    assert set(cluster.inputs["enabledClusterLogTypes"]) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}


def test_dev_api_is_public_only_to_its_cidrs_and_prod_is_private_with_a_deploy_path() -> None:
    dev = _one(graph_of("aws-dev"), "aws:eks/cluster:Cluster")
    assert dev.inputs["vpcConfig"]["endpointPublicAccess"] is True
    assert dev.inputs["vpcConfig"]["publicAccessCidrs"] == ["198.51.100.0/24"]
    prod_graph = graph_of("aws-prod")
    prod = _one(prod_graph, "aws:eks/cluster:Cluster")
    vpc = prod.inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is False and vpc["endpointPrivateAccess"] is True
    assert prod.inputs["deletionProtection"] is True
    # The runner's network reaches the private endpoint on 443 through the control plane's extra security group.
    (group,) = [g for g in prod_graph.of_type("aws:ec2/securityGroup:SecurityGroup") if g.id in vpc["securityGroupIds"]]
    (rule,) = group.inputs["ingress"]
    assert (rule["fromPort"], rule["toPort"], rule["cidrBlocks"]) == (443, 443, ["10.30.0.0/24"])
    (exposure,) = [r for r in RULES if r.id == "no-public-exposure"]
    assert not exposure.evaluate(prod_graph).violations


def test_prod_admins_are_named_roles_not_the_creator() -> None:
    graph = graph_of("aws-prod")
    cluster = _one(graph, "aws:eks/cluster:Cluster")
    assert cluster.inputs["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] is False
    entries = {e.inputs["principalArn"] for e in graph.of_type("aws:eks/accessEntry:AccessEntry")}
    assert entries == {"arn:aws:iam::123456789012:role/k8tre-ci-deployer", "arn:aws:iam::123456789012:role/k8tre-break-glass"}
    policies = graph.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert {p.inputs["principalArn"] for p in policies} == entries
    assert (
        _one(graph_of("aws-dev"), "aws:eks/cluster:Cluster").inputs["accessConfig"]["bootstrapClusterCreatorAdminPermissions"]
        is True
    )


def test_prod_protects_keys_and_log_groups() -> None:
    graph = graph_of("aws-prod")
    for typ in ("aws:kms/key:Key", "aws:cloudwatch/logGroup:LogGroup", "aws:efs/fileSystem:FileSystem", "aws:route53/zone:Zone"):
        resources = graph.of_type(typ)
        assert resources and all(r.options.protect for r in resources), typ
