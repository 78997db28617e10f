"""K3s on existing machines, installed over SSH."""

from .k3s import K3sCluster

__all__ = ["K3sCluster"]
