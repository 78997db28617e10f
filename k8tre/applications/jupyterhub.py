"""JupyterHub: researchers' notebooks, delivered by Argo CD from the z2jh chart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from ..agnostics import Platform
from ..agnostics.publish import publish
from ..config.layers import JupyterHubSettings, ProjectSettings
from ..infrastructure import Cluster
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from ..versions import ChartPin
from .application import ArgoApplication, HelmSource, application_spec
from .jupyterhub_network import jupyterhub_policies
from .jupyterhub_spawn import spawn_values
from .project_k8s import HUB_SERVICE_ACCOUNT
from .research_project import project_namespace

NAMESPACE = "jupyterhub"
OAUTH_SECRET = "jupyterhub-oauth"  # noqa: S105 - the name of a Secret, not its value
"""Kubernetes Secret holding the OIDC client secret (synced from the cloud secret store)."""


def _resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, Any]:
    """Requests and limits for one container (checkov CKV_K8S_10 to 13)."""
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}}


_HUB_HARDENING: dict[str, Any] = {
    # z2jh values.yaml, hub.*: the chart's defaults already give runAsNonRoot, RuntimeDefault seccomp,
    # no privilege escalation and drop ALL; what it leaves open is closed here.
    "resources": _resources("100m", "256Mi", "1", "1Gi"),
    "image": {"pullPolicy": "Always"},
    # The hub keeps its state in its database on the hub-db-dir volume (/srv/jupyterhub) and reads its
    # secrets from mounted Secrets, so its image may be read-only; Python's temporary files get /tmp.
    "containerSecurityContext": {"readOnlyRootFilesystem": True},
    "extraVolumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
    "extraVolumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 - a private emptyDir, not a shared /tmp
}
_PROXY_HARDENING: dict[str, Any] = {
    # z2jh values.yaml, proxy.chp.*: configurable-http-proxy already runs as nobody (65534) without
    # privilege escalation, all capabilities dropped and RuntimeDefault seccomp.
    "resources": _resources("50m", "64Mi", "500m", "256Mi"),
    "image": {"pullPolicy": "Always"},
    # It keeps its routing table in memory and writes nothing to disk.
    "containerSecurityContext": {"readOnlyRootFilesystem": True},
    # The chart has no pod security context or token key for the proxy; extraPodSpec merges into its
    # pod spec. The proxy only forwards HTTP and is told its routes by the hub: it never calls the
    # Kubernetes API, so it gets no service-account token.
    "extraPodSpec": {
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    },
}


def jupyterhub_values(settings: JupyterHubSettings, stage: Stage, projects: Sequence[ProjectSettings] = ()) -> dict[str, Any]:
    """z2jh values: sign-in through the TRE's identity provider, workspaces in ``projects``' namespaces only."""
    spawn = spawn_values(projects, settings, {p.name: project_namespace(p.name) for p in projects})
    hub_url = f"https://jupyter.{stage.domain}"
    realm = f"https://keycloak.{stage.domain}/realms/k8tre/protocol/openid-connect"
    return {
        "hub": {
            "config": {
                "JupyterHub": {"authenticator_class": "generic-oauth"},
                "GenericOAuthenticator": {
                    "client_id": "jupyterhub",
                    "oauth_callback_url": f"{hub_url}/hub/oauth_callback",
                    "authorize_url": f"{realm}/auth",
                    "token_url": f"{realm}/token",
                    "userdata_url": f"{realm}/userinfo",
                    "scope": ["openid", "profile", "email"],
                    "username_claim": "preferred_username",
                    "allow_all": False,
                    # Only members of a project JupyterHub serves may sign in (admins too, as admin_groups).
                    "allowed_groups": sorted({p.group for p in projects}),
                    "admin_groups": ["tre-admins"],
                    # The hub's groups follow the token's `groups` claim at every login, so the profile filter
                    # (hub.extraConfig) sees the realm's project groups (OAuthenticator 16+: manage_groups,
                    # auth_state_groups_key replaces the deprecated claim_groups_key).
                    "manage_groups": True,
                    "auth_state_groups_key": "oauth_user.groups",
                },
                "KubeSpawner": spawn["kubespawner"],
            },
            "extraConfig": spawn["extraConfig"],
            # The hub's service account, named so each project's RoleBinding can name it. It gets no Role in its
            # own namespace (rbac.create below is off): it spawns only where a project Role lets it.
            "serviceAccount": {"create": True, "name": HUB_SERVICE_ACCOUNT},
            # The client secret never appears in the Application: the hub reads it from a Secret.
            "extraEnv": {"OAUTH_CLIENT_SECRET": {"valueFrom": {"secretKeyRef": {"name": OAUTH_SECRET, "key": "client-secret"}}}},
            # The chart's NetworkPolicies are off: the research AppProject forbids the kind (a namespace's
            # guard rails belong to the platform), and the platform's Cilium policies govern this traffic.
            "networkPolicy": {"enabled": False},
            **_HUB_HARDENING,
        },
        # Published through the Cilium Gateway, never as its own load balancer.
        "proxy": {"service": {"type": "ClusterIP"}, "chp": {"networkPolicy": {"enabled": False}, **_PROXY_HARDENING}},
        # z2jh's Role lets the hub manage pods, volumes and secrets in its own namespace, where no workspace runs.
        "rbac": {"create": False},
        "singleuser": {
            **spawn["singleuser"],
            "cpu": {"limit": settings.cpu_limit, "guarantee": min(0.5, settings.cpu_limit)},
            "memory": {"limit": f"{settings.memory_limit_gib}G", "guarantee": "1G"},
            "networkPolicy": {"enabled": False},
            # The chart blocks the cloud metadata server with a privileged iptables init container, which
            # Pod Security refuses (z2jh values.yaml, singleuser.cloudMetadata); Cilium policy blocks it instead.
            "cloudMetadata": {"blockWithIptables": False},
        },
        # The project may create no cluster-scoped resources, so the chart's scheduler extras stay off.
        "scheduling": {
            "userScheduler": {"enabled": False},
            "podPriority": {"enabled": False},
            "userPlaceholder": {"enabled": False},
        },
        "prePuller": {"hook": {"enabled": False}, "continuous": {"enabled": False}},
        "cull": {"enabled": True, "timeout": 3600, "every": 600},
        "debug": {"enabled": stage.environment == "dev"},
    }


class JupyterHub(pulumi.ComponentResource):
    """The JupyterHub namespace and the Argo CD Application that deploys the chart into it."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        platform: Platform,
        project: pulumi.Resource,
        project_name: str,
        pin: ChartPin,
        settings: JupyterHubSettings,
        stage: Stage,
        projects: Sequence[ProjectSettings],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``projects``: the projects whose members it serves (it spawns into their namespaces only)."""
        super().__init__("k8tre:applications:JupyterHub", name, None, opts)
        namespace = platform_namespace(
            f"{name}-ns",
            NAMESPACE,
            cluster,
            self,
            layer="applications",
            # Notebooks run in the projects' namespaces; the hub and proxy here pass `restricted`.
            gateway_access=True,
        )
        # One policy per component: the hub and the proxy here; each project holds its notebooks' policy.
        for policy in jupyterhub_policies(NAMESPACE, stage.domain, tuple(project_namespace(p.name) for p in projects)):
            custom_object(f"{name}-{policy['metadata']['name']}", policy, cluster, self, depends_on=[namespace])
        source = HelmSource(pin, "jupyterhub", jupyterhub_values(settings, stage, projects))
        self.application = ArgoApplication(
            f"{name}-app",
            "jupyterhub",
            application_spec(project_name, NAMESPACE, source),
            cluster,
            platform,
            depends_on=[project, namespace],
            opts=pulumi.ResourceOptions(parent=self),
        )
        publish(
            f"{name}-route",
            gateway=platform.gateway,
            app="jupyter",
            namespace=NAMESPACE,
            service="proxy-public",
            port=80,
            cluster=cluster,
            parent=self,
            depends_on=[namespace],
            # Until Cilium verifies backends (BackendTLSPolicy, not in 1.19) the proxy is reached in HTTP; its own
            # policy admits only the Gateway, and between nodes the hop is inside Cilium's WireGuard in prod.
            plaintext_reason="JupyterHub's proxy serves HTTP only; the Gateway alone may reach it (jupyterhub-proxy policy)",
        )
        self.register_outputs({"namespace": NAMESPACE})
