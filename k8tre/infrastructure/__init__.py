"""Infrastructure layer: a production Kubernetes cluster per cloud, with Cilium as its CNI."""

from .cluster import CiliumFacts, Cloud, Cluster, ControlPlaneMetrics, PlatformFacts, ProvisionedCluster, WorkloadIdentity
from .layer import InfrastructureLayer

__all__ = [
    "CiliumFacts",
    "Cloud",
    "Cluster",
    "ControlPlaneMetrics",
    "InfrastructureLayer",
    "PlatformFacts",
    "ProvisionedCluster",
    "WorkloadIdentity",
]
