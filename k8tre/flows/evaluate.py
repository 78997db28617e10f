"""The verdict on one flow, decided the way Cilium's policy engine decides it.

- A pod-to-pod flow needs the source's egress AND the destination's ingress to allow it;
  a flow to an entity, address or name only the source's egress; a flow from an entity
  only the destination's ingress (Cilium docs, "Policy Enforcement Modes": enforcement
  is per endpoint and per direction).
- A direction is enforced once a selecting policy puts the endpoint into default deny;
  then allows are the union over every selecting policy, CNP, CCNP and Kubernetes
  NetworkPolicy alike, and a deny rule anywhere wins (Cilium docs, "Deny Policies").
- CIDR rules match only addresses outside the cluster, never pods (Cilium docs, policy
  language, "IP/CIDR based").
- ``toFQDNs`` allows a name's addresses only when Cilium's DNS proxy saw the lookup: a
  DNS (L7) rule of the same pod's policies must let it resolve that name through
  kube-dns (Cilium docs, policy language, "DNS based"). An FQDN's addresses are
  unknown here, so of CIDR rules only ``0.0.0.0/0`` matches one.
"""

from __future__ import annotations

from collections.abc import Sequence

from .dns import name_matches
from .model import Address, Cluster, Destination, DnsLookup, Entity, Fqdn, Pod, Source, Verdict
from .policies import PeerRule, Policy
from .selectors import WORLD, Identity, entity_identity, pod_identity

KUBE_DNS = Pod(
    "coredns",
    "kube-system",
    {"k8s-app": "kube-dns"},
    service_account="coredns",
    ports={"dns": 53, "dns-tcp": 53},
    origin="cluster add-on",
)
"""The cluster DNS pod: CoreDNS labelled ``k8s-app: kube-dns`` on AKS, EKS and K3s alike."""

WORLD_RESOLVER = Address("192.0.2.53")
"""Any resolver outside the cluster (a TEST-NET-1 address, RFC 5737): DNS that bypasses kube-dns."""


def verdict(
    policies: Sequence[Policy], source: Source, destination: Destination, port: int, protocol: str, cluster: Cluster
) -> Verdict:
    """Whether ``source`` may open a connection to ``destination`` on ``port``/``protocol``."""
    if isinstance(destination, DnsLookup):
        assert isinstance(source, Pod), "only pods resolve names"
        return resolves(policies, source, destination.name, cluster)
    deciding: list[str] = []
    if isinstance(source, Pod):
        egress = _direction(policies, source, destination, port, protocol, cluster, egress=True)
        if not egress.allowed:
            return egress
        deciding += egress.deciding
    if isinstance(destination, Pod):
        ingress = _direction(policies, destination, source, port, protocol, cluster, egress=False)
        if not ingress.allowed:
            return ingress
        deciding += ingress.deciding
    return Verdict(True, tuple(deciding), "allowed")


def resolves(policies: Sequence[Policy], pod: Pod, name: str, cluster: Cluster) -> Verdict:
    """Whether the pod can resolve ``name`` at all: through kube-dns, or a resolver outside."""
    for protocol in ("UDP", "TCP"):
        direct = verdict(policies, pod, WORLD_RESOLVER, 53, protocol, cluster)
        if direct.allowed:
            return Verdict(True, direct.deciding, f"DNS to a resolver outside the cluster ({protocol})")
    via = verdict(policies, pod, KUBE_DNS, 53, "UDP", cluster)
    if not via.allowed:
        return via
    patterns = _dns_patterns(policies, pod, cluster)
    if patterns is None:
        return Verdict(True, via.deciding, "kube-dns reachable with no DNS rule filtering names")
    matching = [policy for policy, pattern in patterns if name_matches(pattern, name)]
    if matching:
        return Verdict(True, tuple(dict.fromkeys(matching)), "a DNS rule allows the name")
    deciding = tuple(dict.fromkeys(policy for policy, _ in patterns))
    return Verdict(False, deciding, "the DNS proxy refuses the name")


