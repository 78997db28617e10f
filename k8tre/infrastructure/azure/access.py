"""Who may do what on the environment's Azure resources, granted by role, each on one scope."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_azure_native import authorization

from .account import AzureAccount
from .identities import role_definition_id

AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
"""Built-in role 'Azure Kubernetes Service RBAC Cluster Admin'."""
KEY_VAULT_ADMINISTRATOR = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
"""Built-in role 'Key Vault Administrator'."""


def grant_access(
    name: str,
    account: AzureAccount,
    *,
    cluster_id: pulumi.Input[str],
    vault_id: pulumi.Input[str],
    admin_groups: Sequence[str],
    deployer_type: str,
    parent: pulumi.Resource,
) -> list[authorization.RoleAssignment]:
    """The role assignments the environment needs; the returned ones must exist before Kubernetes is touched."""
    child = pulumi.ResourceOptions(parent=parent)
    sub = account.subscription_id
    # With Azure RBAC and no local accounts, whoever runs `pulumi up` needs a cluster role to install Cilium.
    deployer = authorization.RoleAssignment(
        f"{name}-deployer-admin",
        principal_id=account.object_id,
        # Never the SDK's default (User): a CI service principal named as a User is refused (UnmatchedPrincipalType,
        # https://learn.microsoft.com/azure/role-based-access-control/troubleshooting).
        principal_type=deployer_type,
        role_definition_id=role_definition_id(sub, AKS_RBAC_CLUSTER_ADMIN),
        scope=cluster_id,
        opts=child,
    )
    for index, group in enumerate(admin_groups):
        # The TRE's administrators manage the vault's secrets; nobody else writes them.
        authorization.RoleAssignment(
            f"{name}-vault-admin-{index}",
            principal_id=group,
            principal_type="Group",
            role_definition_id=role_definition_id(sub, KEY_VAULT_ADMINISTRATOR),
            scope=vault_id,
            opts=child,
        )
    return [deployer]
