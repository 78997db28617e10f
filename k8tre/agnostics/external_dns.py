"""external-dns: publishes the Gateway's routes in the environment's private zone, owning only its TXT-marked records.

Where it writes comes from a fact (``Cluster.platform.private_dns``): an Azure private DNS zone (workload
identity, Private DNS Zone Contributor on that zone alone), a Route 53 private hosted zone (EKS Pod
Identity, a role on that zone alone), or the site's DNS server by RFC 2136 (TSIG). Without one
(K3s with no ``cluster.rfc2136``) it is not installed.

``policy: sync`` rather than ``upsert-only``: when a route goes, its name goes too, so a retired
project's name stops resolving to the Gateway. It can delete only records whose TXT ownership record
carries this environment's ``txtOwnerId`` (registry ``txt``): records anyone else made are never touched
(external-dns FAQ, "Are other resources in the zone affected?":
https://kubernetes-sigs.github.io/external-dns/latest/docs/faq/).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..flows.expect import Expect, FlowContext, PodsOf, allow, deny
from ..flows.model import Address, Entity, Fqdn
from ..helm import helm_release
from ..infrastructure import AzureDnsZone, Cluster, DnsZoneFact, Rfc2136Server, Route53Zone, WorkloadIdentity
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from ..versions import ChartPin
from .catalogue import Render, ServiceEntry, releases
from .issuers import TSIG_SECRET, TSIG_SECRET_KEY, pod_identity_egress, zone_egress
from .network_policy import service_policy

NAMESPACE = "external-dns"
LABELS = {"app.kubernetes.io/name": "external-dns"}
"""The controller pod's labels (chart ``templates/_helpers.tpl``, selectorLabels)."""
SOURCES = ("gateway-httproute",)
"""Only Gateway API HTTPRoutes: every published service goes through the shared Gateway (``publish()``)."""
PROVIDERS = {AzureDnsZone: "azure-private-dns", Route53Zone: "aws", Rfc2136Server: "rfc2136"}
"""external-dns's provider name per kind of zone fact."""
RESOURCES = {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}}
"""One controller watching routes and a zone of tens of records: small, bounded."""


def owner_id(stage: Stage) -> str:
    """The TXT owner ID: one per environment, so two environments sharing a zone never delete each other's names."""
    return stage.slug


def _provider_values(zone: DnsZoneFact) -> dict[str, Any]:
    """Provider name, flags, environment and files for one zone fact."""
    match zone:
        case AzureDnsZone():
            # azure.json without a secret: workload identity supplies the token
            # (https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/azure-private-dns/).
            config = pulumi.Output.all(zone.tenant_id, zone.subscription_id, zone.resource_group).apply(
                lambda parts: json.dumps(
                    {
                        "tenantId": parts[0],
                        "subscriptionId": parts[1],
                        "resourceGroup": parts[2],
                        "useWorkloadIdentityExtension": True,
                    }
                )
            )
            return {
                "provider": {"name": "azure-private-dns"},
                "secretConfiguration": {
                    "enabled": True,
                    "mountPath": "/etc/kubernetes/",
                    "data": {"azure.json": config},
                },
            }
        case Route53Zone():
            # Private zones only, and this one: the public zone of the same name is cert-manager's.
            return {
                "provider": {"name": "aws"},
                "extraArgs": {"aws-zone-type": "private", "zone-id-filter": zone.zone_id},
                "env": [{"name": "AWS_DEFAULT_REGION", "value": zone.region}],
            }
        case Rfc2136Server():
            # Flags from the RFC2136 tutorial (https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/rfc2136/);
            # the zone is listed by AXFR, signed with the same key.
            return {
                "provider": {"name": "rfc2136"},
                "extraArgs": {
                    "rfc2136-host": zone.address,
                    "rfc2136-port": str(zone.port),
                    "rfc2136-zone": zone.zone,
                    "rfc2136-tsig-keyname": zone.tsig_key_name,
                    "rfc2136-tsig-secret-alg": zone.tsig_algorithm,
                    "rfc2136-tsig-axfr": "true",
                },
                "env": [
                    {
                        "name": "EXTERNAL_DNS_RFC2136_TSIG_SECRET",
                        "valueFrom": {"secretKeyRef": {"name": TSIG_SECRET, "key": TSIG_SECRET_KEY}},
                    }
                ],
            }


