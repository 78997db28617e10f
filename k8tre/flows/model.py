"""The nouns of a flow: pods, entities, names, addresses, and the verdict on a flow between them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Protocol = Literal["TCP", "UDP", "SCTP"]
"""Transport protocols a policy port may name (``ANY`` in a policy matches each of them)."""

ApiServerPlacement = Literal["external", "nodes"]
"""Where the Kubernetes API server runs: outside the cluster (AKS, EKS) or on its own nodes (K3s)."""


@dataclass(frozen=True)
class Pod:
    """One pod as Cilium sees it: its namespace, labels, service account and named ports."""

    name: str
    """A readable name (workload name, or the runtime pod's role)."""
    namespace: str
    labels: Mapping[str, str]
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    """Labels of the pod's namespace (Cilium adds them to the pod's identity)."""
    service_account: str = "default"
    ports: Mapping[str, int] = field(default_factory=dict)
    """Container port names to numbers (named ports in policies resolve against these)."""
    origin: str = "rendered"
    """Where the pod comes from: ``rendered`` (a manifest), a chart release, or ``runtime``."""

    @property
    def ref(self) -> str:
        """``namespace/name``."""
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class Entity:
    """A Cilium reserved identity: ``kube-apiserver``, ``ingress``, ``host``, ``remote-node``, ``world`` ..."""

    name: str

    @property
    def ref(self) -> str:
        """``entity:<name>``."""
        return f"entity:{self.name}"


@dataclass(frozen=True)
class Address:
    """An IP address outside the cluster (a world address for Cilium)."""

    ip: str

    @property
    def ref(self) -> str:
        """``ip:<address>``."""
        return f"ip:{self.ip}"


@dataclass(frozen=True)
class Fqdn:
    """A host name outside the cluster, reached at the addresses its DNS lookup returns."""

    name: str

    @property
    def ref(self) -> str:
        """``fqdn:<name>``."""
        return f"fqdn:{self.name}"


@dataclass(frozen=True)
class DnsLookup:
    """Resolving a name at all (through kube-dns or any resolver): DNS as a channel out."""

    name: str

    @property
    def ref(self) -> str:
        """``dns:<name>``."""
        return f"dns:{self.name}"


Destination = Pod | Entity | Address | Fqdn | DnsLookup
"""What a flow goes to."""
Source = Pod | Entity
"""What a flow comes from."""


@dataclass(frozen=True)
class Cluster:
    """Facts about the cluster the verdict depends on."""

    api_server: ApiServerPlacement = "external"
    name: str = "default"
    """Cilium's cluster name (``io.cilium.k8s.policy.cluster``)."""


@dataclass(frozen=True)
class Verdict:
    """Whether a flow is allowed, and which policies decided it."""

    allowed: bool
    deciding: tuple[str, ...]
    """Policies (``Kind namespace/name``) that allowed, denied or default-denied the flow."""
    reason: str
    """One line: why."""
