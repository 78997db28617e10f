"""Each Cilium semantic the evaluator encodes, with an allowed and a denied case."""

from __future__ import annotations

from typing import Any

import pytest

from k8tre.flows.dns import name_matches
from k8tre.flows.evaluate import KUBE_DNS, verdict
from k8tre.flows.model import Address, Cluster, DnsLookup, Entity, Fqdn, Pod
from k8tre.flows.policies import load_policies

CLUSTER = Cluster()
A = Pod("a", "ns-a", {"app": "a"})
B = Pod("b", "ns-b", {"app": "b"}, ports={"http": 8080})
A2 = Pod("a2", "ns-a", {"app": "a2"})


def cnp(namespace: str, spec: dict[str, Any], kind: str = "CiliumNetworkPolicy") -> dict[str, Any]:
    metadata = {"name": "p", "namespace": namespace} if kind == "CiliumNetworkPolicy" else {"name": "p"}
    return {"kind": kind, "metadata": metadata, "spec": spec}


def allowed(objects: list[dict[str, Any]], src: Any, dst: Any, port: int = 80, protocol: str = "TCP") -> bool:
    return verdict(load_policies(objects, CLUSTER), src, dst, port, protocol, CLUSTER).allowed


def test_no_policy_allows_and_a_selecting_policy_denies_by_default() -> None:
    assert allowed([], A, B)
    assert not allowed([cnp("ns-b", {"endpointSelector": {}, "ingress": [{}]})], A, B)


def test_enable_default_deny_false_keeps_the_endpoint_open() -> None:
    spec = {"endpointSelector": {}, "ingress": [{"fromEntities": ["world"]}], "enableDefaultDeny": {"ingress": False}}
    assert allowed([cnp("ns-b", spec)], A, B)
    spec["enableDefaultDeny"] = {"ingress": True}
    assert not allowed([cnp("ns-b", spec)], A, B)


