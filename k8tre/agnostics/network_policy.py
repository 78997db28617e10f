"""Network policy as data: the cluster-wide default-deny and the per-project isolation policy.

Each builder returns a plain Cilium object. The rules are deliberately minimal:
anything not listed here is dropped (SATRE 2.2.10, 2.2.11, 2.1.08, 2.1.14).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from ..flows.expect import EXFILTRATION_NAME, METADATA_SERVICE, WORLD_ADDRESS, Expect, FlowContext, PodsOf, allow, deny
from ..flows.model import DnsLookup
from .catalogue import Render, ServiceEntry, kinds

NAMESPACE_LABEL: Final = "k8s:io.kubernetes.pod.namespace"

SYSTEM_NAMESPACES: Final[Mapping[str, str]] = {
    "kube-system": (
        "the cloud's own add-ons run here (CoreDNS, metrics-server, konnectivity, CSI node plugins, AKS and EKS agents), "
        "installed and changed by the cloud outside this program, so no render can say what each needs; "
        "Cilium's agent and operator use the host network, which policy does not govern"
    ),
}
"""Namespaces outside the default deny, each with the reason it is exempt.

Every other namespace is inside it, those without pods too: ``kube-public`` (the cluster-info
ConfigMap), ``kube-node-lease`` (node heartbeats), ``cilium-secrets`` (Cilium's copies of Gateway
TLS Secrets) and ``gateway-system`` (the shared Gateway; its Envoy runs in Cilium's agent, reached
as the ``ingress`` entity). A pod that later appears in one of them (say, a cert-manager HTTP-01
solver for the Gateway's certificate) is denied until a policy opens it.
"""

KUBE_DNS: Final = {"matchLabels": {NAMESPACE_LABEL: "kube-system", "k8s:k8s-app": "kube-dns"}}
CLUSTER_DOMAIN_NAMES: Final = "**.cluster.local"
"""Every name in the cluster domain (``cluster.local`` on AKS, EKS and K3s); ``**.`` spans labels
(cilium/cilium ``pkg/fqdn/matchpattern``)."""


def dns_egress_rule(names: Sequence[str] = ()) -> dict[str, Any]:
    """DNS to kube-dns only, through Cilium's DNS proxy, for the cluster domain and ``names`` alone.

    The proxy refuses every other lookup, so DNS cannot carry data out (Cilium docs, policy
    language, "DNS based"); allows add up across policies, so each namespace's own policy
    adds its names.
    """
    return {
        "toEndpoints": [KUBE_DNS],
        "toPorts": [
            {
                "ports": [{"port": "53", "protocol": "UDP"}, {"port": "53", "protocol": "TCP"}],
                "rules": {"dns": [{"matchPattern": CLUSTER_DOMAIN_NAMES}, *(_fqdn_selector(n) for n in names)]},
            }
        ],
    }


def default_deny_policy(exempt: Mapping[str, str] = SYSTEM_NAMESPACES) -> dict[str, Any]:
    """A CiliumClusterwideNetworkPolicy denying all traffic to and from every non-exempt namespace.

    Its only allow is DNS for cluster names. ``ingress: [{}]`` is a rule that allows
    nothing, which puts every selected pod into default deny at ingress (Cilium docs,
    policy language, "Ingress"); the Gateway reaches only the pods a service's own policy
    opens to it.
    """
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumClusterwideNetworkPolicy",
        "metadata": {"name": "k8tre-default-deny", "labels": {"k8tre.io/policy": "default-deny"}},
        "spec": {
            "description": "K8TRE default deny: no traffic unless a policy allows it (SATRE 2.2.10, 2.2.11)",
            "endpointSelector": {"matchExpressions": [{"key": NAMESPACE_LABEL, "operator": "NotIn", "values": sorted(exempt)}]},
            "enableDefaultDeny": {"ingress": True, "egress": True},
            "ingress": [{}],
            "egress": [dns_egress_rule()],
        },
    }


def _default_deny_variant(render: Render) -> str:
    """The namespaces the rendered cluster-wide default deny leaves out."""
    described = []
    for policy in kinds(render, "CiliumClusterwideNetworkPolicy"):
        for expression in (policy["spec"].get("endpointSelector") or {}).get("matchExpressions") or []:
            if expression.get("key") == NAMESPACE_LABEL and expression.get("operator") == "NotIn":
                described.append("all namespaces except " + ", ".join(expression.get("values") or []))
    return "; ".join(described)


ENTRY = ServiceEntry(
    name="Default deny",
    gives="no pod sends or receives anything a policy does not allow; DNS for cluster names only",
    charts=(),
    flows="every pod to kube-dns (cluster names); everything else denied unless a service opens it",
    variant=_default_deny_variant,
)


def _fqdn_selector(name: str) -> dict[str, str]:
    return {"matchPattern": name} if "*" in name else {"matchName": name}


def egress_to_names(names: Sequence[str], port: int = 443, udp: bool = False) -> list[dict[str, Any]]:
    """Egress to the listed names on one port (TCP, and UDP too when asked): none when the list is empty."""
    if not names:
        return []
    ports = [{"port": str(port), "protocol": "TCP"}] + ([{"port": str(port), "protocol": "UDP"}] if udp else [])
    return [{"toFQDNs": [_fqdn_selector(name) for name in names], "toPorts": [{"ports": ports}]}]


def opening(namespace: str, name: str, labels: Mapping[str, str], entity: str, port: int, why: str) -> dict[str, Any]:
    """A CiliumNetworkPolicy letting one entity reach the labelled pods on one port.

    The entity is the Gateway's Envoy (``ingress``) or the ``kube-apiserver`` (webhooks).
    """
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": name, "namespace": namespace, "labels": {"k8tre.io/policy": "service"}},
        "spec": {
            "description": why,
            "endpointSelector": {"matchLabels": dict(labels)},
            "ingress": [{"fromEntities": [entity], "toPorts": [{"ports": [{"port": str(port), "protocol": "TCP"}]}]}],
        },
    }


def service_policy(
    namespace: str,
    service: str,
    *,
    egress_fqdns: Sequence[str] = (),
    api_server: bool = False,
    dns_servers: Sequence[str] = (),
    extra_egress: Sequence[Mapping[str, Any]] = (),
    lookups: Sequence[str] = (),
) -> dict[str, Any]:
    """A CiliumNetworkPolicy for a platform service's namespace under default-deny.

    Its pods talk to each other; egress goes only to DNS for cluster names and the listed
    ones, optionally the Kubernetes API (controllers), and the listed names over HTTPS.
    Entities reach particular pods only through an ``opening``; ``dns_servers`` are name
    servers it may query directly (DNS-01 checks);
    ``lookups`` are further names it may resolve (``extra_egress`` then says where to).
    """
    egress: list[dict[str, Any]] = [{"toEndpoints": [{}]}, dns_egress_rule([*egress_fqdns, *dns_servers, *lookups])]
    if api_server:
        egress.append({"toEntities": ["kube-apiserver"]})
    egress += egress_to_names(egress_fqdns) + egress_to_names(dns_servers, 53, udp=True) + [dict(e) for e in extra_egress]
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": f"{service}-allow", "namespace": namespace, "labels": {"k8tre.io/policy": "service"}},
        "spec": {
            "description": f"{service}: only the traffic it needs",
            "endpointSelector": {},
            "ingress": [{"fromEndpoints": [{}]}],
            "egress": egress,
        },
    }


def cluster_flows(context: FlowContext) -> list[Expect]:
    """What every policed pod needs (DNS for cluster names) and must never do (metadata, DNS out, raw internet)."""
    every = PodsOf(None, {}, "every pod")
    return [
        allow(every, DnsLookup("kube-dns.kube-system.svc.cluster.local"), 53, "service discovery", protocol="UDP"),
        deny(every, DnsLookup(EXFILTRATION_NAME), 53, "DNS is no channel out", protocol="UDP"),
        deny(every, METADATA_SERVICE, 80, "cloud credentials stay out of reach"),
        deny(every, WORLD_ADDRESS, 443, "no raw internet: names on an allowlist only"),
    ]
