"""Preflight rule for Azure subscriptions: a resource is created through a provider for the subscription it lives in.

ARM addresses every resource under ``/subscriptions/{subscriptionId}/resourceGroups/{group}``
(or under the full ID of the resource it extends), and azure-native fills the subscription
from the provider that creates it. The rule tells a resource's subscription from the render
alone, never from an ID a mock made up: a resource group created in the render is in the
subscription of the provider that created it; a resource group the render only names is in
the subscription of the full IDs the stack file gives for resources in it (a landing-zone
hub's VNet and zones); an extension resource (role assignment, diagnostic setting) is where
the resource it extends is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..offline.graph import Graph, RecordedResource
from ..policies.registry import Evaluation
from .registry import PreflightContext, preflight_rule

PROVIDER = "pulumi:providers:azure-native"
"""Type of an explicit azure-native provider."""
DEPLOYING = "the deploying subscription"
"""What the default provider (and an explicit one that names no subscription) targets."""
_ARM_ID = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)(/providers/.*)?$", re.IGNORECASE)
_PARENT_NAMES = ("virtualNetworkName", "privateZoneName", "firewallPolicyName", "privateEndpointName", "resourceName")
"""Inputs naming the resource a child resource is created under (a peering's VNet, a link's zone)."""
_NOT_IN_A_GROUP = ("azure-native:resources:ResourceGroup", "azure-native:features:SubscriptionFeatureRegistration")
"""Types whose scope is the subscription itself: the provider's subscription defines them."""


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


class _Subscriptions:
    """What the render tells about subscriptions: providers', resource groups', and full IDs the stack names."""

    def __init__(self, graph: Graph) -> None:
        self.providers = {p.urn: str(p.inputs.get("subscriptionId") or "") or DEPLOYING for p in graph.of_type(PROVIDER)}
        self.by_id = {r.id.lower(): r for r in graph.resources if r.custom and r.id.startswith("/subscriptions/")}
        self.groups = {
            str(g.inputs.get("resourceGroupName", "")).lower(): self.of_provider(g)
            for g in graph.of_type("azure-native:resources:ResourceGroup")
        }
        # Full IDs in any input that no resource of the render has (nor is under): they came from the stack file.
        self.named: list[tuple[str, str, str]] = []
        for resource in graph.resources:
            for text in _strings(resource.inputs):
                match = _ARM_ID.match(text)
                if match and self._made_here(text) is None:
                    self.named.append((match[1], match[2].lower(), text.lower()))

    def of_provider(self, resource: RecordedResource) -> str:
        """The subscription a resource is created in, as its provider decides."""
        return self.providers.get(resource.provider, DEPLOYING) if resource.provider else DEPLOYING

    def _made_here(self, resource_id: str) -> RecordedResource | None:
        text = resource_id.lower()
        while text:
            if text in self.by_id:
                return self.by_id[text]
            text = text.rpartition("/")[0]
        return None

    def of_scope(self, resource: RecordedResource) -> str | None:
        """The subscription the resource's ARM scope is in, or None when the render cannot tell it."""
        extended = resource.inputs.get("scope") or resource.inputs.get("resourceUri")
        if isinstance(extended, str):
            owner = self._made_here(extended)
            if owner is not None:
                return self.of_provider(owner)
            match = _ARM_ID.match(extended)
            return match[1] if match else None
        group = str(resource.inputs.get("resourceGroupName") or "").lower()
        if not group:
            return None
        if group in self.groups:
            return self.groups[group]
        candidates = {sub for sub, g, _ in self.named if g == group}
        if len(candidates) > 1:  # the group name is used in several subscriptions: the parent's full ID decides
            parents = [str(resource.inputs[k]).lower() for k in _PARENT_NAMES if resource.inputs.get(k)]
            candidates = {sub for sub, g, text in self.named if g == group and any(f"/{p}" in text for p in parents)}
        return candidates.pop() if len(candidates) == 1 else None


@preflight_rule(
    "azure-resource-in-its-subscription",
    cloud="azure",
    constraint="ARM creates a resource under the subscription in its request path, which azure-native takes from the "
    "provider: a resource in another subscription (a landing zone's hub VNet or DNS zones) is created through a "
    "provider for that subscription, and the environment's own through the deploying one.",
    source="https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules",
)
def resource_in_its_subscription(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each Azure resource's provider targets the subscription its resource group (or extended resource) is in."""
    evaluation = Evaluation()
    subscriptions = _Subscriptions(graph)
    for resource in graph.resources:
        if not resource.custom or not resource.type.startswith("azure-native:") or resource.type in _NOT_IN_A_GROUP:
            continue
        scope = subscriptions.of_scope(resource)
        if scope is None:
            if resource.inputs.get("resourceGroupName") or resource.inputs.get("scope"):
                message = "its subscription cannot be told: the render neither creates its resource group nor names it by ID"
                evaluation.check(resource.urn, False, message)
            continue
        created = subscriptions.of_provider(resource)
        evaluation.check(resource.urn, created == scope, f"lives in {scope} but is created through a provider for {created}")
    return evaluation