def test_allows_are_a_union_and_deny_wins() -> None:
    deny_all = cnp("ns-b", {"endpointSelector": {}, "ingress": [{}]})
    opener = cnp("ns-b", {"endpointSelector": {}, "ingress": [{"fromEntities": ["all"]}]})
    assert allowed([deny_all, opener], A, B)
    denier = cnp(
        "ns-b",
        {
            "endpointSelector": {},
            "ingressDeny": [{"fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "ns-a"}}]}],
        },
    )
    assert not allowed([deny_all, opener, denier], A, B)


def test_namespaced_peers_stay_in_the_policy_namespace_but_clusterwide_peers_do_not() -> None:
    spec = {"endpointSelector": {}, "ingress": [{"fromEndpoints": [{}]}]}
    assert not allowed([cnp("ns-b", spec)], A, B)
    assert allowed([cnp("ns-b", spec)], Pod("x", "ns-b", {}), B)
    assert allowed([cnp("", spec, "CiliumClusterwideNetworkPolicy")], A, B)
    named = {
        "endpointSelector": {},
        "ingress": [{"fromEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "ns-a", "app": "a"}}]}],
    }
    assert allowed([cnp("ns-b", named)], A, B)
    assert not allowed([cnp("ns-b", named)], A2, B)


def test_match_expressions_and_the_k8s_prefix() -> None:
    spec = {"endpointSelector": {"matchExpressions": [{"key": "k8s:app", "operator": "In", "values": ["b"]}]}, "ingress": [{}]}
    assert not allowed([cnp("ns-b", spec)], A, B)
    spec["endpointSelector"]["matchExpressions"][0]["operator"] = "NotIn"
    assert allowed([cnp("ns-b", spec)], A, B)


@pytest.mark.parametrize(
    ("entity", "api", "expected"),
    [
        ("kube-apiserver", "external", True),
        ("world", "external", True),
        ("world", "nodes", False),
        ("remote-node", "nodes", True),
        ("cluster", "nodes", True),
        ("host", "external", False),
        ("ingress", "external", False),
    ],
)
def test_entities_and_the_api_server(entity: str, api: str, expected: bool) -> None:
    cluster = Cluster(api_server=api)  # type: ignore[arg-type]
    policies = load_policies([cnp("ns-a", {"endpointSelector": {}, "egress": [{"toEntities": [entity]}]})], cluster)
    assert verdict(policies, A, Entity("kube-apiserver"), 443, "TCP", cluster).allowed is expected


def test_cluster_entity_covers_pods_but_not_the_world() -> None:
    spec = {"endpointSelector": {}, "egress": [{"toEntities": ["cluster"]}]}
    assert allowed([cnp("ns-a", spec)], A, B)
    assert not allowed([cnp("ns-a", spec)], A, Address("8.8.8.8"))


def test_cidr_with_except_matches_world_addresses_only() -> None:
    spec = {"endpointSelector": {}, "egress": [{"toCIDRSet": [{"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}]}]}
    assert allowed([cnp("ns-a", spec)], A, Address("8.8.8.8"))
    assert not allowed([cnp("ns-a", spec)], A, Address("169.254.169.254"))
    assert not allowed([cnp("ns-a", spec)], A, B), "CIDR rules never select pods"


def test_ports_protocols_ranges_and_named_ports() -> None:
    spec = {
        "endpointSelector": {},
        "egress": [
            {
                "toEntities": ["all"],
                "toPorts": [{"ports": [{"port": "8000", "endPort": 8100, "protocol": "TCP"}, {"port": "http"}]}],
            }
        ],
    }
    assert allowed([cnp("ns-a", spec)], A, B, 8050)
    assert not allowed([cnp("ns-a", spec)], A, B, 8050, "UDP")
    assert not allowed([cnp("ns-a", spec)], A, B, 9000)
    assert allowed([cnp("ns-a", spec)], A, B, 8080), "the named port resolves on the destination"


def dns_policy(patterns: list[dict[str, str]], fqdns: list[dict[str, str]]) -> dict[str, Any]:
    rule = {
        "toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns"}}],
        "toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}], "rules": {"dns": patterns}}],
    }
    egress = [rule] + ([{"toFQDNs": fqdns, "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]}] if fqdns else [])
    return cnp("ns-a", {"endpointSelector": {}, "egress": egress})


def test_fqdn_needs_a_dns_rule_that_lets_the_name_resolve() -> None:
    assert allowed([dns_policy([{"matchName": "pypi.org"}], [{"matchName": "pypi.org"}])], A, Fqdn("pypi.org"), 443)
    assert not allowed([dns_policy([{"matchName": "other.org"}], [{"matchName": "pypi.org"}])], A, Fqdn("pypi.org"), 443)
    assert not allowed([dns_policy([{"matchName": "pypi.org"}], [{"matchName": "pypi.org"}])], A, Fqdn("evil.org"), 443)


def test_dns_rules_filter_lookups_and_an_l4_only_allow_opens_them() -> None:
    policies = [dns_policy([{"matchPattern": "**.cluster.local"}], [])]
    assert allowed(policies, A, DnsLookup("x.ns.svc.cluster.local"), 53, "UDP")
    assert not allowed(policies, A, DnsLookup("exfil.example.net"), 53, "UDP")
    l4 = cnp(
        "ns-a",
        {
            "endpointSelector": {},
            "egress": [{"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system"}}]}],
        },
    )
    assert allowed([*policies, l4], A, DnsLookup("exfil.example.net"), 53, "UDP")
    world = cnp("ns-a", {"endpointSelector": {}, "egress": [{"toEntities": ["world"]}]})
    assert allowed([*policies, world], A, DnsLookup("exfil.example.net"), 53, "UDP"), "a resolver outside the cluster"


def test_pod_to_pod_needs_both_directions() -> None:
    egress_only = cnp("ns-a", {"endpointSelector": {}, "egress": [{"toEntities": ["all"]}]})
    closed = cnp("ns-b", {"endpointSelector": {}, "ingress": [{}]})
    assert allowed([egress_only], A, B)
    assert not allowed([egress_only, closed], A, B)
    assert not allowed([cnp("ns-a", {"endpointSelector": {}, "egress": [{}]})], A, B)


def test_kubernetes_network_policy_semantics() -> None:
    netpol = {
        "kind": "NetworkPolicy",
        "metadata": {"name": "np", "namespace": "ns-b"},
        "spec": {
            "podSelector": {"matchLabels": {"app": "b"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "x"}}}], "ports": [{"port": 8080}]}],
        },
    }
    labelled = Pod("a", "ns-a", {"app": "a"}, {"team": "x"})
    assert allowed([netpol], labelled, B, 8080)
    assert not allowed([netpol], A, B, 8080)
    assert not allowed([netpol], labelled, B, 9090)
    netpol["spec"]["ingress"] = [{}]
    assert allowed([netpol], Entity("world"), B, 1), "a rule without from admits every peer"


def test_kube_dns_is_reached_through_its_own_identity() -> None:
    assert allowed([dns_policy([{"matchPattern": "*"}], [])], A, KUBE_DNS, 53, "UDP")
    assert not allowed([dns_policy([{"matchPattern": "*"}], [])], A, Pod("fake", "ns-a", {"k8s-app": "kube-dns"}), 53, "UDP")


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("*", "anything.example", True),
        ("*.example.org", "a.example.org", True),
        ("*.example.org", "example.org", False),
        ("*.example.org", "a.b.example.org", False),
        ("**.example.org", "a.b.example.org", True),
        ("pypi.org", "PYPI.org.", True),
        ("pypi.org", "pypi.org.evil", False),
    ],
)
def test_dns_patterns(pattern: str, name: str, expected: bool) -> None:
    assert name_matches(pattern, name) is expected
