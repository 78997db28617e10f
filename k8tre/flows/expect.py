"""How a component declares its flows: what it needs (allow) and what must never happen (deny).

Components keep these declarations next to their policies, as data built from a small
``FlowContext`` (the stack's domain and projects); ``k8tre.flows.matrix`` evaluates them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from .model import Address, DnsLookup, Entity, Fqdn, Pod, Protocol

METADATA_SERVICE: Final = Address("169.254.169.254")
"""The cloud instance metadata service (Azure IMDS, AWS IMDS): credentials a pod must never reach."""
WORLD_ADDRESS: Final = Address("192.0.2.10")
"""Any address outside the cluster (TEST-NET-1, RFC 5737): raw internet egress."""
EXFILTRATION_NAME: Final = "exfil-probe.example.net"
"""A name on no allowlist (RFC 2606 reserves example.net): resolving it means DNS is a channel out."""
WORKSPACES: Final[Mapping[str, str]] = {"component": "singleuser-server"}
"""KubeSpawner's label on every single-user server (kubespawner ``_build_pod_labels``)."""


@dataclass(frozen=True)
class PodsOf:
    """The pods a flow starts or ends at: a namespace (None: every policed namespace) and labels."""

    namespace: str | None
    labels: Mapping[str, str] = field(default_factory=dict)
    label: str = ""
    """How the matrix names them."""

    def select(self, pods: Iterable[Pod], exempt: Iterable[str] = ()) -> list[Pod]:
        """The pods this query matches (the exempt namespaces only when named explicitly)."""
        skip = set(exempt)
        return [
            pod
            for pod in pods
            if (pod.namespace == self.namespace if self.namespace is not None else pod.namespace not in skip)
            and all(pod.labels.get(key) == value for key, value in self.labels.items())
        ]

    @property
    def ref(self) -> str:
        """Readable name."""
        if self.label:
            return self.label
        where = self.namespace or "*"
        return f"{where}/{','.join(f'{k}={v}' for k, v in self.labels.items()) or '*'}"


FlowEnd = PodsOf | Entity | Address | Fqdn | DnsLookup


@dataclass(frozen=True)
class Expect:
    """One declared flow and the verdict it must get."""

    source: PodsOf | Entity
    destination: FlowEnd
    port: int
    expect: Literal["allow", "deny"]
    why: str
    protocol: Protocol = "TCP"
    differ_on: str | None = None
    """A label whose value must differ between source and destination pods (another user)."""
    owner: str = ""
    """The component that declares it."""


def allow(source: PodsOf | Entity, destination: FlowEnd, port: int, why: str, **extra: object) -> Expect:
    """A flow the component needs."""
    return Expect(source, destination, port, "allow", why, **extra)  # type: ignore[arg-type]


def deny(source: PodsOf | Entity, destination: FlowEnd, port: int, why: str, **extra: object) -> Expect:
    """A flow that must never happen."""
    return Expect(source, destination, port, "deny", why, **extra)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ProjectFlows:
    """A project as its flows see it."""

    name: str
    namespace: str
    egress_fqdns: tuple[str, ...] = ()
    workspaces: bool = False
    """Whether JupyterHub spawns members' workspaces into the project's namespace (a profile sends them there)."""


@dataclass(frozen=True)
class FlowContext:
    """What flow declarations depend on in a stack."""

    domain: str
    projects: tuple[ProjectFlows, ...] = ()
    jupyterhub: bool = True
    acme: bool = True
    """Whether certificates come from an ACME CA (else self-signed: no ACME flows)."""
    argocd_ha: bool = False
    """Argo CD with redis-ha: its components reach redis through HAProxy."""
    argocd_sso_hosts: tuple[str, ...] = ()
    """Host names of the OIDC providers Argo CD signs users in through (from its rendered ``oidc.config``)."""
    longhorn: bool = False
    """Longhorn provides the storage classes (K3s): its manager's webhooks and NFS shares have flows."""
    dns01: tuple[tuple[str, int], ...] = ()
    """(FQDN or IP address, port) cert-manager writes DNS-01 answers to; empty: no DNS-01 solver."""
    external_dns: tuple[tuple[str, int], ...] | None = None
    """(FQDN or IP address, port) external-dns writes records to; None: external-dns is not installed."""
    velero: bool = False
    """Whether Velero is installed."""
    backup_hosts: tuple[str, ...] = ()
    """Hosts Velero's backup storage location makes it contact (read from the location, not the policy)."""
    seaweedfs: bool = False
    """Whether the in-cluster object store (SeaweedFS) is installed."""
    secret_store: str = ""
    """The ClusterSecretStore's provider kind (``azurekv``, ``aws``, ``kubernetes``), as rendered."""
    secret_store_fqdns: tuple[str, ...] = ()
    """Names External Secrets' controller must reach to read the rendered store."""
    argocd: bool = True
    """Argo CD runs in this cluster (False: an environment registered with a management stack's Argo CD)."""
    registered_api_servers: tuple[tuple[str, int], ...] = ()
    """(host, port) of the environment API servers a management stack's Argo CD delivers to."""
    applications: tuple[Any, ...] = ()
    """Applications from config (``applications.custom_app_flows.AppFlows``), read from the render."""
    argocd_sources: tuple[str, ...] = ()
    """Hosts of the rendered Applications' source repositories (Argo CD's repo server fetches from them)."""
    keycloak: bool = False
    """Whether Keycloak (the ``keycloak`` namespace) is rendered."""
    alert_receivers: tuple[tuple[str, int], ...] = ()
    """(host, port) Alertmanager's receivers send to, as its rendered pods declare them."""
