"""The ClusterIssuers: the internal CA chain for in-cluster TLS, and the default issuer with a solver per cloud.

Pure builders of cert-manager objects; :class:`~k8tre.agnostics.cert_manager.CertManager` creates them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from ..config.layers import CertManagerSettings
from ..infrastructure import AzureDnsZone, DnsZoneFact, Rfc2136Server, Route53Zone
from .catalogue import Render, kinds

ACME_SERVERS = {
    "letsencrypt": "https://acme-v02.api.letsencrypt.org/directory",
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
}
"""The ACME directories of the issuers the config offers."""
INTERNAL_CA_ISSUER = "k8tre-internal-ca"
"""The CA ClusterIssuer that signs in-cluster TLS (Argo CD's backend, webhooks, databases)."""
ROOT_ISSUER = "k8tre-internal-root"
"""The self-signed ClusterIssuer that signs the internal CA's own certificate, and nothing else."""
INTERNAL_CA_SECRET = "k8tre-internal-ca"  # noqa: S105 - the Secret's name
"""Secret holding the internal CA's key pair, in cert-manager's namespace (a CA ClusterIssuer reads it there:
the cluster resource namespace, https://cert-manager.io/docs/configuration/ca/)."""
TSIG_SECRET = "k8tre-rfc2136-tsig"  # noqa: S105 - the Secret's name, not a password
"""Secret holding the RFC2136 TSIG key's secret, in the namespace of the service that signs updates with it."""
TSIG_SECRET_KEY = "secret"  # noqa: S105 - a key name
"""Its one key."""
GATEWAY_NAME = "k8tre"
"""The shared Gateway that HTTP-01 challenges are answered through."""
GATEWAY_NAMESPACE = "gateway-system"
DNS01_CHECK_RESOLVER = "https://cloudflare-dns.com/dns-query"
"""Where cert-manager checks its DNS-01 TXT records: a public resolver over DNS-over-HTTPS.

The environment's domain is split horizon: inside the network a private zone of the same name answers
(external-dns's), so the cluster's resolver never sees the public zone's ``_acme-challenge`` records.
cert-manager's self-check therefore asks a public resolver, and only it (``dns01RecursiveNameserversOnly``),
over HTTPS so one FQDN on 443 is the whole egress (cert-manager docs, "Setting nameservers for DNS01 self
check", https://cert-manager.io/docs/configuration/acme/dns01/#setting-nameservers-for-dns01-self-check;
a network rule could not name the zone's name servers by wildcard:
https://learn.microsoft.com/azure/firewall/fqdn-filtering-network-rules)."""
DNS01_CHECK_HOST = DNS01_CHECK_RESOLVER.split("/")[2]
CA_DURATION = "87600h"
"""The internal CA's lifetime (10 years): leaves are short-lived and renewed by cert-manager; rotating the CA
means every client's trust bundle changes, so it is rare and planned (docs/agnostics.md)."""
CA_RENEW_BEFORE = "8760h"
"""Renewed a year before expiry, so a failed renewal is noticed long before anything stops working."""


def internal_ca_certificate(namespace: str, slug: str) -> dict[str, Any]:
    """The internal CA's Certificate: ECDSA P-384, ``isCA``, long-lived, signed by the self-signed root issuer."""
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": INTERNAL_CA_SECRET, "namespace": namespace},
        "spec": {
            "isCA": True,
            "commonName": f"K8TRE {slug} internal CA",
            "secretName": INTERNAL_CA_SECRET,
            "duration": CA_DURATION,
            "renewBefore": CA_RENEW_BEFORE,
            # A new key at each renewal: the old one never outlives its certificate.
            "privateKey": {"algorithm": "ECDSA", "size": 384, "rotationPolicy": "Always"},
            "usages": ["cert sign", "crl sign", "digital signature"],
            "issuerRef": {"name": ROOT_ISSUER, "kind": "ClusterIssuer", "group": "cert-manager.io"},
        },
    }


def internal_ca_issuer_spec() -> dict[str, Any]:
    """The CA ClusterIssuer's spec: it signs with the key pair the CA Certificate wrote."""
    return {"ca": {"secretName": INTERNAL_CA_SECRET}}


