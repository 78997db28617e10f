"""More of pulumi-aws: launch templates, EKS access entries, VPC endpoints and flow logs, DNS Firewall.

Each output is computed from the inputs and the region as the provider reports it: ids with the EC2 or
Route 53 Resolver prefixes and 17 hex digits (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html),
ARNs in the form of the Service Authorization Reference for each service.
"""

from __future__ import annotations

from collections.abc import Callable

from pulumi.runtime import MockResourceArgs

from .common import AWS_ACCOUNT, Outputs, stable_hex, stable_uuid


def _ec2_id(prefix: str, args: MockResourceArgs) -> str:
    return prefix + "0" + stable_hex(args.typ + args.name, 16)


def _launch_template(args: MockResourceArgs, region: str) -> tuple[str, Outputs]:
    # A new template starts at version 1, which is both its default and latest version (EC2 API, CreateLaunchTemplate).
    ident = _ec2_id("lt-", args)
    arn = f"arn:aws:ec2:{region}:{AWS_ACCOUNT}:launch-template/{ident}"
    return ident, {**args.inputs, "id": ident, "arn": arn, "latestVersion": 1, "defaultVersion": 1}


def _access_entry(args: MockResourceArgs, region: str) -> tuple[str, Outputs]:
    # The provider's id is "<cluster>:<principal ARN>"; the entry's ARN names the principal's type, account and name
    # (EKS API reference, AccessEntry).
    cluster, principal = args.inputs["clusterName"], str(args.inputs["principalArn"])
    parts = principal.split(":", 5)
    account, (kind, _, role) = parts[4], parts[5].partition("/")
    arn = f"arn:aws:eks:{region}:{account}:access-entry/{cluster}/{kind}/{account}/{role}/{stable_uuid(principal)}"
    return f"{cluster}:{principal}", {**args.inputs, "accessEntryArn": arn, "kubernetesGroups": []}


def _access_policy(args: MockResourceArgs, region: str) -> tuple[str, Outputs]:
    inputs = args.inputs
    return f"{inputs['clusterName']}#{inputs['principalArn']}#{inputs['policyArn']}", dict(inputs)


def _vpc_endpoint(args: MockResourceArgs, region: str) -> tuple[str, Outputs]:
    ident = _ec2_id("vpce-", args)
    return ident, {**args.inputs, "id": ident, "arn": f"arn:aws:ec2:{region}:{AWS_ACCOUNT}:vpc-endpoint/{ident}"}


def _flow_log(args: MockResourceArgs, region: str) -> tuple[str, Outputs]:
    ident = _ec2_id("fl-", args)
    return ident, {**args.inputs, "id": ident, "arn": f"arn:aws:ec2:{region}:{AWS_ACCOUNT}:vpc-flow-log/{ident}"}


def _resolver(prefix: str, kind: str) -> Callable[[MockResourceArgs, str], tuple[str, Outputs]]:
    # Route 53 Resolver ids: "rslvr-<kind>-" and 17 hex digits; ARNs arn:aws:route53resolver:<region>:<account>:<kind>/<id>.
    def make(args: MockResourceArgs, region: str) -> tuple[str, Outputs]:
        ident = f"rslvr-{prefix}-" + stable_hex(args.typ + args.name, 17)
        return ident, {**args.inputs, "id": ident, "arn": f"arn:aws:route53resolver:{region}:{AWS_ACCOUNT}:{kind}/{ident}"}

    return make


def _firewall_rule(args: MockResourceArgs, region: str) -> tuple[str, Outputs]:
    # A rule has no id of its own: the provider's id is "<rule group id>:<domain list id>".
    inputs = args.inputs
    return f"{inputs['firewallRuleGroupId']}:{inputs['firewallDomainListId']}", dict(inputs)


MORE: dict[str, Callable[[MockResourceArgs, str], tuple[str, Outputs]]] = {
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:eks/accessEntry:AccessEntry": _access_entry,
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": _access_policy,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:ec2/flowLog:FlowLog": _flow_log,
    "aws:route53/resolverFirewallDomainList:ResolverFirewallDomainList": _resolver("fdl", "firewall-domain-list"),
    "aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup": _resolver("frg", "firewall-rule-group"),
    "aws:route53/resolverFirewallRule:ResolverFirewallRule": _firewall_rule,
    "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation": _resolver(
        "frgassoc", "firewall-rule-group-association"
    ),
}
"""Type token -> the function computing its id and state from its inputs and region."""
