"""Settings every cloud's cluster shares: Kubernetes version, pod and service ranges, Cilium."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import K8treModel
from .types import Cidr, KubernetesVersion


class PodNetwork(K8treModel):
    """Address ranges Cilium and Kubernetes hand out inside the cluster."""

    pod_cidrs: tuple[Cidr, ...] = Field(default=("10.244.0.0/16",), min_length=1)
    """Cilium cluster-pool IPAM ranges for pods."""
    service_cidr: Cidr = "10.96.0.0/16"
    """Kubernetes Service ClusterIP range."""


class CiliumSettings(K8treModel):
    """Choices about the CNI that differ between environments."""

    encryption: Literal["wireguard", "none"] | None = None
    """Transparent node-to-node encryption; default WireGuard in stg and prod."""
    hubble_ui: bool = True
    """Install the Hubble UI for flow visibility."""


class ClusterBase(K8treModel):
    """Keys common to every cloud's cluster section."""

    kubernetes_version: KubernetesVersion
    """Kubernetes minor or patch version, pinned per stack."""
    network: PodNetwork = PodNetwork()
    """Pod and service address ranges."""
    cilium: CiliumSettings = CiliumSettings()
    """CNI settings."""
