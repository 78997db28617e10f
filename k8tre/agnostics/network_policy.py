"""Network policy as data: the cluster-wide default-deny and the per-project isolation policy.

Each builder returns a plain Cilium object. The rules are deliberately minimal:
anything not listed here is dropped (SATRE 2.2.10, 2.2.11, 2.1.08, 2.1.14).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

NAMESPACE_LABEL: Final = "k8s:io.kubernetes.pod.namespace"

SYSTEM_NAMESPACES: Final[Mapping[str, str]] = {
    "kube-system": "control-plane add-ons and Cilium itself; default-deny here would cut the cluster's own networking",
    "kube-public": "holds only the public cluster-info ConfigMap; no pods run here",
    "kube-node-lease": "holds only node heartbeat Leases; no pods run here",
    "cilium-secrets": "Cilium's copy of Gateway TLS secrets; no pods run here",
    "gateway-system": "holds the shared Gateway, its certificate and redirect route; Envoy runs in Cilium's agent",
}
"""Namespaces outside the default-deny, each with the reason it is exempt."""

KUBE_DNS: Final = {"matchLabels": {NAMESPACE_LABEL: "kube-system", "k8s:k8s-app": "kube-dns"}}


def dns_egress_rule() -> dict[str, Any]:
    """Allow DNS to kube-dns only, through Cilium's DNS proxy so that FQDN rules can work."""
    return {
        "toEndpoints": [KUBE_DNS],
        "toPorts": [
            {
                "ports": [{"port": "53", "protocol": "UDP"}, {"port": "53", "protocol": "TCP"}],
                "rules": {"dns": [{"matchPattern": "*"}]},
            }
        ],
    }


def default_deny_policy(exempt: Mapping[str, str] = SYSTEM_NAMESPACES) -> dict[str, Any]:
    """A CiliumClusterwideNetworkPolicy denying all traffic to and from every non-exempt namespace.

    The only allows: DNS lookups, and traffic from the Cilium Gateway (entity
    ``ingress``), which reaches a pod only where an HTTPRoute sends it.
    """
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumClusterwideNetworkPolicy",
        "metadata": {"name": "k8tre-default-deny", "labels": {"k8tre.io/policy": "default-deny"}},
        "spec": {
            "description": "K8TRE default deny: no traffic unless a policy allows it (SATRE 2.2.10, 2.2.11)",
            "endpointSelector": {"matchExpressions": [{"key": NAMESPACE_LABEL, "operator": "NotIn", "values": sorted(exempt)}]},
            "enableDefaultDeny": {"ingress": True, "egress": True},
            "ingress": [{"fromEntities": ["ingress"]}],
            "egress": [dns_egress_rule()],
        },
    }


def project_isolation_policy(namespace: str, project: str, egress_fqdns: Sequence[str]) -> dict[str, Any]:
    """A CiliumNetworkPolicy for one project: members talk to each other, never to another project.

    Internet egress is allowed only to the project's FQDN allowlist on HTTPS
    (SATRE 2.2.11); an empty list means no internet at all.
    """
    egress = namespace_egress(egress_fqdns)
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {
            "name": "project-isolation",
            "namespace": namespace,
            "labels": {"k8tre.io/policy": "project-isolation", "k8tre.io/project": project},
        },
        "spec": {
            "description": f"Project {project}: members reach each other and the gateway reaches them; nothing else",
            # In a namespaced policy an empty selector means every pod in this namespace, and only those.
            "endpointSelector": {},
            "enableDefaultDeny": {"ingress": True, "egress": True},
            "ingress": [{"fromEndpoints": [{}]}, {"fromEntities": ["ingress"]}],
            "egress": egress,
        },
    }


def namespace_egress(egress_fqdns: Sequence[str], *, api_server: bool = False) -> list[dict[str, Any]]:
    """Egress for one namespace: its own pods, DNS, optionally the API server, and HTTPS to the listed names."""
    egress: list[dict[str, Any]] = [{"toEndpoints": [{}]}, dns_egress_rule()]
    if api_server:
        egress.append({"toEntities": ["kube-apiserver"]})
    if egress_fqdns:
        egress.append(
            {
                "toFQDNs": [_fqdn_selector(name) for name in egress_fqdns],
                "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}],
            }
        )
    return egress


def _fqdn_selector(name: str) -> dict[str, str]:
    return {"matchPattern": name} if "*" in name else {"matchName": name}


def covered_by_default_deny(policy: Mapping[str, Any], namespace: str) -> bool:
    """Whether a rendered default-deny policy's selector selects pods in ``namespace``."""
    spec = policy["spec"]
    if spec.get("enableDefaultDeny") != {"ingress": True, "egress": True}:
        return False
    selector = spec.get("endpointSelector", {})
    if selector.get("matchLabels"):
        return False  # a label-selected policy does not cover a namespace as a whole
    for expression in selector.get("matchExpressions", []):
        if expression["key"] != NAMESPACE_LABEL:
            return False
        values = expression.get("values", [])
        if expression["operator"] == "NotIn" and namespace in values:
            return False
        if expression["operator"] == "In" and namespace not in values:
            return False
    return True


def service_policy(
    namespace: str,
    service: str,
    *,
    egress_fqdns: Sequence[str] = (),
    api_server: bool = False,
    webhook: bool = False,
    dns_servers: Sequence[str] = (),
) -> dict[str, Any]:
    """A CiliumNetworkPolicy for a service's namespace under default-deny.

    Pods of the service talk to each other; the Gateway reaches them; egress goes
    only to DNS, optionally the Kubernetes API (for controllers), and the listed
    names over HTTPS. ``webhook`` lets the API server call the service's admission
    webhook; ``dns_servers`` are name servers it may query directly (DNS-01 checks).
    """
    egress = namespace_egress(egress_fqdns, api_server=api_server)
    if dns_servers:
        egress.append(
            {
                "toFQDNs": [_fqdn_selector(name) for name in dns_servers],
                "toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}, {"port": "53", "protocol": "TCP"}]}],
            }
        )
    ingress: list[dict[str, Any]] = [{"fromEndpoints": [{}]}, {"fromEntities": ["ingress"]}]
    if webhook:
        ingress.append({"fromEntities": ["kube-apiserver"]})
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": f"{service}-allow", "namespace": namespace, "labels": {"k8tre.io/policy": "service"}},
        "spec": {
            "description": f"{service}: only the traffic it needs",
            "endpointSelector": {},
            "ingress": ingress,
            "egress": egress,
        },
    }
