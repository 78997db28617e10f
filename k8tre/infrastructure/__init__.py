"""Infrastructure layer: a production Kubernetes cluster per cloud, with Cilium as its CNI."""

from .cluster import (
    AzureDnsZone,
    CiliumFacts,
    Cloud,
    Cluster,
    ControlPlaneMetrics,
    DnsZoneFact,
    ObjectStore,
    PlatformFacts,
    ProvisionedCluster,
    Rfc2136Server,
    Route53Zone,
    SecretStoreFacts,
    SecretWriter,
    StoreCredentials,
    StoredSecret,
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
    "ObjectStore",
    "PlatformFacts",
    "ProvisionedCluster",
    "Rfc2136Server",
    "Route53Zone",
    "SecretStoreFacts",
    "SecretWriter",
    "StoreCredentials",
    "StoredSecret",
    "WorkloadIdentity",
]
