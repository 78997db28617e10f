"""The keycloakx chart's values: Keycloak 26 behind the Gateway, on its CloudNativePG database, hardened.

Read against ``charts/keycloakx-7.1.11.tgz`` (``values.yaml`` and ``templates/statefulset.yaml``): the
chart passes ``extraEnv``, ``extraVolumes`` and ``extraVolumeMounts`` through ``tpl`` as YAML text, so
they are given as YAML strings; everything else is plain values.
"""

from __future__ import annotations

from typing import Any, Final

import yaml

from ..stage import Stage
from .keycloak_realm import CLIENT_SECRET_KEY, CLIENTS, REALM_FILE

HTTP_PORT: Final = 8080
"""Keycloak's HTTP listener (the chart's container port ``http``)."""
MANAGEMENT_PORT: Final = 9000
"""Health and metrics (the chart's container port ``http-internal``; Keycloak's management interface)."""
CLUSTER_PORT: Final = 7800
"""Infinispan's JGroups transport between replicas (Keycloak 26 ``jdbc-ping`` stack, TCP 7800)."""
POD_LABELS: Final = {"app.kubernetes.io/name": "keycloakx", "app.kubernetes.io/instance": "keycloak"}
"""The chart's selector labels for release ``keycloak`` (``keycloak.selectorLabels`` in ``_helpers.tpl``)."""
SERVICE: Final = "keycloak-http"
"""The chart's HTTP Service (``templates/service-http.yaml``: ``<fullname>-http``, port 80 to ``http``)."""
REALM_CONFIGMAP: Final = "keycloak-realm"
BOOTSTRAP_ADMIN_SECRET: Final = "keycloak-bootstrap-admin"  # noqa: S105 - a Secret's name
IMPORT_DIR: Final = "/opt/keycloak/data/import"
FREE_FORM_VALUES: Final = ("securityContext", "podSecurityContext")
"""Values the chart copies whole into the pod spec (``toYaml`` in ``templates/statefulset.yaml``): Kubernetes
security context fields, of which its values.yaml shows only a few."""


def replicas(stage: Stage) -> int:
    """One in dev; two elsewhere, so a node drain or a rollout never takes sign-in down."""
    return 1 if stage.environment == "dev" else 2


def _env(stage: Stage, database_secret: str, database_service: str) -> list[dict[str, Any]]:
    host = f"keycloak.{stage.domain}"
    env: list[dict[str, Any]] = [
        # Hostname v2 (Keycloak server guide, "Configuring the hostname"): every URL Keycloak issues, the issuer
        # included, is built on the public name, whatever Host header reaches the pod.
        {"name": "KC_HOSTNAME", "value": f"https://{host}"},
        {"name": "KC_HOSTNAME_STRICT", "value": "true"},
        # Keycloak's database settings (server guide, "Configuring the database"); the password from the
        # Secret CloudNativePG's bootstrap reads, delivered by External Secrets.
        {"name": "KC_DB", "value": "postgres"},
        {"name": "KC_DB_URL_HOST", "value": database_service},
        {"name": "KC_DB_URL_DATABASE", "value": "keycloak"},
        {"name": "KC_DB_USERNAME", "valueFrom": {"secretKeyRef": {"name": database_secret, "key": "username"}}},
        {"name": "KC_DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": database_secret, "key": "password"}}},
        # The temporary admin of the master realm for the first sign-in (server guide, "Bootstrapping an admin
        # account"): generated, and replaced by a named administrator (docs/identity.md).
        {
            "name": "KC_BOOTSTRAP_ADMIN_USERNAME",
            "valueFrom": {"secretKeyRef": {"name": BOOTSTRAP_ADMIN_SECRET, "key": "username"}},
        },
        {
            "name": "KC_BOOTSTRAP_ADMIN_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": BOOTSTRAP_ADMIN_SECRET, "key": "password"}},
        },
        {"name": "KC_LOG_CONSOLE_OUTPUT", "value": "json"},
        {"name": "JAVA_OPTS_APPEND", "value": "-Djava.io.tmpdir=/tmp"},
    ]
    # The realm file's placeholders, resolved from the environment at import.
    env += [
        {"name": client.env, "valueFrom": {"secretKeyRef": {"name": client.secret_name, "key": CLIENT_SECRET_KEY}}}
        for client in CLIENTS
    ]
    return env


def _container_security() -> dict[str, Any]:
    return {
        "runAsUser": 1000,
        "runAsGroup": 1000,
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _volumes() -> tuple[str, str]:
    """Writable places on a read-only image, and the realm file.

    ``kc.sh start`` re-augments the server when its build options (database vendor, health, metrics) differ
    from the image's, writing the result under ``lib/quarkus``; an emptyDir there lets it, and ``data`` holds
    Keycloak's temporary files. The realm ConfigMap is mounted read-only at the import directory.
    """
    volumes = [
        {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
        {"name": "data", "emptyDir": {"sizeLimit": "256Mi"}},
        {"name": "quarkus", "emptyDir": {"sizeLimit": "256Mi"}},
        {"name": "realm", "configMap": {"name": REALM_CONFIGMAP, "items": [{"key": REALM_FILE, "path": REALM_FILE}]}},
    ]
    mounts = [
        {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - a private emptyDir
        {"name": "data", "mountPath": "/opt/keycloak/data"},
        {"name": "quarkus", "mountPath": "/opt/keycloak/lib/quarkus"},
        {"name": "realm", "mountPath": IMPORT_DIR, "readOnly": True},
    ]
    return yaml.safe_dump(volumes, sort_keys=False), yaml.safe_dump(mounts, sort_keys=False)


def keycloak_values(stage: Stage, database_secret: str, database_service: str) -> dict[str, Any]:
    """The keycloakx chart values for release ``keycloak`` in namespace ``keycloak``."""
    count = replicas(stage)
    volumes, mounts = _volumes()
    return {
        "replicas": count,
        "image": {"pullPolicy": "Always"},
        # Import the realm file at start-up; an existing realm is left as it is (see keycloak_realm).
        "args": ["start", "--import-realm"],
        "enableServiceLinks": False,
        # Keycloak never calls the Kubernetes API (jdbc-ping finds its peers through the database).
        "serviceAccount": {"automountServiceAccountToken": False},
        "podSecurityContext": {
            "fsGroup": 1000,
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": _container_security(),
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
        "podDisruptionBudget": {"maxUnavailable": 1} if count > 1 else {},
        # Issuer https://keycloak.<domain>/realms/k8tre: no legacy /auth prefix.
        "http": {"relativePath": "/"},
        # Behind the Gateway: Envoy sets X-Forwarded-For and X-Forwarded-Proto (server guide, "Configuring a
        # reverse proxy", proxy-headers xforwarded); plain HTTP from the Gateway only (the pod's policy).
        "proxy": {"enabled": True, "mode": "xforwarded", "http": {"enabled": True}},
        "health": {"enabled": True},
        "metrics": {"enabled": True},
        "extraEnv": yaml.safe_dump(_env(stage, database_secret, database_service), sort_keys=False),
        "extraVolumes": volumes,
        "extraVolumeMounts": mounts,
        # Published through the platform's Gateway by the program (publish), not by the chart.
        "ingress": {"enabled": False},
        "httpRoute": {"enabled": False},
        "networkPolicy": {"enabled": False},
    }
