"""What the AKS environment hands the agnostics layer: the per-cloud facts its services are built from."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
from pulumi_azure_native import keyvault

from ...config import AzureClusterConfig
from ...stage import Stage
from ..cluster import ControlPlaneMetrics, ObjectStore, PlatformFacts, WorkloadIdentity
from .account import AzureAccount
from .environment_dns import dns_zone
from .nsg_rules import ALLOWED_IP_RANGES
from .secret_store import key_vault_store
from .spoke import INGRESS_SUBNET
from .storage import azure_storage


def aks_platform_facts(
    config: AzureClusterConfig,
    stage: Stage,
    account: AzureAccount,
    resource_group_name: pulumi.Output[str],
    client_ids: Mapping[str, pulumi.Output[str]],
    object_store: ObjectStore,
    vault: keyvault.Vault,
) -> PlatformFacts:
    """Storage, metrics, load balancer, workload identities, DNS zones, object store and secret store on AKS."""
    return PlatformFacts(
        storage=azure_storage(),
        # AKS runs the controller manager, scheduler and etcd in Azure's own subscription: their metrics
        # reach only Azure Monitor's managed Prometheus (AKS docs, "Monitor the control plane":
        # https://learn.microsoft.com/azure/aks/control-plane-metrics-monitor).
        control_plane_metrics=ControlPlaneMetrics(why="AKS hides its control plane; only Azure Monitor sees it"),
        internal_lb_annotations={
            "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
            "service.beta.kubernetes.io/azure-load-balancer-internal-subnet": INGRESS_SUBNET,
            # The cloud provider admits only these sources to the Gateway's load balancer (nsg_rules).
            ALLOWED_IP_RANGES: ",".join(config.client_ranges),
        },
        workload_identities={
            service: WorkloadIdentity(
                service_account_annotations={"azure.workload.identity/client-id": client_id},
                pod_labels={"azure.workload.identity/use": "true"},
            )
            for service, client_id in client_ids.items()
        },
        cloud_api_fqdns=("management.azure.com", "login.microsoftonline.com"),
        # Zones and the identities with a role on each; the agnostics layer builds the solvers from them.
        public_dns=dns_zone(stage.domain, account, resource_group_name, client_ids["cert-manager"], False),
        private_dns=dns_zone(stage.domain, account, resource_group_name, client_ids["external-dns"], True),
        object_store=object_store,
        # External Secrets reads generated passwords from the environment's vault (private endpoint).
        secret_store=key_vault_store(vault, resource_group_name, account.tenant_id, stage),
    )
