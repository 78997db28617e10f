"""Rendered policy objects (CNP, CCNP, Kubernetes NetworkPolicy) in one normal form.

Cilium enforces all three kinds through one policy engine, so each becomes a
``Policy``: a subject selector, allow and deny rules per direction, and whether it
puts its subjects into default deny per direction.

- ``enableDefaultDeny`` defaults to true for each direction the policy has rules in
  (allow or deny), false otherwise; one selecting policy that asks for it is enough
  (CRD field documentation, ``Rule.enableDefaultDeny``; Cilium docs, "Policy
  Enforcement Modes").
- A namespaced policy's subjects are always in its namespace
  (``ParseToCiliumRule`` adds the namespace to ``endpointSelector``).
- An allow rule with neither peers nor ports (``{}``) allows nothing; with ports only it
  allows those ports from or to every peer (Cilium docs, policy language, "Ingress" and
  "Layer 4 Examples").
- A Kubernetes NetworkPolicy rule without ``from``/``to`` allows every peer, a missing
  ``ports`` every port, ``policyTypes`` chooses the directions (defaulting to Ingress,
  plus Egress when egress rules exist), ``namespaceSelector`` matches namespace labels
  and ``ipBlock`` is a CIDR rule (Kubernetes docs, "Network Policies"; cilium/cilium
  ``pkg/k8s/network_policy.go``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from .model import Cluster
from .selectors import NAMESPACE_KEY, NAMESPACE_LABELS_PREFIX, Requirement, Selector, entity_selectors, parse_selector
from .selectors import peer_selector as _peer

POLICY_KINDS: Final = ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "NetworkPolicy")


@dataclass(frozen=True)
class PortMatch:
    """A port (or range, or name) and protocol; ``port`` None means every port."""

    port: int | None
    end_port: int | None = None
    name: str | None = None
    protocol: str = "ANY"

    def matches(self, port: int, protocol: str, named: Mapping[str, int]) -> bool:
        """Whether ``port``/``protocol`` falls in this match (names resolve on the destination pod)."""
        if self.protocol not in ("ANY", protocol):
            return False
        if self.name is not None:
            return named.get(self.name) == port
        if self.port is None:
            return True
        return self.port <= port <= (self.end_port or self.port)


@dataclass(frozen=True)
class PortRule:
    """One ``toPorts`` entry: its ports and, where present, its L7 DNS patterns."""

    ports: tuple[PortMatch, ...]
    dns: tuple[str, ...] | None = None
    """DNS ``matchName``/``matchPattern`` values (None: no L7 DNS rule on these ports)."""


@dataclass(frozen=True)
class CidrRule:
    """A ``toCIDRSet``/``ipBlock`` entry: a prefix minus its exceptions."""

    cidr: str
    excepts: tuple[str, ...] = ()

    def contains(self, ip: str) -> bool:
        """Whether the address is in the prefix and in none of the exceptions."""
        address = ipaddress.ip_address(ip)
        inside = address in ipaddress.ip_network(self.cidr, strict=False)
        return inside and not any(address in ipaddress.ip_network(e, strict=False) for e in self.excepts)


@dataclass(frozen=True)
class PeerRule:
    """One allow or deny rule: which peers, which ports."""

    selectors: tuple[Selector, ...] = ()
    cidrs: tuple[CidrRule, ...] = ()
    fqdns: tuple[str, ...] = ()
    ports: tuple[PortRule, ...] = ()
    """Empty: every port."""
    any_peer: bool = False
    """No peer field at all: the rule applies to every peer (when it has ports)."""


@dataclass(frozen=True)
class Policy:
    """A policy in normal form."""

    id: str
    """``Kind namespace/name`` (``Kind name`` for clusterwide)."""
    subjects: Selector
    ingress: tuple[PeerRule, ...] = ()
    egress: tuple[PeerRule, ...] = ()
    ingress_deny: tuple[PeerRule, ...] = ()
    egress_deny: tuple[PeerRule, ...] = ()
    default_deny_ingress: bool = False
    default_deny_egress: bool = False


def load_policies(objects: Iterable[Mapping[str, Any]], cluster: Cluster) -> list[Policy]:
    """Every network policy among ``objects``, normalised (other kinds are skipped)."""
    policies: list[Policy] = []
    for obj in objects:
        kind = obj.get("kind")
        if kind == "NetworkPolicy":
            policies.append(_kubernetes(obj))
        elif kind in ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"):
            namespace = obj["metadata"].get("namespace") if kind == "CiliumNetworkPolicy" else None
            specs = ([obj["spec"]] if obj.get("spec") else []) + list(obj.get("specs") or [])
            for index, spec in enumerate(specs):
                suffix = f"#{index}" if len(specs) > 1 else ""
                policies.append(_cilium(spec, f"{kind} {_where(obj, namespace)}{suffix}", namespace, cluster))
    return policies


def _where(obj: Mapping[str, Any], namespace: str | None) -> str:
    name = obj["metadata"]["name"]
    return f"{namespace}/{name}" if namespace else name


def _cilium(spec: Mapping[str, Any], policy_id: str, namespace: str | None, cluster: Cluster) -> Policy:
    subjects = parse_selector(spec.get("endpointSelector"))
    if namespace is not None:
        subjects = subjects.with_requirement(Requirement("k8s", NAMESPACE_KEY, "In", (namespace,)))
    rules = {
        field: tuple(_cilium_rule(rule, field.startswith("ingress"), namespace, cluster) for rule in spec.get(field) or [])
        for field in ("ingress", "egress", "ingressDeny", "egressDeny")
    }
    enable = spec.get("enableDefaultDeny") or {}
    has_ingress = bool(rules["ingress"] or rules["ingressDeny"])
    has_egress = bool(rules["egress"] or rules["egressDeny"])
    return Policy(
        id=policy_id,
        subjects=subjects,
        ingress=rules["ingress"],
        egress=rules["egress"],
        ingress_deny=rules["ingressDeny"],
        egress_deny=rules["egressDeny"],
        default_deny_ingress=has_ingress and enable.get("ingress", True) is not False,
        default_deny_egress=has_egress and enable.get("egress", True) is not False,
    )


def _cilium_rule(rule: Mapping[str, Any], ingress: bool, namespace: str | None, cluster: Cluster) -> PeerRule:
    side = "from" if ingress else "to"
    selectors = [_peer(s, namespace) for s in rule.get(f"{side}Endpoints") or []]
    selectors += entity_selectors(rule.get(f"{side}Entities") or [], cluster)
    cidrs = [CidrRule(c) for c in rule.get(f"{side}CIDR") or []]
    cidrs += [CidrRule(c["cidr"], tuple(c.get("except") or ())) for c in rule.get(f"{side}CIDRSet") or [] if "cidr" in c]
    fqdns = tuple(f.get("matchName") or f.get("matchPattern") or "" for f in rule.get("toFQDNs") or [])
    peer_fields = [key for key in rule if key != "toPorts" and key != "icmps"]
    return PeerRule(
        selectors=tuple(selectors),
        cidrs=tuple(cidrs),
        fqdns=fqdns,
        ports=tuple(_cilium_ports(entry) for entry in rule.get("toPorts") or []),
        any_peer=not peer_fields,
    )


def _cilium_ports(entry: Mapping[str, Any]) -> PortRule:
    ports = []
    for port in entry.get("ports") or []:
        value = str(port.get("port", "0"))
        protocol = str(port.get("protocol", "ANY")).upper()
        if value.isdigit():
            number = int(value)
            # Port 0 is Cilium's "every port" (policy language, "Layer 4 Examples").
            ports.append(PortMatch(number or None, port.get("endPort"), None, protocol))
        else:
            ports.append(PortMatch(None, None, value, protocol))
    rules = entry.get("rules") or {}
    dns = tuple(d.get("matchName") or d.get("matchPattern") or "" for d in rules["dns"]) if "dns" in rules else None
    return PortRule(tuple(ports) or (PortMatch(None),), dns)


def _kubernetes(obj: Mapping[str, Any]) -> Policy:
    namespace = obj["metadata"].get("namespace", "default")
    spec = obj.get("spec") or {}
    subjects = parse_selector(spec.get("podSelector"), key_prefix="k8s:").with_requirement(
        Requirement("k8s", NAMESPACE_KEY, "In", (namespace,))
    )
    types = spec.get("policyTypes") or (["Ingress", "Egress"] if spec.get("egress") else ["Ingress"])
    ingress = tuple(_kubernetes_rule(r, "from", namespace) for r in spec.get("ingress") or [])
    egress = tuple(_kubernetes_rule(r, "to", namespace) for r in spec.get("egress") or [])
    return Policy(
        id=f"NetworkPolicy {namespace}/{obj['metadata']['name']}",
        subjects=subjects,
        ingress=ingress if "Ingress" in types else (),
        egress=egress if "Egress" in types else (),
        default_deny_ingress="Ingress" in types,
        default_deny_egress="Egress" in types,
    )


def _kubernetes_rule(rule: Mapping[str, Any], side: str, namespace: str) -> PeerRule:
    peers = rule.get(side) or []
    selectors: list[Selector] = []
    cidrs: list[CidrRule] = []
    for peer in peers:
        if "ipBlock" in peer:
            cidrs.append(CidrRule(peer["ipBlock"]["cidr"], tuple(peer["ipBlock"].get("except") or ())))
            continue
        selector = parse_selector(peer.get("podSelector"), key_prefix="k8s:")
        if "namespaceSelector" in peer:
            for requirement in parse_selector(peer["namespaceSelector"], key_prefix=NAMESPACE_LABELS_PREFIX).requirements:
                selector = selector.with_requirement(
                    Requirement("k8s", requirement.key, requirement.operator, requirement.values)
                )
            selector = selector.with_requirement(Requirement("k8s", NAMESPACE_KEY, "Exists"))
        else:
            selector = selector.with_requirement(Requirement("k8s", NAMESPACE_KEY, "In", (namespace,)))
        selectors.append(selector)
    ports = []
    for port in rule.get("ports") or []:
        protocol = str(port.get("protocol", "TCP")).upper()
        value = port.get("port")
        if value is None:
            ports.append(PortMatch(None, None, None, protocol))
        elif isinstance(value, int) or str(value).isdigit():
            ports.append(PortMatch(int(value), port.get("endPort"), None, protocol))
        else:
            ports.append(PortMatch(None, None, str(value), protocol))
    port_rules = (PortRule(tuple(ports)),) if ports else ()
    # No peers listed: every peer (the wildcard selector, world included).
    return PeerRule(tuple(selectors) if peers else (Selector(),), tuple(cidrs), (), port_rules, any_peer=False)
