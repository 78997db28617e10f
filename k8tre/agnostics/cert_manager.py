"""cert-manager and the cluster-wide issuer every TLS certificate comes from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..config.layers import CertManagerSettings
from ..flows.expect import Expect, FlowContext, PodsOf, allow, deny
from ..flows.model import Entity, Fqdn
from ..helm import helm_release
from ..infrastructure import Cluster, WorkloadIdentity
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from ..versions import ChartPin
from .catalogue import Render, ServiceEntry, kinds
from .network_policy import opening, service_policy

NAMESPACE = "cert-manager"
_ACME_SERVERS = {
    "letsencrypt": "https://acme-v02.api.letsencrypt.org/directory",
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
}
ACME_HOSTS = tuple(url.split("/")[2] for url in _ACME_SERVERS.values())
"""Host names of the ACME CAs the issuers use."""
GATEWAY_NAME = "k8tre"
"""The shared Gateway that HTTP-01 challenges are answered through."""
GATEWAY_NAMESPACE = "gateway-system"
WEBHOOK_LABELS = {"app.kubernetes.io/name": "webhook", "app.kubernetes.io/component": "webhook"}
"""The webhook pod's labels (cert-manager chart, ``templates/webhook-deployment.yaml``)."""
WEBHOOK_PORT = 10250
"""The webhook's ``https`` container port (chart value ``webhook.securePort``)."""
HTTP01_SELF_CHECK = {"toEntities": ["ingress"], "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}]}]}
"""Before asking the CA, cert-manager fetches its own HTTP-01 token from the name being certified, which
lands on the Gateway's Envoy (entity ``ingress``; cert-manager docs, "HTTP01" and "Troubleshooting ACME")."""


def cert_manager_flows(context: FlowContext) -> list[Expect]:
    """cert-manager's needs: the API server both ways, the ACME CA, and its HTTP-01 self-check."""
    controller = PodsOf(NAMESPACE, {"app.kubernetes.io/name": "cert-manager"}, "cert-manager")
    webhook = PodsOf(NAMESPACE, WEBHOOK_LABELS, "cert-manager webhook")
    flows = [
        allow(controller, Entity("kube-apiserver"), 443, "a controller watches and writes its resources"),
        allow(Entity("kube-apiserver"), webhook, WEBHOOK_PORT, "the API server calls the admission webhook"),
        deny(Entity("ingress"), webhook, WEBHOOK_PORT, "the webhook is not published"),
    ]
    if context.acme:
        flows += [allow(controller, Fqdn(host), 443, "the ACME CA issues certificates") for host in ACME_HOSTS]
        flows.append(allow(controller, Entity("ingress"), 80, "HTTP-01 self-check through the Gateway"))
    return flows


def _issuer_variant(render: Render) -> str:
    """The ClusterIssuers' kinds and, for ACME, their solvers, as rendered."""
    described = []
    for issuer in kinds(render, "ClusterIssuer"):
        spec = issuer.get("spec") or {}
        acme = spec.get("acme")
        if acme is None:
            described.append(f"{issuer['metadata']['name']}: {', '.join(sorted(spec))}")
            continue
        solvers = sorted({key for solver in acme.get("solvers") or [] for key in solver if key != "selector"})
        described.append(f"{issuer['metadata']['name']}: ACME ({', '.join(solvers)})")
    return "; ".join(described)


ENTRY = ServiceEntry(
    name="cert-manager",
    gives="TLS certificates from a cluster-wide issuer (the Gateway's wildcard certificate first)",
    charts=("cert-manager",),
    flows="API server both ways (webhook); ACME CA on 443; HTTP-01 self-check through the Gateway",
    variant=_issuer_variant,
)


FREE_FORM_VALUES = ("securityContext", "webhook.securityContext", "cainjector.securityContext", "startupapicheck.securityContext")
"""Chart value maps that are Kubernetes PodSecurityContext objects, passed through with toYaml
(templates/deployment.yaml and the other components' templates): their keys are Kubernetes fields,
not chart keys, and are checked strictly where they land (the rendered pods' schema validation)."""
RUN_AS_USER = 65532
"""The uid every cert-manager container runs as: distroless's ``nonroot`` user, above checkov's
10000 floor (CKV_K8S_40). The images are static Go binaries on a distroless base that write
nothing to their root filesystem (the chart mounts it read-only), so any non-root uid works."""
_RESOURCES = {
    # Starting points for a TRE-sized cluster (tens of certificates); the controller and cainjector
    # cache Certificates and Secrets, so their memory grows with the cluster (cert-manager docs,
    # "Best Practice": set requests and limits; https://cert-manager.io/docs/installation/best-practice/).
    "controller": ({"cpu": "20m", "memory": "96Mi"}, {"cpu": "500m", "memory": "512Mi"}),
    "cainjector": ({"cpu": "10m", "memory": "96Mi"}, {"cpu": "250m", "memory": "512Mi"}),
    "webhook": ({"cpu": "10m", "memory": "32Mi"}, {"cpu": "250m", "memory": "128Mi"}),
    "startupapicheck": ({"cpu": "10m", "memory": "32Mi"}, {"cpu": "100m", "memory": "64Mi"}),
}


def _hardening(component: str) -> dict[str, Any]:
    """One component's resources, uid and pull policy.

    Chart values ``resources``, ``securityContext`` and ``image.pullPolicy``: at the top level for the
    controller, under ``webhook``, ``cainjector`` and ``startupapicheck`` for the others. The chart's
    defaults already give runAsNonRoot, RuntimeDefault seccomp, no privilege escalation, drop ALL and a
    read-only root, and Helm merges these maps into them.

    ``Always`` makes the kubelet ask the registry (with the pod's pull credentials) before it uses a
    cached copy of the tag (Kubernetes docs, "Images", image pull policy; checkov CKV_K8S_15).
    """
    requests, limits = _RESOURCES[component]
    return {
        "resources": {"requests": requests, "limits": limits},
        "securityContext": {"runAsUser": RUN_AS_USER, "runAsGroup": RUN_AS_USER},
        "image": {"pullPolicy": "Always"},
    }


def cert_manager_values(stage: Stage, identity: WorkloadIdentity | None = None, dns01: bool = False) -> dict[str, Any]:
    """Chart values: CRDs kept on uninstall, replicas by environment, the cloud identity for DNS-01.

    With a DNS-01 solver, cert-manager checks its TXT record through the cluster's own
    resolver only (``dns01RecursiveNameserversOnly``), instead of dialling the zone's
    authoritative servers on port 53: behind an egress firewall those are unreachable,
    and Azure Firewall cannot allow them by wildcard name in a network rule
    (https://learn.microsoft.com/azure/firewall/fqdn-filtering-network-rules). The check
    may wait for resolver caches (https://cert-manager.io/docs/configuration/acme/dns01/).
    """
    replicas = 1 if stage.environment == "dev" else 2
    values: dict[str, Any] = {
        "crds": {"enabled": True, "keep": True},
        "replicaCount": replicas,
        **_hardening("controller"),
        "webhook": {"replicaCount": replicas, **_hardening("webhook")},
        "cainjector": {"replicaCount": replicas, **_hardening("cainjector")},
        "startupapicheck": _hardening("startupapicheck"),
        "podDisruptionBudget": {"enabled": replicas > 1},
        "config": {
            "apiVersion": "controller.config.cert-manager.io/v1alpha1",
            "kind": "ControllerConfiguration",
            "enableGatewayAPI": True,
        },
    }
    if dns01:
        values["dns01RecursiveNameserversOnly"] = True
    if identity is not None:
        # DNS-01 answers are written to the cloud DNS zone as the service's own identity: no stored key.
        values["podLabels"] = dict(identity.pod_labels)
        values["serviceAccount"] = {
            "annotations": dict(identity.service_account_annotations),
            "labels": dict(identity.pod_labels),
        }
    return values


def cluster_issuer_spec(
    settings: CertManagerSettings, domain: str = "", dns01: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The ClusterIssuer spec: self-signed for dev; ACME otherwise, DNS-01 where the cloud's DNS allows it.

    DNS-01 is what makes the Gateway's wildcard certificate issuable; HTTP-01 through
    the Gateway remains for names outside the environment's zone.
    """
    if settings.issuer == "selfsigned":
        return {"selfSigned": {}}
    solvers: list[dict[str, Any]] = []
    if dns01 is not None:
        solvers.append({"selector": {"dnsZones": [domain]}, "dns01": dict(dns01)})
    solvers.append(
        {
            "http01": {
                "gatewayHTTPRoute": {"parentRefs": [{"name": GATEWAY_NAME, "namespace": GATEWAY_NAMESPACE, "kind": "Gateway"}]}
            }
        }
    )
    return {
        "acme": {
            "email": settings.acme_email,
            "server": _ACME_SERVERS[settings.issuer],
            "privateKeySecretRef": {"name": f"{settings.issuer}-account-key"},
            "solvers": solvers,
        }
    }


class CertManager(pulumi.ComponentResource):
    """The cert-manager release and the default ClusterIssuer."""

    issuer_name: str
    """Name of the ClusterIssuer applications request certificates from."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        pin: ChartPin,
        settings: CertManagerSettings,
        stage: Stage,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:agnostics:CertManager", name, None, opts)
        namespace = platform_namespace(f"{name}-ns", NAMESPACE, cluster, self, layer="agnostics")
        self.release = helm_release(
            f"{name}-release",
            release_name="cert-manager",
            pin=pin,
            namespace=namespace.metadata.name,
            values=cert_manager_values(
                stage, cluster.platform.workload_identities.get("cert-manager"), cluster.platform.dns01_solver is not None
            ),
            opts=cluster.opts(self),
        )
        # Under default-deny: the API server (and its calls to the webhook), the ACME CA, for DNS-01 the
        # cloud's APIs and name servers, and for HTTP-01 the self-check through the Gateway.
        policy = service_policy(
            NAMESPACE,
            "cert-manager",
            egress_fqdns=[*ACME_HOSTS, *cluster.platform.cloud_api_fqdns],
            api_server=True,
            dns_servers=cluster.platform.dns_server_fqdns,
            extra_egress=[HTTP01_SELF_CHECK],
            lookups=[stage.domain, f"*.{stage.domain}"],
        )
        custom_object(f"{name}-policy", policy, cluster, self, depends_on=[namespace])
        why = "the API server calls the webhook"
        webhook = opening(NAMESPACE, "cert-manager-webhook", WEBHOOK_LABELS, "kube-apiserver", WEBHOOK_PORT, why)
        custom_object(f"{name}-webhook-policy", webhook, cluster, self, depends_on=[namespace])
        self.issuer_name = settings.issuer
        self.issuer = k8s.apiextensions.CustomResource(
            f"{name}-issuer",
            api_version="cert-manager.io/v1",
            kind="ClusterIssuer",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=self.issuer_name),
            spec=cluster_issuer_spec(settings, stage.domain, cluster.platform.dns01_solver),
            # The ClusterIssuer kind exists only once the chart has installed its CRDs.
            opts=cluster.opts(self, depends_on=[self.release]),
        )
        self.register_outputs({"issuer": self.issuer_name})
