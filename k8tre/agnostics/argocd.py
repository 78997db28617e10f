"""Argo CD: the GitOps engine that delivers the application layer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from ..config import SecretRef
from ..config.layers import ArgoCdSettings
from ..flows.expect import Expect, PodsOf, allow, deny
from ..flows.model import Entity, Fqdn
from ..helm import helm_release
from ..infrastructure import Cluster
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from ..versions import ChartPin
from .argocd_sso import OIDC_SECRET, issuer_host, oidc_client_secret
from .argocd_values import argocd_values
from .catalogue import Render, ServiceEntry, kinds, releases
from .network_policy import opening, service_policy
from .publish import publish_passthrough

NAMESPACE = "argocd"
FREE_FORM_VALUES = (
    "configs.cm",
    "configs.params",
    "configs.rbac",
    # Kubernetes (Pod)SecurityContext objects the templates pass through with toYaml: their keys are
    # Kubernetes fields, checked strictly where they land (the rendered pods' schema validation).
    "redis.securityContext",
    # The redis-ha subchart's values: Helm hands this map to the subchart, whose own values.yaml
    # (charts/redis-ha/values.yaml in the archive) declares its keys; the values checks read only the
    # parent chart's values.yaml, so they cannot judge this map's keys yet. The rendered StatefulSet
    # and Deployment are still validated strictly and scanned by checkov.
    "redis-ha",
)
"""Chart value maps whose keys are Argo CD settings or Kubernetes fields, not chart keys (see the schema checks)."""
SERVER_LABELS = {"app.kubernetes.io/name": "argocd-server", "app.kubernetes.io/instance": "argocd"}
"""argocd-server's pod labels (argo-cd chart, ``argo-cd.selectorLabels`` in ``templates/_common.tpl``)."""
SERVER_PORT = 8080
"""argocd-server's container port (chart value ``server.containerPorts.server``): HTTPS and gRPC once not insecure."""
SERVER_HTTPS_PORT = 443
"""argocd-server's Service port in front of it (chart value ``server.service.servicePortHttps``)."""


@dataclass(frozen=True)
class ArgoCdTls:
    """What Argo CD's own TLS and sign-in need from the rest of the platform."""

    issuer: str
    """The ClusterIssuer argocd-server's certificate comes from."""
    after: Sequence[pulumi.Resource]
    """What installs the Certificate kind (the cert-manager release)."""
    oidc_client_secret: SecretRef | None = None
    """``k8tre:argocdOidcClientSecret`` when SSO is configured."""
    oidc_secret_from_realm: bool = False
    """The TRE realm delivers the Secret ``argocd-oidc`` itself (``argocd_realm``): no stack secret is needed."""


def _component(name: str) -> PodsOf:
    return PodsOf(NAMESPACE, {"app.kubernetes.io/name": f"argocd-{name}"}, f"argocd-{name}")


def argocd_flows(source_hosts: Sequence[str], ha: bool = False, sso_hosts: Sequence[str] = ()) -> list[Expect]:
    """Argo CD's components reach each other; the passthrough Gateway reaches the server alone; the server its OIDC provider."""
    # With redis-ha the components reach redis through its HAProxy (argo-cd chart values, redis-ha).
    server, repo, redis = _component("server"), _component("repo-server"), _component("redis-ha-haproxy" if ha else "redis")
    controller, appset = _component("application-controller"), _component("applicationset-controller")
    flows = [
        allow(Entity("ingress"), server, SERVER_PORT, "argocd.<domain>: TLS passed through the Gateway, ended by the server"),
        deny(Entity("ingress"), repo, 8081, "only the server is published"),
        deny(Entity("ingress"), redis, 6379, "the cache is not published"),
        allow(server, repo, 8081, "the server renders manifests"),
        allow(controller, repo, 8081, "the controller renders manifests"),
        allow(appset, repo, 8081, "ApplicationSets render manifests"),
        allow(server, redis, 6379, "cache"),
        allow(controller, redis, 6379, "cache"),
        allow(repo, redis, 6379, "cache"),
        allow(controller, Entity("kube-apiserver"), 443, "the controller applies what it delivers"),
    ]
    flows += [allow(repo, Fqdn(host), 443, "chart sources") for host in source_hosts if "*" not in host]
    flows += [allow(server, Fqdn(host), 443, "OIDC discovery, keys and tokens") for host in sso_hosts]
    return flows


