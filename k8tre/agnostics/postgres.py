"""A Postgres database for an application: a CloudNativePG ``Cluster`` with scheduled backups through Barman Cloud.

The application layer calls :class:`PostgresDatabase` in its own namespace; the operator and plugin
(:mod:`.cloudnative_pg`) do the rest. Instances by environment (one in dev, three elsewhere), volumes
on ``rwo-default``, no superuser access, an application user whose password is generated, WAL archived
and base backups scheduled to object storage with a retention, the cluster protected in prod.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pulumi

from ..infrastructure import Cluster
from ..manifest import custom_object
from ..stage import Stage
from .cloudnative_pg import INSTANCE_LABELS, OPERATOR_LABELS, POSTGRES_PORT, STATUS_PORT
from .cloudnative_pg import NAMESPACE as OPERATOR_NAMESPACE
from .generated_secret import generated_secret
from .network_policy import NAMESPACE_LABEL, dns_egress_rule, egress_to_names
from .postgres_backup import AzureWorkloadIdentity, BackupTarget
from .storage import RWO_CLASS

PLUGIN = "barman-cloud.cloudnative-pg.io"
"""The Barman Cloud plugin's name, as clusters and backups refer to it (plugin-barman-cloud docs, "Usage")."""


@dataclass(frozen=True)
class PostgresSpec:
    """What an application asks of its database."""

    namespace: str
    """The application's namespace (it exists already)."""
    database: str
    """The database created at bootstrap."""
    owner: str
    """The application user owning it."""
    backup: BackupTarget | pulumi.Output[BackupTarget]
    """Where backups go: known now, or built from the platform's object store once its bucket name is known."""
    size: str = "10Gi"
    """Each instance's volume (expandable later: the class allows it)."""
    retention_days: int = 30
    """How long base backups and WAL are kept."""
    schedule: str = "0 0 2 * * *"
    """When base backups run (six-field cron, seconds first: CloudNativePG ScheduledBackup)."""
    cpu: str = "250m"
    """CPU request (the limit is four times it)."""
    memory: str = "512Mi"
    """Memory request and limit (Postgres must not be OOM-killed for borrowing memory)."""
    region: str = ""
    """The bucket's AWS region, for the S3 host names the instances may reach."""


def cluster_spec(name: str, spec: PostgresSpec, stage: Stage, app_secret: str) -> dict[str, Any]:
    """The ``Cluster`` object (postgresql.cnpg.io/v1)."""
    instances = 1 if stage.environment == "dev" else 3
    body: dict[str, Any] = {
        "instances": instances,
        # No postgres superuser password Secret, no remote superuser login (CloudNativePG docs, "Security").
        "enableSuperuserAccess": False,
        "bootstrap": {"initdb": {"database": spec.database, "owner": spec.owner, "secret": {"name": app_secret}}},
        "storage": {"storageClass": RWO_CLASS, "size": spec.size},
        "resources": {
            "requests": {"cpu": spec.cpu, "memory": spec.memory},
            "limits": {"cpu": _times(spec.cpu, 4), "memory": spec.memory},
        },
        "enablePDB": instances > 1,
        # Each instance on its own node; in prod the scheduler must honour it.
        "affinity": {
            "enablePodAntiAffinity": True,
            "topologyKey": "kubernetes.io/hostname",
            "podAntiAffinityType": "required" if stage.is_prod else "preferred",
        },
        "primaryUpdateStrategy": "unsupervised",
        "plugins": [{"name": PLUGIN, "isWALArchiver": True, "parameters": {"barmanObjectName": f"{name}-backup"}}],
    }
    auth = _known(spec).auth
    if isinstance(auth, AzureWorkloadIdentity):
        body["serviceAccountTemplate"] = {"metadata": {"annotations": {"azure.workload.identity/client-id": auth.client_id}}}
        body["inheritedMetadata"] = {"labels": {"azure.workload.identity/use": "true"}}
    return body


def object_store_spec(spec: PostgresSpec) -> dict[str, Any]:
    """The ``ObjectStore`` (barmancloud.cnpg.io/v1): destination, credentials, compression, retention."""
    target = _known(spec)
    encryption = target.encryption()
    data: dict[str, Any] = {"compression": "gzip", **({"encryption": encryption} if encryption else {})}
    wal: dict[str, Any] = {"compression": "gzip", **({"encryption": encryption} if encryption else {})}
    configuration: dict[str, Any] = {"destinationPath": target.destination_path, **target.credentials(), "data": data, "wal": wal}
    if target.endpoint_url:
        configuration["endpointURL"] = target.endpoint_url
    return {"retentionPolicy": f"{spec.retention_days}d", "configuration": configuration}


def scheduled_backup_spec(name: str, spec: PostgresSpec) -> dict[str, Any]:
    """The ``ScheduledBackup`` (postgresql.cnpg.io/v1): through the plugin, owned by the schedule, one at once."""
    return {
        "schedule": spec.schedule,
        "cluster": {"name": name},
        "method": "plugin",
        "pluginConfiguration": {"name": PLUGIN},
        "backupOwnerReference": "self",
        "immediate": True,
    }