def external_dns_values(zone: DnsZoneFact, stage: Stage, identity: WorkloadIdentity | None) -> dict[str, Any]:
    """Chart values: routes as the only source, this environment's domain and owner, the zone's provider."""
    values: dict[str, Any] = {
        "sources": list(SOURCES),
        "policy": "sync",
        "registry": "txt",
        "txtOwnerId": owner_id(stage),
        "domainFilters": [stage.domain],
        # A route change is published at once; the interval is the safety net.
        "triggerLoopOnEvent": True,
        "interval": "1m",
        "logFormat": "json",
        "resources": RESOURCES,
        # One replica in every environment: external-dns has no leader election, and two writers of the same
        # records would race; a restart only delays new names by one interval (the chart's default Recreate).
        "image": {"pullPolicy": "Always"},
        # The chart's defaults already run as 65532, non-root, read-only, no privilege escalation, drop ALL and
        # RuntimeDefault seccomp (values.yaml ``securityContext``, ``podSecurityContext``); kept explicit here.
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "runAsGroup": 65532,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
        },
        **_provider_values(zone),
    }
    if identity is not None:
        values["podLabels"] = dict(identity.pod_labels)
        values["serviceAccount"] = {
            "annotations": dict(identity.service_account_annotations),
            "labels": dict(identity.pod_labels),
        }
    return values


def external_dns_flows(context: FlowContext) -> list[Expect]:
    """The API server (routes), where it writes (the cloud's API or the RFC2136 server), and nothing inbound."""
    if context.external_dns is None:
        return []
    controller = PodsOf(NAMESPACE, LABELS, "external-dns")
    flows = [
        allow(controller, Entity("kube-apiserver"), 443, "watches Gateway API routes"),
        deny(Entity("ingress"), controller, 7979, "its metrics and health port is not published"),
        deny(PodsOf("argocd", {}, "argocd"), controller, 7979, "no other namespace reaches it"),
    ]
    for target, port in context.external_dns:
        where = Address(target) if target[:1].isdigit() else Fqdn(target)
        flows.append(allow(controller, where, port, "writes records in the environment's zone"))
    return flows


PROVIDER_ENDPOINTS = {
    "azure-private-dns": (("management.azure.com", 443), ("login.microsoftonline.com", 443)),
    "aws": (("route53.amazonaws.com", 443),),
}
"""Where each cloud provider writes: declared for the flow matrix, independently of the platform's facts."""


def external_dns_targets(releases_: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, int], ...] | None:
    """(FQDN or IP, port) the rendered external-dns release writes to; None when there is no release."""
    if not releases_:
        return None
    targets: list[tuple[str, int]] = []
    for release in releases_:
        values = release.get("values") or {}
        provider = (values.get("provider") or {}).get("name", "")
        if provider == "rfc2136":
            args = values.get("extraArgs") or {}
            targets.append((str(args["rfc2136-host"]), int(args.get("rfc2136-port", 53))))
        targets += PROVIDER_ENDPOINTS.get(provider, ())
    return tuple(targets)


def _variant(render: Render) -> str:
    """The provider, sources, policy and domain filter of the rendered external-dns release."""
    described = []
    for release in releases(render, "external-dns"):
        values = release.get("values") or {}
        provider = (values.get("provider") or {}).get("name", "")
        described.append(
            f"{provider}, sources {', '.join(values.get('sources') or [])}, policy {values.get('policy')}, "
            f"domain {', '.join(values.get('domainFilters') or [])}"
        )
    return "; ".join(described) or "not installed (no zone configured)"


ENTRY = ServiceEntry(
    name="external-dns",
    gives="names under the environment's domain for every route on the shared Gateway, in the private zone",
    charts=("external-dns",),
    flows="API server; the cloud's DNS API (Azure, Route 53) or the RFC2136 server; nothing inbound",
    variant=_variant,
)


class ExternalDns(pulumi.ComponentResource):
    """The external-dns release for the environment's private zone, under default deny."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        pin: ChartPin,
        zone: DnsZoneFact,
        stage: Stage,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:agnostics:ExternalDns", name, None, opts)
        facts = cluster.platform
        namespace = platform_namespace(f"{name}-ns", NAMESPACE, cluster, self, layer="agnostics")
        after: list[pulumi.Resource] = [namespace]
        if isinstance(zone, Rfc2136Server):
            after.append(
                k8s.core.v1.Secret(
                    f"{name}-tsig",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=TSIG_SECRET, namespace=namespace.metadata.name),
                    string_data={TSIG_SECRET_KEY: zone.tsig_secret},
                    opts=cluster.opts(self, depends_on=[namespace]),
                )
            )
        self.release = helm_release(
            f"{name}-release",
            release_name="external-dns",
            pin=pin,
            namespace=namespace.metadata.name,
            values=external_dns_values(zone, stage, facts.workload_identities.get("external-dns")),
            opts=cluster.opts(self, depends_on=after),
        )
        names, rules = zone_egress(zone)
        policy = service_policy(
            NAMESPACE,
            "external-dns",
            egress_fqdns=names,
            api_server=True,
            extra_egress=[*rules, *pod_identity_egress(facts.pod_identity_agent)],
        )
        custom_object(f"{name}-policy", policy, cluster, self, depends_on=[namespace])
        self.register_outputs({"provider": PROVIDERS[type(zone)]})
