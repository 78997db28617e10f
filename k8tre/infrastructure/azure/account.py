"""Who is deploying, and into which subscription and tenant: asked of Azure once per environment."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization


@dataclass(frozen=True)
class AzureAccount:
    """The deploying identity's subscription, tenant and object ID."""

    subscription_id: pulumi.Output[str]
    """Subscription the environment is deployed into."""
    tenant_id: pulumi.Output[str]
    """Entra ID tenant."""
    object_id: pulumi.Output[str]
    """Object ID of the identity running ``pulumi up``."""


def deploying_account(parent: pulumi.Resource) -> AzureAccount:
    """One ``getClientConfig`` call, shared by every component that needs its answer."""
    client = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=parent))
    return AzureAccount(subscription_id=client.subscription_id, tenant_id=client.tenant_id, object_id=client.object_id)