def dns01_solver(zone: DnsZoneFact) -> dict[str, Any]:
    """cert-manager's DNS-01 solver for the public zone, authenticated without a stored key where the cloud allows."""
    match zone:
        case AzureDnsZone():
            # Workload identity: the service account's federated token becomes the managed identity's
            # (https://cert-manager.io/docs/configuration/acme/dns01/azuredns/).
            return {
                "azureDNS": {
                    "subscriptionID": zone.subscription_id,
                    "resourceGroupName": zone.resource_group,
                    "hostedZoneName": zone.zone,
                    "environment": "AzurePublicCloud",
                    "managedIdentity": {"clientID": zone.client_id},
                }
            }
        case Route53Zone():
            # No keys: the SDK's ambient chain finds EKS Pod Identity's credentials, which a ClusterIssuer may use
            # (https://cert-manager.io/docs/configuration/acme/dns01/route53/).
            return {"route53": {"region": zone.region, "hostedZoneID": zone.zone_id}}
        case Rfc2136Server():
            return {
                "rfc2136": {
                    "nameserver": f"{zone.address}:{zone.port}",
                    "tsigKeyName": zone.tsig_key_name,
                    # cert-manager names the algorithms HMACSHA256 / HMACSHA512.
                    "tsigAlgorithm": zone.tsig_algorithm.replace("-", "").upper(),
                    "tsigSecretSecretRef": {"name": TSIG_SECRET, "key": TSIG_SECRET_KEY},
                }
            }


def cluster_issuer_spec(
    settings: CertManagerSettings, domain: str = "", dns01: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The default ClusterIssuer's spec: self-signed for dev; ACME otherwise, DNS-01 where the platform has a zone.

    DNS-01 is what makes the Gateway's wildcard certificate issuable; HTTP-01 through the Gateway remains for
    names outside the environment's zone (and is the only solver where the platform has none).
    """
    if settings.issuer == "selfsigned":
        return {"selfSigned": {}}
    solvers: list[dict[str, Any]] = []
    if dns01 is not None:
        solvers.append({"selector": {"dnsZones": [domain]}, "dns01": dict(dns01)})
    parent = {"name": GATEWAY_NAME, "namespace": GATEWAY_NAMESPACE, "kind": "Gateway"}
    solvers.append({"http01": {"gatewayHTTPRoute": {"parentRefs": [parent]}}})
    return {
        "acme": {
            "email": settings.acme_email,
            "server": ACME_SERVERS[settings.issuer],
            "privateKeySecretRef": {"name": f"{settings.issuer}-account-key"},
            "solvers": solvers,
        }
    }


def zone_egress(zone: DnsZoneFact | None) -> tuple[list[str], list[dict[str, Any]]]:
    """(HTTPS names, further egress rules) a writer of ``zone`` needs: the cloud's API, or the RFC2136 server."""
    match zone:
        case AzureDnsZone() | Route53Zone():
            return list(zone.endpoints), []
        case Rfc2136Server():
            ports = [{"port": str(zone.port), "protocol": protocol} for protocol in ("UDP", "TCP")]
            return [], [{"toCIDR": [f"{zone.address}/32"], "toPorts": [{"ports": ports}]}]
        case _:
            return [], []


def pod_identity_egress(agent: str | None) -> list[dict[str, Any]]:
    """Egress to the node-local credential agent (EKS Pod Identity answers on port 80 of a link-local address)."""
    if agent is None:
        return []
    return [{"toCIDR": [f"{agent}/32"], "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}]}]}]


def tsig_secret_data(zone: DnsZoneFact | None) -> pulumi.Output[str] | None:
    """The TSIG secret (a Pulumi secret) when the zone is written by RFC2136, else None."""
    return zone.tsig_secret if isinstance(zone, Rfc2136Server) else None


def issuer_variant(render: Render) -> str:
    """The ClusterIssuers' kinds and, for ACME, their solvers, as rendered."""
    described = []
    for issuer in kinds(render, "ClusterIssuer"):
        spec = issuer.get("spec") or {}
        acme = spec.get("acme")
        if acme is None:
            described.append(f"{issuer['metadata']['name']}: {', '.join(sorted(spec))}")
            continue
        solvers = sorted(
            {
                f"{key}{'/' + next(iter(solver[key]), '') if key == 'dns01' else ''}"
                for solver in acme.get("solvers") or []
                for key in solver
                if key != "selector"
            }
        )
        described.append(f"{issuer['metadata']['name']}: ACME ({', '.join(solvers)})")
    # Sorted: independent resources register in no fixed order, and the page must not churn.
    return "; ".join(sorted(described))


SOLVER_ENDPOINTS = {
    "azureDNS": (("management.azure.com", 443), ("login.microsoftonline.com", 443)),
    "route53": (("route53.amazonaws.com", 443),),
}
"""Where each cloud solver writes: declared here for the flow matrix, independently of the platform's facts."""


def solver_targets(issuers: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, int], ...]:
    """(FQDN or IP, port) the rendered ACME issuers' DNS-01 solvers write to."""
    targets: list[tuple[str, int]] = []
    for issuer in issuers:
        for solver in ((issuer.get("spec") or {}).get("acme") or {}).get("solvers") or []:
            for kind, spec in (solver.get("dns01") or {}).items():
                if kind == "rfc2136":
                    host, _, port = str(spec["nameserver"]).rpartition(":")
                    targets.append((host, int(port)))
                targets += SOLVER_ENDPOINTS.get(kind, ())
    return tuple(dict.fromkeys(targets))
