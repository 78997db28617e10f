"""Defect 7: a landing-zone hub in another subscription gets its own provider; the spoke stays on the default one.

stg and prod name a hub whose VNet and zones are in a Connectivity subscription and whose
workspace is in a Management one (as Azure's landing-zone architecture places them). The
subscriptions asserted on come from the stack files, never from an ID the mocks made.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
from collections.abc import Callable

import pytest

from conftest import graph_of, stack_file
from k8tre.config import AzureClusterConfig, ExistingHub
from k8tre.infrastructure.azure.control_plane import PRIVATE_DNS_ZONE_CONTRIBUTOR
from k8tre.infrastructure.azure.subscriptions import subscription_of
from k8tre.offline.engine import read
from k8tre.offline.graph import Graph, RecordedResource
from k8tre.preflight.azure_subscriptions import PROVIDER
from k8tre.preflight.registry import PreflightFinding, run_preflight

TODAY = datetime.date(2026, 11, 25)
RULE = "azure-resource-in-its-subscription"
Mutation = Callable[[Graph], None]


def _hub(stack: str) -> ExistingHub:
    cluster = read(stack_file(stack)).config.cluster
    assert isinstance(cluster, AzureClusterConfig) and isinstance(cluster.hub, ExistingHub)
    return cluster.hub


def _finding(graph: Graph) -> PreflightFinding:
    return next(f for f in run_preflight(graph, TODAY) if f.rule.id == RULE)


def _named(graph: Graph, suffix: str) -> RecordedResource:
    (found,) = [r for r in graph.resources if r.name.endswith(suffix)]
    return found


def _provider_subscription(graph: Graph, resource: RecordedResource) -> str | None:
    """The subscription the resource's explicit provider was given, or None for the default provider."""
    if not resource.provider:
        return None
    return str(graph.get(resource.provider).inputs["subscriptionId"])


@pytest.mark.parametrize("stack", ["stg", "prod"])
def test_hub_side_resources_go_through_the_hubs_subscription(stack: str) -> None:
    graph, hub = graph_of(stack), _hub(stack)
    connectivity = subscription_of(hub.vnet_id)
    assert connectivity != subscription_of(hub.log_analytics_workspace_id), "the stack file must use two foreign subscriptions"
    assert _provider_subscription(graph, _named(graph, "spoke-from-hub")) == connectivity
    # The hub's zones (the environment's own private zone lives in the spoke's subscription).
    links = graph.of_type("azure-native:privatedns:VirtualNetworkLink")
    zones = {link.inputs["privateZoneName"]: link for link in links if link.inputs["privateZoneName"] != graph.outputs["domain"]}
    zone_ids = hub.private_dns_zone_ids.model_dump().values()
    assert set(zones) == {i.rsplit("/", 1)[-1] for i in zone_ids}
    for zone_id in zone_ids:
        link = zones[zone_id.rsplit("/", 1)[-1]]
        assert _provider_subscription(graph, link) == subscription_of(zone_id)
        assert link.inputs["resourceGroupName"] == zone_id.split("/")[4]


@pytest.mark.parametrize("stack", ["stg", "prod"])
def test_the_spokes_own_resources_stay_on_the_default_provider(stack: str) -> None:
    graph = graph_of(stack)
    own = ["spoke-to-hub", "spoke-vnet", "spoke-nodes", "aks-cluster", "aks-rg", "data-kv"]
    assert all(_named(graph, suffix).provider == "" for suffix in own)
    # One provider per foreign subscription, however many resources it serves.
    providers = graph.of_type(PROVIDER)
    assert sorted(p.inputs["subscriptionId"] for p in providers) == [subscription_of(_hub(stack).vnet_id)]


def test_the_private_clusters_zone_role_is_granted_in_the_zones_subscription() -> None:
    graph, hub = graph_of("prod"), _hub("prod")
    grant = _named(graph, "control-plane-private-dns")
    assert grant.inputs["scope"] == hub.private_dns_zone_ids.aks
    assert _provider_subscription(graph, grant) == subscription_of(hub.private_dns_zone_ids.aks)
    # Named in the scope's subscription: ARM rewrites any other to it, which would show as a change on every run.
    assert grant.inputs["roleDefinitionId"] == (
        f"/subscriptions/{subscription_of(hub.private_dns_zone_ids.aks)}/providers/Microsoft.Authorization/"
        f"roleDefinitions/{PRIVATE_DNS_ZONE_CONTRIBUTOR}"
    )


def test_mocked_ids_follow_the_provider_not_a_fixed_subscription() -> None:
    # The hub-side peering's ID is in the provider's subscription, as ARM would make it.
    graph = graph_of("stg")
    peering = _named(graph, "spoke-from-hub")
    assert subscription_of(peering.id) == _provider_subscription(graph, peering)
    assert subscription_of(_named(graph, "spoke-to-hub").id) != subscription_of(peering.id)


@pytest.mark.parametrize("stack", ["dev", "stg", "prod"])
def test_every_stack_passes(stack: str) -> None:
    finding = _finding(graph_of(stack))
    assert finding.status == "pass", [v.message for v in finding.evaluation.violations]


def _on_provider(graph: Graph, suffix: str, provider: str) -> None:
    resource = _named(graph, suffix)
    graph.resources[graph.resources.index(resource)] = dataclasses.replace(resource, provider=provider)


def _to_default_provider(suffix: str) -> Mutation:
    return lambda g: _on_provider(g, suffix, "")


def _hub_provider(graph: Graph) -> RecordedResource:
    (provider,) = graph.of_type(PROVIDER)
    return provider


MUTATIONS: list[tuple[str, Mutation]] = [
    # What the program did before: the hub side made through the default provider, in the spoke's subscription.
    ("stg", _to_default_provider("spoke-from-hub")),
    ("prod", _to_default_provider("spoke-dns-aks")),
    ("prod", _to_default_provider("control-plane-private-dns")),
    # The provider built for the wrong subscription (the workspace's, not the VNet's).
    ("stg", lambda g: _hub_provider(g).inputs.update(subscriptionId="33333333-3333-4333-8333-333333333333")),
    # A spoke resource moved onto the hub's provider.
    ("prod", lambda g: _on_provider(g, "spoke-vnet", _hub_provider(g).urn)),
    # A resource in a group the render neither creates nor names.
    ("dev", lambda g: _named(g, "spoke-to-hub").inputs.update(resourceGroupName="rg-somewhere-else")),
]


@pytest.mark.parametrize(("stack", "mutate"), MUTATIONS, ids=[f"{s}-{i}" for i, (s, _) in enumerate(MUTATIONS)])
def test_a_resource_in_the_wrong_subscription_fails(stack: str, mutate: Mutation) -> None:
    assert _finding(graph_of(stack)).status == "pass", "the real stack must pass first"
    graph = copy.deepcopy(graph_of(stack))
    mutate(graph)
    finding = _finding(graph)
    assert finding.status == "fail"
    assert all(v.urn.startswith("urn:pulumi:") for v in finding.evaluation.violations)