def _dns_patterns(policies: Sequence[Policy], pod: Pod, cluster: Cluster) -> list[tuple[str, str]] | None:
    """The DNS patterns Cilium's proxy applies to the pod's lookups; None when no proxy sees them.

    Lookups go through the proxy only when an L7 DNS rule covers kube-dns's port; an
    L4-only allow of the same port then makes the proxy accept every name (an L7
    wildcard), as allows are a union.
    """
    identity = pod_identity(pod, cluster)
    selecting = [p for p in policies if p.subjects.matches(identity)]
    if not any(p.default_deny_egress for p in selecting):
        return None
    target = pod_identity(KUBE_DNS, cluster)
    patterns: list[tuple[str, str]] = []
    wildcard: list[str] = []
    for policy in selecting:
        for rule in policy.egress:
            if not _peer_matches(rule, target, KUBE_DNS, cluster) or (rule.any_peer and not rule.ports):
                continue
            if not rule.ports:
                wildcard.append(policy.id)
            for entry in rule.ports:
                if any(p.matches(53, "UDP", KUBE_DNS.ports) for p in entry.ports):
                    if entry.dns is None:
                        wildcard.append(policy.id)
                    else:
                        patterns += [(policy.id, pattern) for pattern in entry.dns]
    if not patterns:
        return None
    return patterns + [(policy, "*") for policy in wildcard]


def _identity(peer: Source | Destination, cluster: Cluster) -> Identity:
    if isinstance(peer, Pod):
        return pod_identity(peer, cluster)
    if isinstance(peer, Entity):
        return entity_identity(peer, cluster)
    return WORLD


def _direction(
    policies: Sequence[Policy],
    subject: Pod,
    peer: Source | Destination,
    port: int,
    protocol: str,
    cluster: Cluster,
    *,
    egress: bool,
) -> Verdict:
    word = "egress" if egress else "ingress"
    identity = pod_identity(subject, cluster)
    selecting = [p for p in policies if p.subjects.matches(identity)]
    peer_identity = _identity(peer, cluster)
    named = (peer.ports if isinstance(peer, Pod) else {}) if egress else subject.ports
    for policy in selecting:
        for rule in policy.egress_deny if egress else policy.ingress_deny:
            if _peer_matches(rule, peer_identity, peer, cluster) and _ports_match(rule, port, protocol, named):
                return Verdict(False, (policy.id,), f"{word} deny rule")
    enforcing = [p.id for p in selecting if (p.default_deny_egress if egress else p.default_deny_ingress)]
    if not enforcing:
        return Verdict(True, (), f"{subject.ref} is not in default deny at {word}")
    allowing = []
    for policy in selecting:
        for rule in policy.egress if egress else policy.ingress:
            if not _ports_match(rule, port, protocol, named) or (rule.any_peer and not rule.ports):
                continue
            if _peer_matches(rule, peer_identity, peer, cluster) and _fqdn_visible(policies, subject, peer, rule, cluster):
                allowing.append(policy.id)
    if allowing:
        return Verdict(True, tuple(dict.fromkeys(allowing)), f"{word} allowed")
    return Verdict(False, tuple(enforcing), f"{word} default deny, no rule allows it")


def _peer_matches(rule: PeerRule, identity: Identity, peer: object, cluster: Cluster) -> bool:
    if rule.any_peer:
        return True
    if any(selector.matches(identity) for selector in rule.selectors):
        return True
    if isinstance(peer, Address) and any(c.contains(peer.ip) for c in rule.cidrs):
        return True
    if isinstance(peer, Fqdn):
        if any(c.cidr in ("0.0.0.0/0", "::/0") and not c.excepts for c in rule.cidrs):
            return True
        return any(name_matches(pattern, peer.name) for pattern in rule.fqdns)
    return False


def _fqdn_visible(policies: Sequence[Policy], pod: Pod, peer: object, rule: PeerRule, cluster: Cluster) -> bool:
    """A match through ``toFQDNs`` alone counts only if the DNS proxy lets the pod resolve the name."""
    if not isinstance(peer, Fqdn) or not rule.fqdns or rule.selectors or rule.cidrs:
        return True
    patterns = _dns_patterns(policies, pod, cluster)
    if patterns is None:
        return False  # no proxy sees the lookup, so Cilium never learns the name's addresses
    return any(name_matches(pattern, peer.name) for _, pattern in patterns)


def _ports_match(rule: PeerRule, port: int, protocol: str, named: dict[str, int] | object) -> bool:
    if not rule.ports:
        return True
    names = named if isinstance(named, dict) else {}
    return any(match.matches(port, protocol, names) for entry in rule.ports for match in entry.ports)
