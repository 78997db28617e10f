"""Infrastructure layer: a production Kubernetes cluster per cloud, with Cilium as its CNI."""

from .cluster import (
    CiliumFacts,
    Cloud,
    Cluster,
    ObjectStore,
    PlatformFacts,
    ProvisionedCluster,
    StoreCredentials,
    WorkloadIdentity,
)
from .layer import InfrastructureLayer

__all__ = [
    "CiliumFacts",
    "Cloud",
    "Cluster",
    "InfrastructureLayer",
    "ObjectStore",
    "PlatformFacts",
    "ProvisionedCluster",
    "StoreCredentials",
    "WorkloadIdentity",
]
