"""Azure infrastructure: the spoke network and AKS with bring-your-own Cilium."""

from .aks import AksCluster

__all__ = ["AksCluster"]
