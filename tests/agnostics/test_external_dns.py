"""external-dns: the provider each cloud's fact chooses, what it may touch, and the flows it needs."""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest
from dns_variants import objects, release_values, variant

from conftest import expanded_graph_of, graph_of
from k8tre.flows.matrix import evaluate
from k8tre.offline.graph import Graph, RecordedResource, Secret
from k8tre.policies.rules.secrets import plaintext_secrets
from k8tre.preflight.aws_dns import private_zone_vpc_dns
from k8tre.preflight.azure_private_dns import private_zone_name, zone_linked_where_resolved
from k8tre.preflight.registry import PreflightContext

PROVIDER = {"dev": "azure-private-dns", "aws-dev": "aws", "k3s-dev": "rfc2136"}
TODAY = PreflightContext(datetime.date(2026, 11, 25))


def _environment_zone(graph: Graph) -> list[RecordedResource]:
    """The private zone named after the environment's domain (not the hub's Private Link zones)."""
    return [
        z for z in graph.of_type("azure-native:privatedns:PrivateZone") if z.inputs["privateZoneName"] == graph.outputs["domain"]
    ]


def _values(stack: str) -> dict[str, Any]:
    values = release_values(graph_of(stack), "external-dns")
    assert values is not None, f"{stack} installs external-dns"
    return values


@pytest.mark.parametrize("stack", PROVIDER)
def test_provider_follows_the_clouds_zone_and_sources_only_gateway_routes(stack: str) -> None:
    values = _values(stack)
    assert values["provider"] == {"name": PROVIDER[stack]}
    assert values["sources"] == ["gateway-httproute"]
    assert values["domainFilters"] == [str(graph_of(stack).outputs["domain"])]
    # sync deletes a retired route's name, but only names whose TXT record carries this owner.
    assert values["policy"] == "sync" and values["registry"] == "txt"


def test_each_environment_owns_its_records_under_its_own_id() -> None:
    owners = [_values(stack)["txtOwnerId"] for stack in ("dev", "stg", "prod")]
    assert len(set(owners)) == 3 and all(owners)


