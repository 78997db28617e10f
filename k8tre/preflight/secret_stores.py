"""Preflight rules for the secret stores External Secrets reads: what makes their identities mean anything.

A role assignment or an identity association is accepted by the cloud whether or not it can ever take
effect; these rules catch the two ways it silently does not.
"""

from __future__ import annotations

from ..offline.graph import Graph
from ..policies.registry import Evaluation
from .registry import PreflightContext, preflight_rule

VAULT = "azure-native:keyvault:Vault"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
POD_IDENTITY_ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
ADDON = "aws:eks/addon:Addon"
KEY_VAULT_DATA_ROLES = {
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "21090545-7ca7-4776-b22c-e363652d74d2": "Key Vault Reader",
}
"""Built-in Key Vault data-plane roles, by role definition GUID
(https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security)."""


def _vault_path(vault: dict[str, object]) -> str:
    return f"/resourceGroups/{vault.get('resourceGroupName')}/providers/Microsoft.KeyVault/vaults/{vault.get('vaultName')}"


@preflight_rule(
    "azure-key-vault-rbac-for-data-roles",
    cloud="azure",
    constraint="A Key Vault data-plane role (Key Vault Secrets User, Administrator, ...) assigned on a vault grants "
    "nothing unless the vault uses the Azure RBAC permission model (enableRbacAuthorization); with access policies "
    "the assignment is accepted and ignored.",
    source="https://learn.microsoft.com/azure/key-vault/general/rbac-guide",
)
def key_vault_rbac(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Every vault a data-plane role is assigned on has ``enableRbacAuthorization: true``."""
    evaluation = Evaluation()
    vaults = graph.of_type(VAULT)
    for assignment in graph.of_type(ROLE_ASSIGNMENT):
        role = str(assignment.inputs.get("roleDefinitionId") or "").rsplit("/", 1)[-1]
        if role not in KEY_VAULT_DATA_ROLES:
            continue
        scope = str(assignment.inputs.get("scope") or "")
        for vault in vaults:
            if scope.lower().endswith(_vault_path(vault.inputs).lower()):
                rbac = (vault.inputs.get("properties") or {}).get("enableRbacAuthorization") is True
                evaluation.check(
                    assignment.urn,
                    rbac,
                    f"{KEY_VAULT_DATA_ROLES[role]} on vault {vault.inputs.get('vaultName')}, which does not use Azure RBAC",
                )
    return evaluation


@preflight_rule(
    "aws-pod-identity-agent-installed",
    cloud="aws",
    constraint="An EKS Pod Identity association gives pods credentials only on a cluster that runs the EKS Pod "
    "Identity Agent (the eks-pod-identity-agent add-on); without it the association exists and the pods get none.",
    source="https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html",
)
def pod_identity_agent(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each association's cluster has the agent add-on."""
    evaluation = Evaluation()
    with_agent = {
        a.inputs.get("clusterName") for a in graph.of_type(ADDON) if a.inputs.get("addonName") == "eks-pod-identity-agent"
    }
    for association in graph.of_type(POD_IDENTITY_ASSOCIATION):
        cluster = association.inputs.get("clusterName")
        evaluation.check(association.urn, cluster in with_agent, f"cluster {cluster} has no eks-pod-identity-agent add-on")
    return evaluation
