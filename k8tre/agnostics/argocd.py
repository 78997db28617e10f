"""Argo CD: the GitOps engine that delivers the application layer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from ..config.layers import ArgoCdSettings
from ..flows.expect import Expect, PodsOf, allow, deny
from ..flows.model import Entity, Fqdn
from ..helm import helm_release
from ..infrastructure import Cluster
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from ..versions import ChartPin
from .catalogue import Render, ServiceEntry, releases
from .network_policy import opening, service_policy

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
"""argocd-server's container port (chart value ``server.containerPorts.server``)."""


def _component(name: str) -> PodsOf:
    return PodsOf(NAMESPACE, {"app.kubernetes.io/name": f"argocd-{name}"}, f"argocd-{name}")


def argocd_flows(source_hosts: Sequence[str], ha: bool = False) -> list[Expect]:
    """Argo CD's components reach each other; the Gateway reaches the server alone."""
    # With redis-ha the components reach redis through its HAProxy (argo-cd chart values, redis-ha).
    server, repo, redis = _component("server"), _component("repo-server"), _component("redis-ha-haproxy" if ha else "redis")
    controller, appset = _component("application-controller"), _component("applicationset-controller")
    flows = [
        allow(Entity("ingress"), server, SERVER_PORT, "argocd.<domain> through the Gateway"),
        deny(Entity("ingress"), repo, 8081, "only the server is published"),
        allow(server, repo, 8081, "the server renders manifests"),
        allow(controller, repo, 8081, "the controller renders manifests"),
        allow(appset, repo, 8081, "ApplicationSets render manifests"),
        allow(server, redis, 6379, "cache"),
        allow(controller, redis, 6379, "cache"),
        allow(repo, redis, 6379, "cache"),
        allow(controller, Entity("kube-apiserver"), 443, "the controller applies what it delivers"),
    ]
    flows += [allow(repo, Fqdn(host), 443, "chart sources") for host in source_hosts if "*" not in host]
    return flows


def _argocd_variant(render: Render) -> str:
    """Argo CD's shape as rendered: HA (redis-ha) or a single instance."""
    described = []
    for release in releases(render, "argo-cd"):
        values = release.get("values") or {}
        ha = (values.get("redis-ha") or {}).get("enabled")
        described.append("HA (redis-ha, replicated server and repo server)" if ha else "single instance")
    return "; ".join(described)


ENTRY = ServiceEntry(
    name="Argo CD",
    gives="GitOps delivery of the application layer (Applications, AppProjects)",
    charts=("argo-cd",),
    flows="components to each other and redis; the Gateway to the server only; repo server to chart sources on 443",
    variant=_argocd_variant,
)


REDIS_UID = 10001
"""The uid redis (and in HA, sentinel and HAProxy) run as: above checkov's floor of 10000
(CKV_K8S_40) instead of the images' own 999 and 99. Neither writes to its image: the chart
mounts config and data on emptyDir volumes, and persistence is off."""
_POD_SECURITY = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
"""Pod-level security context (Kubernetes Pod Security Standards, restricted: runAsNonRoot and
the RuntimeDefault seccomp profile; checkov CKV_K8S_29 wants one on the pod)."""


def _resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, Any]:
    """Requests and limits for one container (checkov CKV_K8S_10 to 13).

    Starting points for a TRE's handful of applications: the application controller and repo server
    grow with the number of applications and the size of the charts they render (Argo CD docs,
    "High Availability", scaling up).
    """
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}}


_REDIS_HA = {
    # redis-ha subchart (DandyDeveloper/charts redis-ha 4.38.0 values.yaml): the pod and container
    # contexts both name a uid (1000, HAProxy 99), so both are raised; persistence is off in Argo CD's
    # defaults, so data and config live on emptyDir volumes that any uid may write.
    "image": {"pullPolicy": "Always"},
    "securityContext": {"runAsUser": REDIS_UID, "runAsGroup": REDIS_UID, "fsGroup": REDIS_UID},
    "containerSecurityContext": {"runAsUser": REDIS_UID},
    "redis": {"resources": _resources("50m", "128Mi", "500m", "512Mi")},
    "sentinel": {"resources": _resources("10m", "32Mi", "100m", "64Mi")},
    "init": {"resources": _resources("10m", "32Mi", "100m", "64Mi")},
    "splitBrainDetection": {"resources": _resources("10m", "32Mi", "100m", "64Mi")},
    "haproxy": {
        "image": {"pullPolicy": "Always"},
        "resources": _resources("20m", "64Mi", "250m", "256Mi"),
        "init": {"resources": _resources("10m", "32Mi", "100m", "64Mi")},
        "securityContext": {"runAsUser": REDIS_UID, "runAsGroup": REDIS_UID, "fsGroup": REDIS_UID},
        "containerSecurityContext": {"runAsUser": REDIS_UID, "readOnlyRootFilesystem": True},
        # HAProxy only forwards to the redis pods; it never calls the Kubernetes API.
        "serviceAccount": {"automountToken": False},
    },
}


