"""Infrastructure layer: a production Kubernetes cluster per cloud, with Cilium as its CNI."""

from .cluster import (
    AzureDnsZone,
    CiliumFacts,
    Cloud,
    Cluster,
    ControlPlaneMetrics,
    DnsZoneFact,
    PlatformFacts,
    ProvisionedCluster,
    Rfc2136Server,
    Route53Zone,
    WorkloadIdentity,
)
from .layer import InfrastructureLayer

__all__ = [
    "AzureDnsZone",
    "CiliumFacts",
    "Cloud",
    "Cluster",
    "ControlPlaneMetrics",
    "DnsZoneFact",
    "InfrastructureLayer",
    "PlatformFacts",
    "ProvisionedCluster",
    "Rfc2136Server",
    "Route53Zone",
    "WorkloadIdentity",
]
