"""Identities and endpoint selectors as Cilium matches them.

An identity is a set of ``(source, key, value)`` labels. A pod's identity holds its
labels, its namespace and its namespace's labels, its service account and the cluster
name, all from source ``k8s`` (Cilium docs, "Kubernetes" policy page, sections
"Namespaces" and "ServiceAccounts"; namespace labels become
``io.cilium.k8s.namespace.labels.<key>``). Reserved identities (``world``, ``host``,
``kube-apiserver``, ...) carry ``reserved`` labels (cilium/cilium
``pkg/identity/numericidentity.go``, ``reservedIdentityLabels``).

A selector key ``k8s:foo`` matches source ``k8s`` only, ``reserved:foo`` source
``reserved`` only, and a bare ``foo`` (or ``any:foo``) any source (cilium/cilium
``pkg/labels``, source prefixes). Operators follow Kubernetes label selectors:
``NotIn`` and ``DoesNotExist`` also match a missing key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .model import Cluster, Entity, Pod

Label = tuple[str, str, str]
"""``(source, key, value)``."""
Identity = frozenset[Label]

NAMESPACE_KEY: Final = "io.kubernetes.pod.namespace"
NAMESPACE_LABELS_PREFIX: Final = "io.cilium.k8s.namespace.labels."
SERVICE_ACCOUNT_KEY: Final = "io.cilium.k8s.policy.serviceaccount"
CLUSTER_KEY: Final = "io.cilium.k8s.policy.cluster"


def pod_identity(pod: Pod, cluster: Cluster) -> Identity:
    """The labels Cilium derives for a pod."""
    labels = {("k8s", key, value) for key, value in pod.labels.items()}
    # Kubernetes labels every namespace with its own name (kubernetes.io/metadata.name).
    namespace_labels = {"kubernetes.io/metadata.name": pod.namespace, **pod.namespace_labels}
    labels |= {("k8s", NAMESPACE_LABELS_PREFIX + key, value) for key, value in namespace_labels.items()}
    labels |= {
        ("k8s", NAMESPACE_KEY, pod.namespace),
        ("k8s", SERVICE_ACCOUNT_KEY, pod.service_account),
        ("k8s", CLUSTER_KEY, cluster.name),
    }
    return frozenset(labels)


def entity_identity(entity: Entity, cluster: Cluster) -> Identity:
    """The reserved labels of an entity's traffic.

    The API server's identity carries ``kube-apiserver`` plus ``remote-node`` when it runs
    on the cluster's nodes (``reservedIdentityLabels``; ``host`` too for pods on its
    node); outside the cluster (AKS, EKS) its address is also a ``world`` address (Cilium
    docs, policy language, "Entities Based": kube-apiserver "both within and outside of
    the cluster").
    """
    names = {entity.name}
    if entity.name == "kube-apiserver":
        names |= {"world", "world-ipv4"} if cluster.api_server == "external" else {"remote-node", "host"}
    if entity.name == "world":
        names.add("world-ipv4")
    return frozenset(("reserved", name, "") for name in names)


WORLD: Final[Identity] = frozenset({("reserved", "world", ""), ("reserved", "world-ipv4", "")})
"""The identity of any address outside the cluster (addresses, FQDNs)."""


@dataclass(frozen=True)
class Requirement:
    """One selector requirement; ``source`` None matches a label from any source."""

    source: str | None
    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, identity: Identity) -> bool:
        """Kubernetes label-selector semantics over Cilium's sourced labels."""
        found = [value for source, key, value in identity if key == self.key and self.source in (None, source)]
        if self.operator == "In":
            return any(value in self.values for value in found)
        if self.operator == "NotIn":
            return not any(value in self.values for value in found)
        if self.operator == "Exists":
            return bool(found)
        if self.operator == "DoesNotExist":
            return not found
        raise ValueError(f"unknown selector operator {self.operator!r}")


@dataclass(frozen=True)
class Selector:
    """An endpoint selector: every requirement must hold (an empty selector matches everything)."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, identity: Identity) -> bool:
        """Whether the identity satisfies every requirement."""
        return all(requirement.matches(identity) for requirement in self.requirements)

    def names_namespace(self) -> bool:
        """Whether the selector constrains the pod namespace label itself."""
        return any(r.key == NAMESPACE_KEY and r.source in (None, "k8s") for r in self.requirements)

    def is_reserved(self) -> bool:
        """Whether it selects reserved identities (then no namespace is added: ``getEndpointSelector``)."""
        return any(r.source == "reserved" for r in self.requirements)

    def with_requirement(self, requirement: Requirement) -> Selector:
        """A copy with one more requirement."""
        return Selector((*self.requirements, requirement))


def _split(key: str) -> tuple[str | None, str]:
    source, sep, rest = key.partition(":")
    if not sep:
        return None, key
    return (None if source == "any" else source), rest


def parse_selector(data: Mapping[str, Any] | None, *, key_prefix: str = "") -> Selector:
    """A Kubernetes ``LabelSelector`` (``matchLabels``, ``matchExpressions``) as a Selector."""
    data = data or {}
    requirements = [
        Requirement(*_split(key_prefix + key), "In", (str(value),)) for key, value in (data.get("matchLabels") or {}).items()
    ]
    for expression in data.get("matchExpressions") or []:
        source, key = _split(key_prefix + expression["key"])
        requirements.append(Requirement(source, key, expression["operator"], tuple(map(str, expression.get("values") or ()))))
    return Selector(tuple(requirements))


def peer_selector(data: Mapping[str, Any] | None, policy_namespace: str | None) -> Selector:
    """A ``fromEndpoints``/``toEndpoints`` selector as Cilium scopes it.

    Without a namespace requirement, a namespaced policy's peer is limited to the
    policy's own namespace, and a clusterwide policy's peer to pods (any namespace):
    cilium/cilium ``pkg/k8s/apis/cilium.io/utils/utils.go``, ``getEndpointSelector``.
    Reserved selectors are left alone.
    """
    selector = parse_selector(data)
    if selector.is_reserved() or selector.names_namespace():
        return selector
    if policy_namespace is None:
        return selector.with_requirement(Requirement("k8s", NAMESPACE_KEY, "Exists"))
    return selector.with_requirement(Requirement("k8s", NAMESPACE_KEY, "In", (policy_namespace,)))


_CLUSTER_RESERVED: Final = ("host", "remote-node", "init", "ingress", "health", "unmanaged", "kube-apiserver")


def entity_selectors(entities: Iterable[str], cluster: Cluster) -> list[Selector]:
    """Selectors for policy entities (cilium/cilium ``pkg/policy/api/entity.go``).

    ``all`` is the wildcard selector (every identity, world included); ``cluster`` is the
    reserved in-cluster identities plus every pod of this cluster; ``world`` is every
    address outside the cluster; the others are their reserved identity.
    """
    selectors: list[Selector] = []
    for entity in entities:
        if entity == "all":
            selectors.append(Selector())
        elif entity == "cluster":
            selectors += [_reserved(name) for name in _CLUSTER_RESERVED]
            selectors.append(Selector((Requirement("k8s", CLUSTER_KEY, "In", (cluster.name,)),)))
        else:
            selectors.append(_reserved(entity))
    return selectors


def _reserved(name: str) -> Selector:
    return Selector((Requirement("reserved", name, "Exists"),))


def any_matches(selectors: Sequence[Selector], identity: Identity) -> bool:
    """Whether one of the selectors matches the identity."""
    return any(selector.matches(identity) for selector in selectors)
