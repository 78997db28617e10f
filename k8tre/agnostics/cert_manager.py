"""cert-manager and the cluster-wide issuer every TLS certificate comes from."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..config.layers import CertManagerSettings
from ..flows.expect import Expect, FlowContext, PodsOf, allow, deny
from ..flows.model import Address, Entity, Fqdn
from ..helm import helm_release
from ..infrastructure import Cluster, WorkloadIdentity
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from ..versions import ChartPin
from .catalogue import ServiceEntry
from .issuers import (
    ACME_SERVERS,
    DNS01_CHECK_HOST,
    DNS01_CHECK_RESOLVER,
    GATEWAY_NAME,
    GATEWAY_NAMESPACE,
    INTERNAL_CA_ISSUER,
    ROOT_ISSUER,
    TSIG_SECRET,
    TSIG_SECRET_KEY,
    cluster_issuer_spec,
    dns01_solver,
    internal_ca_certificate,
    internal_ca_issuer_spec,
    issuer_variant,
    pod_identity_egress,
    tsig_secret_data,
    zone_egress,
)
from .network_policy import opening, service_policy

__all__ = ["ACME_HOSTS", "GATEWAY_NAME", "GATEWAY_NAMESPACE", "INTERNAL_CA_ISSUER", "CertManager", "cluster_issuer_spec"]

NAMESPACE = "cert-manager"
ACME_HOSTS = tuple(url.split("/")[2] for url in ACME_SERVERS.values())
"""Host names of the ACME CAs the issuers use."""
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
    if context.acme and context.dns01:
        flows.append(allow(controller, Fqdn(DNS01_CHECK_HOST), 443, "DNS-01 self-check through a public resolver (DoH)"))
        for target, port in context.dns01:
            where = Address(target) if target[:1].isdigit() else Fqdn(target)
            flows.append(allow(controller, where, port, "writes DNS-01 answers in the public zone"))
    return flows


ENTRY = ServiceEntry(
    name="cert-manager",
    gives="TLS certificates: the default issuer (the Gateway's wildcard certificate first) and the internal CA "
    f"`{INTERNAL_CA_ISSUER}` for in-cluster TLS",
    charts=("cert-manager",),
    flows="API server both ways (webhook); ACME CA on 443; DNS-01 to the cloud's DNS API or the RFC2136 server, "
    "self-check by DoH; HTTP-01 self-check through the Gateway",
    variant=issuer_variant,
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

    With a DNS-01 solver, cert-manager checks its TXT record through a public resolver over HTTPS only
    (``issuers.DNS01_CHECK_RESOLVER``), never the cluster's resolver (which sees the private zone of
    the same name) nor the zone's name servers on port 53 (which an Azure Firewall network rule could
    name only by wildcard, which it refuses).
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
        values["dns01RecursiveNameservers"] = DNS01_CHECK_RESOLVER
        values["dns01RecursiveNameserversOnly"] = True
    if identity is not None:
        # DNS-01 answers are written to the cloud DNS zone as the service's own identity: no stored key.
        values["podLabels"] = dict(identity.pod_labels)
        values["serviceAccount"] = {
            "annotations": dict(identity.service_account_annotations),
            "labels": dict(identity.pod_labels),
        }
    return values


class CertManager(pulumi.ComponentResource):
    """The cert-manager release, the default ClusterIssuer and the internal CA chain."""

    issuer_name: str
    """Name of the ClusterIssuer applications request publicly trusted certificates from."""
    internal_issuer_name: str
    """Name of the CA ClusterIssuer for in-cluster TLS (``k8tre-internal-ca``)."""

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
        facts = cluster.platform
        # DNS-01 only where the issuer is ACME and the platform has a public zone to answer in.
        zone = facts.public_dns if settings.issuer != "selfsigned" else None
        namespace = platform_namespace(f"{name}-ns", NAMESPACE, cluster, self, layer="agnostics")
        self.release = helm_release(
            f"{name}-release",
            release_name="cert-manager",
            pin=pin,
            namespace=namespace.metadata.name,
            values=cert_manager_values(stage, facts.workload_identities.get("cert-manager"), zone is not None),
            opts=cluster.opts(self),
        )
        # Under default-deny: the API server (and its calls to the webhook), the ACME CA, for DNS-01 the
        # zone's API (or RFC2136 server), the credential agent and the DoH resolver, for HTTP-01 the self-check.
        zone_names, zone_rules = zone_egress(zone)
        check = [DNS01_CHECK_HOST] if zone is not None else []
        policy = service_policy(
            NAMESPACE,
            "cert-manager",
            egress_fqdns=[*ACME_HOSTS, *zone_names, *check],
            api_server=True,
            dns_servers=facts.dns_server_fqdns,
            extra_egress=[HTTP01_SELF_CHECK, *zone_rules, *(pod_identity_egress(facts.pod_identity_agent) if zone else [])],
            lookups=[stage.domain, f"*.{stage.domain}"],
        )
        custom_object(f"{name}-policy", policy, cluster, self, depends_on=[namespace])
        why = "the API server calls the webhook"
        webhook = opening(NAMESPACE, "cert-manager-webhook", WEBHOOK_LABELS, "kube-apiserver", WEBHOOK_PORT, why)
        custom_object(f"{name}-webhook-policy", webhook, cluster, self, depends_on=[namespace])
        after: list[pulumi.Resource] = [self.release]
        tsig = tsig_secret_data(zone)
        if tsig is not None:
            after.append(self._tsig_secret(name, cluster, namespace, tsig))
        self.issuer_name = settings.issuer
        self.issuer = k8s.apiextensions.CustomResource(
            f"{name}-issuer",
            api_version="cert-manager.io/v1",
            kind="ClusterIssuer",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=self.issuer_name),
            spec=cluster_issuer_spec(settings, stage.domain, dns01_solver(zone) if zone is not None else None),
            # The ClusterIssuer kind exists only once the chart has installed its CRDs.
            opts=cluster.opts(self, depends_on=after),
        )
        self.internal_issuer_name = INTERNAL_CA_ISSUER
        self.internal_issuer = self._internal_ca(name, cluster, stage)
        self.register_outputs({"issuer": self.issuer_name, "internalIssuer": self.internal_issuer_name})

    def _internal_ca(self, name: str, cluster: Cluster, stage: Stage) -> k8s.apiextensions.CustomResource:
        """Self-signed root issuer -> the CA's Certificate -> the CA issuer: each needs the one before it."""
        root = k8s.apiextensions.CustomResource(
            f"{name}-root-issuer",
            api_version="cert-manager.io/v1",
            kind="ClusterIssuer",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ROOT_ISSUER),
            spec={"selfSigned": {}},
            opts=cluster.opts(self, depends_on=[self.release]),
        )
        ca = custom_object(f"{name}-internal-ca", internal_ca_certificate(NAMESPACE, stage.slug), cluster, self, [root])
        return k8s.apiextensions.CustomResource(
            f"{name}-internal-issuer",
            api_version="cert-manager.io/v1",
            kind="ClusterIssuer",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=INTERNAL_CA_ISSUER),
            spec=internal_ca_issuer_spec(),
            opts=cluster.opts(self, depends_on=[ca]),
        )

    def _tsig_secret(
        self, name: str, cluster: Cluster, namespace: k8s.core.v1.Namespace, secret: pulumi.Output[str]
    ) -> k8s.core.v1.Secret:
        """The TSIG key's secret for the RFC2136 solver, from the stack's Pulumi secret (never in plain text)."""
        return k8s.core.v1.Secret(
            f"{name}-tsig",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=TSIG_SECRET, namespace=namespace.metadata.name),
            string_data={TSIG_SECRET_KEY: secret},
            opts=cluster.opts(self, depends_on=[namespace]),
        )