def _argocd_variant(render: Render) -> str:
    """Argo CD's shape as rendered: HA or a single instance, how it is published, and its sign-in."""
    described = []
    passthrough = any(
        listener.get("protocol") == "TLS" and (listener.get("tls") or {}).get("mode") == "Passthrough"
        for gateway in kinds(render, "Gateway")
        if gateway["metadata"].get("namespace") == NAMESPACE
        for listener in (gateway.get("spec") or {}).get("listeners") or []
    )
    for release in releases(render, "argo-cd"):
        values = release.get("values") or {}
        ha = (values.get("redis-ha") or {}).get("enabled")
        shape = "HA (redis-ha, replicated server and repo server)" if ha else "single instance"
        publishing = "TLS passthrough to argocd-server" if passthrough else "behind the shared Gateway"
        cm = (values.get("configs") or {}).get("cm") or {}
        sign_in = "OIDC SSO" if cm.get("oidc.config") else ("built-in admin only" if cm.get("admin.enabled") else "no sign-in")
        described.append(f"{shape}; {publishing}; {sign_in}")
    return "; ".join(described)


ENTRY = ServiceEntry(
    name="Argo CD",
    gives="GitOps delivery of the application layer (Applications, AppProjects)",
    charts=("argo-cd",),
    flows="components to each other and redis; its passthrough Gateway to the server only; repo server to chart sources "
    "and the server to its OIDC provider on 443",
    variant=_argocd_variant,
)


def default_project_spec() -> dict[str, Any]:
    """The ``default`` AppProject with nothing allowed: no source, no destination, no kind.

    Argo CD creates ``default`` itself, permitting every source, destination and cluster-scoped kind,
    and an Application naming no project lands in it; it can be changed but not deleted, so it is
    emptied (Argo CD docs, "Projects", "The Default Project"). An empty, present
    ``namespaceResourceWhitelist`` permits no namespaced kind either (``workload_checks.app_project``).
    """
    return {
        "description": "Locked: every application belongs to a named project",
        "sourceRepos": [],
        "destinations": [],
        "clusterResourceWhitelist": [],
        "namespaceResourceWhitelist": [],
    }


class ArgoCd(pulumi.ComponentResource):
    """The Argo CD release in its own namespace, its locked default project, and its passthrough Gateway."""

    namespace: str
    """Where Applications and AppProjects live."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        pin: ChartPin,
        settings: ArgoCdSettings,
        stage: Stage,
        source_hosts: Sequence[str],
        tls: ArgoCdTls,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:agnostics:ArgoCd", name, None, opts)
        namespace = platform_namespace(f"{name}-ns", NAMESPACE, cluster, self, layer="agnostics")
        self.namespace = NAMESPACE
        after: list[pulumi.Resource] = [namespace]
        oidc_secret = None
        if settings.sso is not None and tls.oidc_secret_from_realm:
            oidc_secret = OIDC_SECRET  # delivered by the realm's External Secret (applications.keycloak)
        elif settings.sso is not None:
            if tls.oidc_client_secret is None:
                raise ValueError("agnostics.argocd.sso needs k8tre:argocdOidcClientSecret")
            secret = oidc_client_secret(
                f"{name}-oidc", secret=tls.oidc_client_secret, namespace=NAMESPACE, cluster=cluster, parent=self, depends_on=after
            )
            oidc_secret, after = OIDC_SECRET, [*after, secret]
        self.release = helm_release(
            f"{name}-release",
            release_name="argocd",
            pin=pin,
            namespace=namespace.metadata.name,
            values=argocd_values(settings, stage, tls.issuer, oidc_secret),
            # The chart's Certificate for argocd-server needs cert-manager's CRDs (helm refuses an unknown kind).
            opts=cluster.opts(self, depends_on=[*after, *tls.after]),
        )
        # The chart has no AppProject template; the kind exists once the chart's CRDs are installed.
        custom_object(f"{name}-default-project", _default_project(), cluster, self, depends_on=[self.release])
        # Under default-deny: the API server, the chart repositories it delivers from, and the OIDC provider.
        # Only argocd-server is published, so only it may be reached by the Gateway.
        egress = [*source_hosts, *issuer_host(settings.sso)]
        policy = service_policy(NAMESPACE, "argocd", egress_fqdns=egress, api_server=True)
        custom_object(f"{name}-policy", policy, cluster, self, depends_on=[namespace])
        why = "the passthrough Gateway reaches argocd-server only"
        gateway = opening(NAMESPACE, "argocd-server-gateway", SERVER_LABELS, "ingress", SERVER_PORT, why)
        custom_object(f"{name}-gateway-policy", gateway, cluster, self, depends_on=[namespace])
        publish_passthrough(
            f"{name}-publish",
            domain=stage.domain,
            app="argocd",
            namespace=NAMESPACE,
            service="argocd-server",
            port=SERVER_HTTPS_PORT,
            cluster=cluster,
            parent=self,
            depends_on=[namespace],
        )
        self.register_outputs({"namespace": self.namespace})


def _default_project() -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "default", "namespace": NAMESPACE},
        "spec": default_project_spec(),
    }
