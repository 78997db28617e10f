"""Workload identities: one managed identity per platform service, federated to its service account."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, managedidentity, resources

from ...naming import AzureNames
from ...stage import Stage
from .account import AzureAccount

ROLE_IDS = {
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "DNS Zone Contributor": "befefa01-2a29-4197-83a8-272ff33ce314",
    "Private DNS Zone Contributor": "b12aa53e-6015-4669-85d0-8515ebb3ae7f",
}
"""Built-in role definition GUIDs (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles)."""


@dataclass(frozen=True)
class ServiceIdentity:
    """Which Kubernetes service account a platform service runs as, and what it may do in Azure."""

    service: str
    """Platform service, e.g. ``external-secrets``."""
    namespace: str
    """Its namespace."""
    service_account: str
    """Its service account (the chart's default for the release name)."""
    role: str
    """Built-in role it gets (least privilege)."""
    scope: str
    """Key of the resource the role is scoped to (``vault``, ``dns`` the public zone, ``private-dns`` the private one)."""


SERVICE_IDENTITIES = (
    ServiceIdentity("cert-manager", "cert-manager", "cert-manager", "DNS Zone Contributor", "dns"),
    # external-dns publishes routes for the VNet only: the private zone, never the public one.
    ServiceIdentity("external-dns", "external-dns", "external-dns", "Private DNS Zone Contributor", "private-dns"),
    ServiceIdentity("external-secrets", "external-secrets", "external-secrets", "Key Vault Secrets User", "vault"),
)


def role_definition_id(subscription_id: pulumi.Output[str], role: str) -> pulumi.Output[str]:
    """The full ID of a built-in role definition in the deploying subscription."""
    return subscription_id.apply(lambda sub: f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role}")


def federated_identity(
    name: str,
    group: resources.ResourceGroup,
    location: str,
    service: str,
    namespace: str,
    service_account: str,
    issuer_url: pulumi.Input[str],
    stage: Stage,
    opts: pulumi.ResourceOptions,
) -> managedidentity.UserAssignedIdentity:
    """A user-assigned identity for ``service``, federated with the cluster's OIDC issuer for one service account."""
    identity = managedidentity.UserAssignedIdentity(
        name,
        resource_group_name=group.name,
        location=location,
        resource_name_=AzureNames(stage.slug).identity(service),
        tags=dict(stage.tags),
        opts=opts,
    )
    federate(f"{name}-federation", group, identity, namespace, service_account, issuer_url, opts)
    return identity


def federate(
    name: str,
    group: resources.ResourceGroup,
    identity: managedidentity.UserAssignedIdentity,
    namespace: str,
    service_account: str,
    issuer_url: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> managedidentity.FederatedIdentityCredential:
    """Let one Kubernetes service account sign in as ``identity`` (a federated credential on the cluster's issuer)."""
    return managedidentity.FederatedIdentityCredential(
        name,
        resource_group_name=group.name,
        resource_name_=identity.name,
        federated_identity_credential_resource_name=f"{namespace}-{service_account}",
        issuer=issuer_url,
        subject=f"system:serviceaccount:{namespace}:{service_account}",
        audiences=["api://AzureADTokenExchange"],
        opts=opts,
    )


class WorkloadIdentities(pulumi.ComponentResource):
    """User-assigned identities federated with the cluster's OIDC issuer, with roles on exactly one resource each."""

    client_ids: Mapping[str, pulumi.Output[str]]
    """Client ID per service: annotated on its service account by the agnostics layer."""

    def __init__(
        self,
        name: str,
        group: resources.ResourceGroup,
        location: str,
        issuer_url: pulumi.Input[str],
        scopes: Mapping[str, pulumi.Input[str]],
        stage: Stage,
        account: AzureAccount,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:WorkloadIdentities", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        client_ids: dict[str, pulumi.Output[str]] = {}
        for spec in SERVICE_IDENTITIES:
            identity = federated_identity(
                f"{name}-{spec.service}",
                group,
                location,
                spec.service,
                spec.namespace,
                spec.service_account,
                issuer_url,
                stage,
                child,
            )
            authorization.RoleAssignment(
                f"{name}-{spec.service}-role",
                principal_id=identity.principal_id,
                principal_type="ServicePrincipal",
                role_definition_id=role_definition_id(account.subscription_id, ROLE_IDS[spec.role]),
                scope=scopes[spec.scope],
                opts=child,
            )
            client_ids[spec.service] = identity.client_id
        self.client_ids = client_ids
        self.register_outputs({"clientIds": pulumi.Output.all(**client_ids)})
