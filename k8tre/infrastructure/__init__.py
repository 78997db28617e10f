"""Infrastructure layer: a production Kubernetes cluster per cloud, with Cilium as its CNI."""

from .cluster import (
    CiliumFacts,
    Cloud,
    Cluster,
    PlatformFacts,
    ProvisionedCluster,
    SecretStoreFacts,
    SecretWriter,
    StoredSecret,
    WorkloadIdentity,
)
from .layer import InfrastructureLayer

__all__ = [
    "CiliumFacts",
    "Cloud",
    "Cluster",
    "InfrastructureLayer",
    "PlatformFacts",
    "ProvisionedCluster",
    "SecretStoreFacts",
    "SecretWriter",
    "StoredSecret",
    "WorkloadIdentity",
]
