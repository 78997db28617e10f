"""Argo CD's chart values: hardened, replicated outside dev, serving TLS itself.

Every setting here is judged on the expanded chart (``argocd-cm``, ``argocd-cmd-params-cm``,
``argocd-rbac-cm``) by the ``argocd-hardened`` rule and ``tests/agnostics/test_argocd.py``.
"""

from __future__ import annotations

from typing import Any

from ..config.layers import ArgoCdSettings
from ..stage import Stage
from .argocd_sso import oidc_config, rbac_config

SERVER_TLS_SECRET = "argocd-server-tls"  # noqa: S105 - a Secret's name, not its content
"""The Secret argocd-server reads its certificate from, hot-reloaded on change (Argo CD docs, "TLS configuration",
"TLS certificates used by argocd-server"); the chart's ``server.certificate`` makes cert-manager fill it."""

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


def _pdb(enabled: bool) -> dict[str, Any]:
    # One replica of two may be evicted at a time (a node drain), never both (chart values `<component>.pdb`).
    return {"enabled": enabled, "minAvailable": 1} if enabled else {"enabled": False}


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
    # Three redis servers with sentinels (the subchart's default replicas): one may be drained at a time.
    "podDisruptionBudget": {"maxUnavailable": 1},
    "haproxy": {
        "image": {"pullPolicy": "Always"},
        "resources": _resources("20m", "64Mi", "250m", "256Mi"),
        "init": {"resources": _resources("10m", "32Mi", "100m", "64Mi")},
        "securityContext": {"runAsUser": REDIS_UID, "runAsGroup": REDIS_UID, "fsGroup": REDIS_UID},
        "containerSecurityContext": {"runAsUser": REDIS_UID, "readOnlyRootFilesystem": True},
        # HAProxy only forwards to the redis pods; it never calls the Kubernetes API.
        "serviceAccount": {"automountToken": False},
        "podDisruptionBudget": {"maxUnavailable": 1},
    },
}


def high_availability(settings: ArgoCdSettings, stage: Stage) -> bool:
    """Replicated outside dev unless the stack file says otherwise (prod's guard rail records that choice)."""
    return settings.high_availability if settings.high_availability is not None else stage.environment != "dev"


def server_certificate(domain: str, issuer: str) -> dict[str, Any]:
    """The chart's cert-manager Certificate for argocd-server (``templates/argocd-server/certificate.yaml``).

    The Gateway passes TLS through to argocd-server (``publish_passthrough``), so browsers and the
    ``argocd`` CLI see this certificate: it comes from the platform's issuer (ACME outside dev), the same
    one the Gateway's own certificate comes from.
    """
    return {
        "enabled": True,
        "domain": domain,
        "issuer": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": issuer},
        "privateKey": {"algorithm": "ECDSA", "size": 256, "encoding": "PKCS8", "rotationPolicy": "Always"},
    }


def argocd_values(settings: ArgoCdSettings, stage: Stage, issuer: str, oidc_secret: str | None = None) -> dict[str, Any]:
    """Chart values: hardened, replicated outside dev, SSO when configured, argocd-server serving TLS.

    No built-in admin outside dev, no anonymous users, no web terminal, no default role; the server's
    certificate comes from ``issuer``; ``oidc_secret`` names the Secret holding the OIDC client secret.
    """
    ha = high_availability(settings, stage)
    replicas = 2 if ha else 1
    domain = f"argocd.{stage.domain}"
    cm: dict[str, Any] = {
        # The built-in admin is a shared account: allowed only while bootstrapping dev (SATRE 3.2.01).
        "admin.enabled": stage.environment == "dev",
        # Argo CD docs, "Web-based Terminal": exec would give whoever holds the permission a shell in any pod.
        "exec.enabled": False,
        # Argo CD docs, argocd-cm.yaml: anonymous users get policy.default without logging in.
        "users.anonymous.enabled": False,
    }
    if settings.sso is not None:
        if oidc_secret is None:
            raise ValueError("agnostics.argocd.sso needs the Secret holding the OIDC client secret")
        cm["oidc.config"] = oidc_config(settings.sso, oidc_secret)
    return {
        "configs": {
            "cm": cm,
            # argocd-server terminates TLS itself: the Gateway passes the TLS stream through untouched.
            "params": {"server.insecure": False},
            "rbac": rbac_config(settings.sso),
        },
        "dex": {"enabled": False},
        # Every Argo CD image is checked against the registry at each start (pull policy below), and
        # each pod gets a pod-level security context; the chart's container contexts already drop ALL,
        # forbid privilege escalation and mount the root filesystem read-only (values.yaml).
        # The chart's own NetworkPolicies would add allows (argocd-server's admits every source:
        # templates/argocd-server/networkpolicy.yaml, `ingress: [{}]`); the Cilium policy replaces them.
        "global": {
            "domain": domain,
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
        # One application controller: more replicas shard clusters between them rather than stand by
        # (Argo CD docs, "High Availability", argocd-application-controller); a restart resumes from the cluster.
        "controller": {"replicas": 1, "resources": _resources("250m", "512Mi", "2", "2Gi")},
        "server": {
            "replicas": replicas,
            "resources": _resources("50m", "128Mi", "500m", "512Mi"),
            "pdb": _pdb(ha),
            "certificate": server_certificate(domain, issuer),
        },
        "repoServer": {
            "replicas": replicas,
            "resources": _resources("50m", "128Mi", "1", "1Gi"),
            "pdb": _pdb(ha),
            # The repo server renders manifests from Git and Helm and never calls the Kubernetes API;
            # Argo CD's own install manifests mount no token into it (argo-cd repository,
            # manifests/base/repo-server/argocd-repo-server-deployment.yaml).
            "automountServiceAccountToken": False,
        },
        "applicationSet": {
            "replicas": replicas,
            "resources": _resources("20m", "64Mi", "250m", "256Mi"),
            "pdb": _pdb(ha),
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
