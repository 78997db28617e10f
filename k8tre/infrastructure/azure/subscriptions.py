"""Explicit azure-native providers for the subscriptions a hub's resource IDs name.

A landing zone keeps its hub VNet and private DNS zones in a Connectivity subscription,
not in the environment's. ARM addresses a resource by ``/subscriptions/{s}/resourceGroups/{g}/...``
and the default provider fills ``{s}`` with the deploying subscription, so a hub-side
peering or DNS zone link created through it is looked for in the wrong subscription and
refused (``ResourceGroupNotFound``). Each subscription a hub ID names therefore gets its
own provider, and the resources whose ARM scope is there are created through it; the
spoke's own resources stay on the default provider. Preflight rule
``azure-resource-in-its-subscription`` checks the pairing on every render.
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
from pulumi_azure_native.provider import Provider

_SUBSCRIPTION = re.compile(r"^/subscriptions/(?P<subscription>[^/]+)/", re.IGNORECASE)

# Stack settings of the default provider that an explicit one does not inherit (it reads only its arguments and
# the ARM_* environment): the provider's own config keys, as Python argument names.
_TEXT_SETTINGS = {
    "clientId": "client_id",
    "tenantId": "tenant_id",
    "environment": "environment",
    "location": "location",
    "clientCertificatePath": "client_certificate_path",
    "oidcRequestUrl": "oidc_request_url",
    "oidcTokenFilePath": "oidc_token_file_path",
    "msiEndpoint": "msi_endpoint",
}
_FLAG_SETTINGS = {"useOidc": "use_oidc", "useMsi": "use_msi", "useDefaultAzureCredential": "use_default_azure_credential"}
_SECRET_SETTINGS = {
    "clientSecret": "client_secret",
    "clientCertificatePassword": "client_certificate_password",
    "oidcToken": "oidc_token",
    "oidcRequestToken": "oidc_request_token",
}


def subscription_of(resource_id: str) -> str:
    """The subscription of a full ARM resource ID."""
    match = _SUBSCRIPTION.match(resource_id)
    if match is None:
        raise ValueError(f"not an ARM resource ID with a subscription: {resource_id!r}")
    return match["subscription"]


def role_definition_in(scope: pulumi.Input[str], role: str) -> pulumi.Output[str]:
    """A built-in role's definition ID in the scope's own subscription.

    ARM rewrites a definition named under another subscription to the scope's one, so a
    program that sent the deploying subscription would see a change on every run
    (https://github.com/Azure/azure-rest-api-specs/issues/10939).
    """
    return pulumi.Output.from_input(scope).apply(
        lambda ident: f"/subscriptions/{subscription_of(ident)}/providers/Microsoft.Authorization/roleDefinitions/{role}"
    )


def _default_provider_settings() -> dict[str, Any]:
    config = pulumi.Config("azure-native")
    settings: dict[str, Any] = {}
    for key, argument in _TEXT_SETTINGS.items():
        if (text := config.get(key)) is not None:
            settings[argument] = text
    for key, argument in _FLAG_SETTINGS.items():
        if (flag := config.get_bool(key)) is not None:
            settings[argument] = flag
    for key, argument in _SECRET_SETTINGS.items():
        if (secret := config.get_secret(key)) is not None:
            settings[argument] = secret
    return settings


class SubscriptionProviders:
    """One explicit provider per foreign subscription, made on first use and shared after."""

    def __init__(self, name: str, parent: pulumi.Resource) -> None:
        self._name = name
        self._parent = parent
        self._providers: dict[str, Provider] = {}

    def for_id(self, resource_id: str) -> Provider:
        """The provider for the subscription a known resource ID names."""
        return self.for_subscription(subscription_of(resource_id), subscription_of(resource_id))

    def for_subscription(self, key: str, subscription: pulumi.Input[str]) -> Provider:
        """The provider for ``subscription``, one per ``key`` (the subscription itself when it is known)."""
        if key not in self._providers:
            self._providers[key] = Provider(
                f"{self._name}-subscription-{key}",
                subscription_id=subscription,
                **_default_provider_settings(),
                opts=pulumi.ResourceOptions(parent=self._parent),
            )
        return self._providers[key]