def instance_policy(name: str, spec: PostgresSpec) -> dict[str, Any]:
    """The instances' CiliumNetworkPolicy: the operator and the namespace's pods in; replication, API, store out."""
    instances = {"matchLabels": {"cnpg.io/cluster": name}}
    operator = {"matchLabels": {NAMESPACE_LABEL: OPERATOR_NAMESPACE, **{f"k8s:{k}": v for k, v in OPERATOR_LABELS.items()}}}
    backup = _known(spec)
    hosts = [*backup.store_hosts(spec.region), *backup.egress_fqdns]
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": _policy_metadata(name, spec.namespace),
        "spec": {
            "description": f"Postgres {name}: the operator, replication and the namespace's clients; backups out",
            "endpointSelector": {"matchLabels": {"cnpg.io/cluster": name, **INSTANCE_LABELS}},
            "ingress": [
                {"fromEndpoints": [operator], "toPorts": tcp(STATUS_PORT)},
                {"fromEndpoints": [{}], "toPorts": tcp(POSTGRES_PORT)},
            ],
            "egress": [
                {"toEndpoints": [instances], "toPorts": tcp(POSTGRES_PORT)},
                {"toEntities": ["kube-apiserver"]},
                dns_egress_rule(hosts),
                *egress_to_names(backup.store_hosts(spec.region), backup.store_port()),
                *egress_to_names(backup.egress_fqdns),
                *backup.identity_egress(),
            ],
        },
    }


def _policy_metadata(name: str, namespace: str) -> dict[str, Any]:
    return {"name": f"{name}-postgres", "namespace": namespace, "labels": {"k8tre.io/policy": "service"}}


def _known(spec: PostgresSpec) -> BackupTarget:
    """The spec's backup target, which the component resolves before building any object from it."""
    if isinstance(spec.backup, pulumi.Output):
        raise TypeError("the backup target must be resolved before an object is built from it")
    return spec.backup


def tcp(port: int) -> list[dict[str, Any]]:
    """A ``toPorts`` entry for one TCP port."""
    return [{"ports": [{"port": str(port), "protocol": "TCP"}]}]


def _times(quantity: str, factor: int) -> str:
    return f"{int(quantity[:-1]) * factor}m" if quantity.endswith("m") else str(float(quantity) * factor)


class PostgresDatabase(pulumi.ComponentResource):
    """One application's Postgres: Cluster, its user's Secret, ObjectStore, ScheduledBackup and network policy."""

    service: str
    """The read-write Service applications connect to (``<name>-rw``, CloudNativePG docs, "Service management")."""
    secret: str
    """The Secret with the application user's ``username`` and ``password``."""
    database: pulumi.CustomResource
    """The CloudNativePG ``Cluster``: what an application waits for."""

    def __init__(
        self,
        name: str,
        cluster_name: str,
        spec: PostgresSpec,
        cluster: Cluster,
        stage: Stage,
        *,
        depends_on: list[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:agnostics:PostgresDatabase", name, None, opts)
        if spec.retention_days < 1:
            raise ValueError(f"Postgres {cluster_name}: retention_days must be at least 1, got {spec.retention_days}")
        self.secret = f"{cluster_name}-app-user"
        # A cloud bucket's name is known only once the bucket exists: the specs that name it wait for it.
        target = spec.backup if isinstance(spec.backup, pulumi.Output) else pulumi.Output.from_input(spec.backup)

        def resolved(backup: BackupTarget) -> PostgresSpec:
            return replace(spec, backup=backup)

        password = generated_secret(
            f"{name}-app-user",
            secret_name=self.secret,
            namespace=spec.namespace,
            keys=["password"],
            settings={"username": spec.owner},
            cluster=cluster,
            parent=self,
            depends_on=depends_on,
            protect=stage.is_prod,
        )
        store = custom_object(
            f"{name}-object-store",
            {
                "apiVersion": "barmancloud.cnpg.io/v1",
                "kind": "ObjectStore",
                "metadata": {"name": f"{cluster_name}-backup", "namespace": spec.namespace},
                "spec": target.apply(lambda b: object_store_spec(resolved(b))),
            },
            cluster,
            self,
            depends_on=depends_on,
        )
        self.database = database = custom_object(
            f"{name}-cluster",
            {
                "apiVersion": "postgresql.cnpg.io/v1",
                "kind": "Cluster",
                "metadata": {"name": cluster_name, "namespace": spec.namespace},
                "spec": target.apply(lambda b: cluster_spec(cluster_name, resolved(b), stage, self.secret)),
            },
            cluster,
            self,
            depends_on=[*depends_on, password.ready, store],
            protect=stage.is_prod,
        )
        self.schedule = custom_object(
            f"{name}-schedule",
            {
                "apiVersion": "postgresql.cnpg.io/v1",
                "kind": "ScheduledBackup",
                "metadata": {"name": f"{cluster_name}-daily", "namespace": spec.namespace},
                "spec": scheduled_backup_spec(cluster_name, spec),
            },
            cluster,
            self,
            depends_on=[database],
        )
        policy = {
            "apiVersion": "cilium.io/v2",
            "kind": "CiliumNetworkPolicy",
            "metadata": _policy_metadata(cluster_name, spec.namespace),
            "spec": target.apply(lambda b: instance_policy(cluster_name, resolved(b))["spec"]),
        }
        self.policy = custom_object(f"{name}-policy", policy, cluster, self, depends_on=depends_on)
        self.service = f"{cluster_name}-rw"
        self.register_outputs({"service": self.service, "secret": self.secret})