def argocd_values(settings: ArgoCdSettings, stage: Stage) -> dict[str, Any]:
    """Chart values: HA in prod, no built-in admin outside dev, no Dex until SSO is wired."""
    ha = settings.high_availability if settings.high_availability is not None else stage.is_prod
    replicas = 2 if ha else 1
    return {
        "configs": {
            # The built-in admin is a shared account: allowed only while bootstrapping dev (SATRE 3.2.01).
            "cm": {"admin.enabled": stage.environment == "dev", "exec.enabled": False},
            # TLS ends at the Cilium Gateway; the server speaks plain HTTP inside the mesh.
            "params": {"server.insecure": True},
            "rbac": {"policy.default": "role:readonly"},
        },
        "dex": {"enabled": False},
        # Every Argo CD image is checked against the registry at each start (pull policy below), and
        # each pod gets a pod-level security context; the chart's container contexts already drop ALL,
        # forbid privilege escalation and mount the root filesystem read-only (values.yaml).
        # The chart's own NetworkPolicies would add allows (argocd-server's admits every source:
        # templates/argocd-server/networkpolicy.yaml, `ingress: [{}]`); the Cilium policy replaces them.
        "global": {
            "domain": f"argocd.{stage.domain}",
            "networkPolicy": {"create": False},
            "image": {"imagePullPolicy": "Always"},
            "securityContext": _POD_SECURITY,
        },
        "redis-ha": {"enabled": ha, **_REDIS_HA},
        "redis": {
            "enabled": not ha,
            "resources": _resources("20m", "64Mi", "250m", "256Mi"),
            # redis runs with persistence off (`--save ""`), so it writes nothing under the image's
            # own user's directories and any non-root uid serves; it never calls the Kubernetes API.
            "securityContext": {"runAsUser": REDIS_UID, "runAsGroup": REDIS_UID},
            "automountServiceAccountToken": False,
            "readinessProbe": {"enabled": True},
            "livenessProbe": {"enabled": True},
        },
        "redisSecretInit": {
            "resources": _resources("10m", "32Mi", "100m", "64Mi"),
            "securityContext": _POD_SECURITY,
        },
        "controller": {"replicas": 1, "resources": _resources("250m", "512Mi", "2", "2Gi")},
        "server": {"replicas": replicas, "resources": _resources("50m", "128Mi", "500m", "512Mi")},
        "repoServer": {
            "replicas": replicas,
            "resources": _resources("50m", "128Mi", "1", "1Gi"),
            # The repo server renders manifests from Git and Helm and never calls the Kubernetes API;
            # Argo CD's own install manifests mount no token into it (argo-cd repository,
            # manifests/base/repo-server/argocd-repo-server-deployment.yaml).
            "automountServiceAccountToken": False,
        },
        "applicationSet": {
            "replicas": replicas,
            "resources": _resources("20m", "64Mi", "250m", "256Mi"),
            # The chart offers TCP probes on the controller's probe port, off by default (values.yaml).
            "readinessProbe": {"enabled": True},
            "livenessProbe": {"enabled": True},
        },
        "notifications": {
            "resources": _resources("10m", "32Mi", "100m", "128Mi"),
            "readinessProbe": {"enabled": True},
            "livenessProbe": {"enabled": True},
        },
    }


class ArgoCd(pulumi.ComponentResource):
    """The Argo CD release in its own namespace."""

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
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:agnostics:ArgoCd", name, None, opts)
        namespace = platform_namespace(f"{name}-ns", NAMESPACE, cluster, self, layer="agnostics", gateway_access=True)
        self.namespace = NAMESPACE
        self.release = helm_release(
            f"{name}-release",
            release_name="argocd",
            pin=pin,
            namespace=namespace.metadata.name,
            values=argocd_values(settings, stage),
            opts=cluster.opts(self),
        )
        # Under default-deny: the API server, and the chart repositories of the applications it delivers.
        # Only argocd-server is published, so only it may be reached by the Gateway.
        policy = service_policy(NAMESPACE, "argocd", egress_fqdns=source_hosts, api_server=True)
        custom_object(f"{name}-policy", policy, cluster, self, depends_on=[namespace])
        why = "the Gateway reaches argocd-server only"
        gateway = opening(NAMESPACE, "argocd-server-gateway", SERVER_LABELS, "ingress", SERVER_PORT, why)
        custom_object(f"{name}-gateway-policy", gateway, cluster, self, depends_on=[namespace])
        self.register_outputs({"namespace": self.namespace})
