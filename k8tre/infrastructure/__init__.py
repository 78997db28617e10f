"""Infrastructure layer: a production Kubernetes cluster per cloud, with Cilium as its CNI."""

from .cluster import CiliumFacts, Cloud, Cluster, PlatformFacts, ProvisionedCluster
from .layer import InfrastructureLayer

__all__ = ["CiliumFacts", "Cloud", "Cluster", "InfrastructureLayer", "PlatformFacts", "ProvisionedCluster"]
