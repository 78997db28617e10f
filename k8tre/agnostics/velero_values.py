"""Velero's chart values: the backup storage location each object store needs, and the hardening.

Volumes are backed up file by file by the node agent (Kopia), not by CSI or cloud snapshots: it works
with every storage driver K8TRE uses, and the copy lands in the object store, outside the cluster and
its cloud's disks (Velero docs, "File System Backup"). The cost is the node agent: a DaemonSet that
reads every pod's volumes from the host (``/var/lib/kubelet/pods``, a hostPath) as root, so the
``velero`` namespace enforces Pod Security ``privileged`` (baseline forbids hostPath volumes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from ..infrastructure import ObjectStore

SERVICE_ACCOUNT = "velero"
"""The service account Velero's server and node agent run as: the name the cloud identities trust."""
LOCATION = "default"
"""The backup storage location's name."""
PLUGINS = {
    "azure-blob": ("azure", "docker.io/velero/velero-plugin-for-microsoft-azure:v1.14.0"),
    "s3": ("aws", "docker.io/velero/velero-plugin-for-aws:v1.14.0"),
}
"""Velero provider and plugin image per object store API; plugins v1.14 are built for Velero 1.18, the
chart's appVersion (velero-plugin-for-aws and -microsoft-azure READMEs, compatibility tables)."""
FREE_FORM_VALUES = ("nodeAgent.podSecurityContext",)
"""A Kubernetes PodSecurityContext the chart passes through with toYaml (templates/node-agent-daemonset.yaml):
its keys are Kubernetes fields, checked strictly where they land (the rendered pods' schema validation)."""
UID = 10001
"""The Velero server's uid: above checkov's floor of 10000 (CKV_K8S_40); it writes only to emptyDirs."""
NODE_AGENT_CAPABILITIES = ("CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID")
"""What the node agent keeps of root's powers: read any pod's files whatever their owner and mode, and
restore them with their owners and modes. Nothing to do with networking or devices."""
_HOME_CACHE = "/home/cnb/.cache"
"""Kopia's cache under the Velero image's home (the image runs as the buildpacks' ``cnb`` user)."""


def _resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, Any]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}}


_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "runAsUser": UID,
    "seccompProfile": {"type": "RuntimeDefault"},
}
_SCRATCH = [{"name": "cache", "emptyDir": {}}]
_SCRATCH_MOUNTS = [{"name": "cache", "mountPath": _HOME_CACHE}]


def storage_location(store: ObjectStore) -> dict[str, Any]:
    """The BackupStorageLocation for the store: the plugin's own configuration keys.

    Azure: ``useAAD`` with the blob endpoint (``storageAccountURI``), so no account key and no Reader role
    (velero-plugin-for-microsoft-azure, ``backupstoragelocation.md``). S3: the region; for an in-cluster
    store its URL with path-style addressing (velero-plugin-for-aws, ``backupstoragelocation.md``).
    """
    provider, _ = PLUGINS[store.api]
    config: dict[str, pulumi.Input[str]]
    if store.api == "azure-blob":
        config = {**store.settings, "storageAccountURI": store.endpoint, "useAAD": "true"}
    elif store.credentials is not None:
        config = {"region": store.region, "s3Url": store.endpoint, "s3ForcePathStyle": "true"}
    else:
        config = {"region": store.region}
    return {
        "name": LOCATION,
        "provider": provider,
        "bucket": store.bucket,
        "default": True,
        "accessMode": "ReadWrite",
        "config": config,
    }


def _key_env(store: ObjectStore) -> list[dict[str, Any]]:
    """An in-cluster store's key pair as the AWS SDK's environment variables, read from the Secret."""
    if store.credentials is None:
        return []
    secret = store.credentials.secret_name
    return [
        {"name": "AWS_ACCESS_KEY_ID", "valueFrom": {"secretKeyRef": {"name": secret, "key": store.credentials.access_key_key}}},
        {
            "name": "AWS_SECRET_ACCESS_KEY",
            "valueFrom": {"secretKeyRef": {"name": secret, "key": store.credentials.secret_key_key}},
        },
    ]


def velero_values(store: ObjectStore) -> dict[str, Any]:
    """Chart values: one storage location, no snapshot locations, node agent on, hardened pods."""
    _, plugin = PLUGINS[store.api]
    labels: Mapping[str, str] = store.identity.pod_labels if store.identity else {}
    annotations: Mapping[str, pulumi.Input[str]] = store.identity.service_account_annotations if store.identity else {}
    return {
        "image": {"pullPolicy": "Always"},
        "initContainers": [
            {
                "name": "velero-plugin",
                "image": plugin,
                "imagePullPolicy": "Always",
                "volumeMounts": [{"mountPath": "/target", "name": "plugins"}],
                "securityContext": _CONTAINER,
                "resources": _resources("10m", "32Mi", "100m", "128Mi"),
            }
        ],
        "resources": _resources("100m", "256Mi", "1", "1Gi"),
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "fsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containerSecurityContext": _CONTAINER,
        "extraVolumes": _SCRATCH,
        "extraVolumeMounts": _SCRATCH_MOUNTS,
        "podLabels": dict(labels),
        "serviceAccount": {
            "server": {"create": True, "name": SERVICE_ACCOUNT, "annotations": dict(annotations), "labels": dict(labels)}
        },
        # No stored cloud key: the identity (Azure, AWS) or the key pair's environment variables (in-cluster store).
        "credentials": {"useSecret": False},
        "configuration": {
            "backupStorageLocation": [storage_location(store)],
            "volumeSnapshotLocation": [],
            "uploaderType": "kopia",
            "defaultVolumesToFsBackup": True,
            "extraEnvVars": _key_env(store),
        },
        "snapshotsEnabled": False,
        "deployNodeAgent": True,
        "nodeAgent": {
            "resources": _resources("100m", "256Mi", "1", "2Gi"),
            "podLabels": dict(labels),
            "podSecurityContext": {"runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}},
            "containerSecurityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "privileged": False,
                "capabilities": {"drop": ["ALL"], "add": list(NODE_AGENT_CAPABILITIES)},
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "extraVolumes": _SCRATCH,
            "extraVolumeMounts": _SCRATCH_MOUNTS,
        },
        # The pre-upgrade Job that applies the chart's CRDs with kubectl (templates/upgrade-crds/upgrade-crds.yaml).
        "upgradeJobResources": _resources("10m", "64Mi", "200m", "256Mi"),
        "kubectl": {
            "containerSecurityContext": _CONTAINER,
            "resources": _resources("10m", "32Mi", "100m", "128Mi"),
        },
        "metrics": {"enabled": True},
    }