@pytest.mark.parametrize("stack", PROVIDER)
def test_the_chart_runs_what_the_values_say(stack: str) -> None:
    # The real chart's template turns the values into flags: read them from the expanded Deployment.
    (release,) = [r for r in expanded_graph_of(stack).workloads if r.chart == "external-dns"]
    (deployment,) = [o for o in release.objects if o.get("kind") == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    args = container["args"]
    values = _values(stack)
    for flag in (
        f"--provider={PROVIDER[stack]}",
        "--source=gateway-httproute",
        "--policy=sync",
        "--registry=txt",
        f"--txt-owner-id={values['txtOwnerId']}",
        f"--domain-filter={values['domainFilters'][0]}",
    ):
        assert flag in args, (stack, flag, args)
    assert not any(a.startswith("--source=") and a != "--source=gateway-httproute" for a in args)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["resources"]["limits"]


def test_aws_writes_only_the_private_zone() -> None:
    graph = graph_of("aws-dev")
    (private,) = [z for z in graph.of_type("aws:route53/zone:Zone") if z.inputs.get("vpcs")]
    args = _values("aws-dev")["extraArgs"]
    assert args == {"aws-zone-type": "private", "zone-id-filter": private.id}
    (vpc,) = graph.of_type("aws:ec2/vpc:Vpc")
    assert [a["vpcId"] for a in private.inputs["vpcs"]] == [vpc.id]


def test_rfc2136_signs_with_a_secret_it_reads_from_a_secret() -> None:
    graph = graph_of("k3s-dev")
    values = _values("k3s-dev")
    (env,) = values["env"]
    assert env["valueFrom"]["secretKeyRef"]["name"] == "k8tre-rfc2136-tsig"
    (secret,) = [
        r
        for r in graph.of_type("kubernetes:core/v1:Secret")
        if r.inputs["metadata"] == {"name": "k8tre-rfc2136-tsig", "namespace": "external-dns"}
    ]
    assert isinstance(secret.inputs["stringData"], Secret)
    assert values["extraArgs"]["rfc2136-host"] == "192.168.50.2"


def test_k3s_without_a_site_dns_server_has_no_external_dns() -> None:
    graph = variant("k3s-dev", "no-site-dns")
    assert release_values(graph, "external-dns") is None
    assert not [n for n in objects(graph, "Namespace") if n["metadata"]["name"] == "external-dns"]


def test_azure_private_zone_is_linked_to_spoke_and_owned_hub_without_auto_registration() -> None:
    graph = graph_of("dev")
    (zone,) = _environment_zone(graph)
    assert zone.inputs["privateZoneName"] == graph.outputs["domain"]
    links = [link for link in graph.of_type("azure-native:privatedns:VirtualNetworkLink") if link.parent == zone.parent]
    vnets = {v.id: v.inputs["virtualNetworkName"] for v in graph.of_type("azure-native:network:VirtualNetwork")}
    assert sorted(vnets[link.inputs["virtualNetwork"]["id"]] for link in links) == sorted(vnets.values())
    assert all(link.inputs["registrationEnabled"] is False for link in links)
    assert zone.options.protect is False and graph_of("prod").outputs.get("privateDnsZone")


def test_with_a_landing_zone_hub_the_zone_is_handed_to_its_owner() -> None:
    graph = graph_of("prod")
    (zone,) = _environment_zone(graph)
    assert zone.options.protect is True, "the zone holds every published name: protected in prod"
    assert graph.outputs["privateDnsZone"] == zone.id
    assert zone_linked_where_resolved(graph, TODAY).examined and not zone_linked_where_resolved(graph, TODAY).violations


def test_a_zone_only_the_spoke_links_is_caught() -> None:
    # The spoke resolves through the hub firewall's DNS proxy, which asks from the hub VNet: without that link the
    # names never resolve.
    graph = copy.deepcopy(graph_of("dev"))
    hub_link = [r for r in graph.resources if r.type.endswith("VirtualNetworkLink") and r.name.endswith("private-dns-hub-link")]
    graph.resources.remove(hub_link[0])
    assert zone_linked_where_resolved(graph, TODAY).violations
    assert not zone_linked_where_resolved(graph_of("dev"), TODAY).violations


@pytest.mark.parametrize("name", ["internal", "core.windows.net", ".".join(["a"] * 35)])
def test_a_private_zone_name_azure_refuses_is_caught(name: str) -> None:
    graph = copy.deepcopy(graph_of("dev"))
    (zone,) = _environment_zone(graph)
    zone.inputs["privateZoneName"] = name
    assert private_zone_name(graph, TODAY).violations
    assert not private_zone_name(graph_of("dev"), TODAY).violations


@pytest.mark.parametrize("setting", ["enableDnsSupport", "enableDnsHostnames"])
def test_a_vpc_without_dns_support_or_hostnames_is_caught(setting: str) -> None:
    graph = copy.deepcopy(graph_of("aws-dev"))
    (vpc,) = graph.of_type("aws:ec2/vpc:Vpc")
    vpc.inputs[setting] = False
    assert private_zone_vpc_dns(graph, TODAY).violations
    evaluation = private_zone_vpc_dns(graph_of("aws-dev"), TODAY)
    assert evaluation.examined and not evaluation.violations


@pytest.mark.parametrize("stack", PROVIDER)
def test_declared_flows_hold_and_nothing_reaches_it(stack: str) -> None:
    rows = [r for r in evaluate(expanded_graph_of(stack)) if "external-dns" in (r.source + r.destination)]
    writes = [
        r for r in rows if r.source.startswith("external-dns/") and r.expect == "allow" and "kube-apiserver" not in r.destination
    ]
    assert writes, "where it writes is a declared flow"
    assert any(r.destination.startswith("external-dns/") and r.expect == "deny" for r in rows)
    assert [f"{r.source}->{r.destination}:{r.port} {r.actual}" for r in rows if not r.ok] == []


def test_a_policy_without_its_zone_egress_is_caught() -> None:
    graph = copy.deepcopy(expanded_graph_of("dev"))
    (policy,) = [
        r
        for r in graph.of_type("kubernetes:cilium.io/v2:CiliumNetworkPolicy")
        if r.inputs["metadata"]["name"] == "external-dns-allow" and r.inputs["metadata"]["namespace"] == "external-dns"
    ]
    policy.inputs["spec"]["egress"] = [rule for rule in policy.inputs["spec"]["egress"] if "toFQDNs" not in rule]
    bad = [f"{r.source}->{r.destination}" for r in evaluate(graph) if not r.ok]
    assert any("external-dns/external-dns->fqdn:management.azure.com" in b for b in bad)


def test_a_flags_name_is_not_a_credential_but_its_value_can_be() -> None:
    assert not list(plaintext_secrets({"args": ["--rfc2136-tsig-keyname=externaldns-key"]}))
    assert list(plaintext_secrets({"args": ["--rfc2136-tsig-secret=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdo"]}))
