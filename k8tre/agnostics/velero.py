"""Velero: scheduled backups of the namespaces that hold research data, to the platform's object store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

import pulumi

from ..config.layers import BackupSettings
from ..flows.expect import Expect, FlowContext, PodsOf, allow, deny
from ..flows.model import Entity, Fqdn
from ..helm import helm_release
from ..infrastructure import Cluster, ObjectStore
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from ..versions import ChartPin
from .backup_schedules import retention_days, schedule_spec
from .catalogue import Render, ServiceEntry, kinds, releases
from .network_policy import service_policy
from .seaweedfs import NAMESPACE as SEAWEEDFS_NAMESPACE
from .seaweedfs import S3_LABELS, S3_PORT, SeaweedFs
from .velero_values import LOCATION, velero_values

NAMESPACE = "velero"
POD_LABELS = {"app.kubernetes.io/name": "velero"}
"""Labels on the Velero server and node agent pods (velero chart, ``templates/deployment.yaml`` and
``templates/node-agent-daemonset.yaml``)."""
METRICS_PORT = 8085
POD_SECURITY_REASON = (
    "Velero's node agent backs up and restores volumes file by file: it mounts the kubelet's pod directories "
    "(hostPath /var/lib/kubelet/pods) and reads every pod's files as root, which baseline forbids"
)


def backup_hosts(location: Mapping[str, Any]) -> tuple[str, ...]:
    """The hosts a BackupStorageLocation makes Velero contact, from the location alone.

    Azure: the host of ``storageAccountURI``; S3 with an ``s3Url``: that URL's host (in the cluster:
    no egress); AWS S3: the bucket's virtual-hosted names in its region, IPv4 and dual-stack (S3 docs,
    "Virtual hosting of general purpose buckets"; "Using dual-stack endpoints"): the plugin's AWS SDK
    uses the first, Kopia's minio-go client the second by default.
    """
    config = location.get("config") or {}
    if location.get("provider") == "azure":
        return (urlparse(str(config.get("storageAccountURI", ""))).hostname or "",)
    if config.get("s3Url"):
        return ()
    bucket, region = location.get("bucket"), config.get("region")
    return (f"{bucket}.s3.{region}.amazonaws.com", f"{bucket}.s3.dualstack.{region}.amazonaws.com")


def velero_flows(context: FlowContext) -> list[Expect]:
    """Velero reaches the API server and its object store, and nothing publishes it."""
    if not context.velero:
        return []
    velero = PodsOf(NAMESPACE, POD_LABELS, "velero")
    flows = [
        allow(velero, Entity("kube-apiserver"), 443, "Velero reads and restores every resource"),
        deny(Entity("ingress"), velero, METRICS_PORT, "Velero is not published"),
    ]
    flows += [allow(velero, Fqdn(host), 443, "backups are written to the object store") for host in context.backup_hosts]
    flows += [
        deny(PodsOf(p.namespace, {}, p.namespace), velero, METRICS_PORT, "projects never reach Velero") for p in context.projects
    ]
    return flows


def _variant(render: Render) -> str:
    described = []
    for release in releases(render, "velero"):
        values = release.get("values") or {}
        configuration = values.get("configuration") or {}
        for location in configuration.get("backupStorageLocation") or []:
            config = location.get("config") or {}
            if location.get("provider") == "azure":
                where = "Azure Blob container, workload identity" if config.get("useAAD") == "true" else "Azure Blob container"
            elif config.get("s3Url"):
                where = f"S3 at {config['s3Url']}, key pair"
            else:
                where = "S3 bucket, pod identity"
            mode = "file-system backup (node agent)" if values.get("deployNodeAgent") else "no volume data"
            described.append(f"{where}; {mode}")
    for schedule in kinds(render, "Schedule"):
        spec = schedule.get("spec") or {}
        described.append(f"schedule `{spec.get('schedule')}`, kept {(spec.get('template') or {}).get('ttl')}")
    return "; ".join(described)


ENTRY = ServiceEntry(
    name="Velero",
    gives="scheduled backups of every namespace holding research data (volumes included) and a tested restore",
    charts=("velero",),
    flows="API server; the object store (cloud endpoint on 443, or SeaweedFS S3 on 8333); Pod Identity agent on EKS",
    variant=_variant,
)


class Velero(pulumi.ComponentResource):
    """The Velero release, its storage location, its daily schedule and its network policy."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        pin: ChartPin,
        settings: BackupSettings,
        stage: Stage,
        store: ObjectStore,
        seaweedfs: SeaweedFs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:agnostics:Velero", name, None, opts)
        namespace = platform_namespace(
            f"{name}-ns",
            NAMESPACE,
            cluster,
            self,
            layer="agnostics",
            pod_security="privileged",
            pod_security_reason=POD_SECURITY_REASON,
        )
        needs: list[pulumi.Resource] = [namespace]
        if seaweedfs is not None:
            needs.append(seaweedfs.grant(NAMESPACE, depends_on=[namespace]).ready)
        self.release = helm_release(
            f"{name}-release",
            release_name="velero",
            pin=pin,
            namespace=namespace.metadata.name,
            values=velero_values(store),
            opts=cluster.opts(self, depends_on=needs[1:]),
        )
        custom_object(f"{name}-policy", _policy(store, seaweedfs is not None), cluster, self, depends_on=[namespace])
        days = retention_days(stage, settings.retention_days)
        self.schedule = custom_object(
            f"{name}-daily",
            {
                "apiVersion": "velero.io/v1",
                "kind": "Schedule",
                "metadata": {"name": "daily", "namespace": NAMESPACE},
                "spec": schedule_spec(settings.schedule, days, LOCATION),
            },
            cluster,
            self,
            depends_on=[self.release],  # the Schedule kind exists once the chart has installed its CRDs
        )
        self.register_outputs({"namespace": NAMESPACE, "retentionDays": days})


def _policy(store: ObjectStore, in_cluster: bool) -> dict[str, Any]:
    """Under default deny: the API server, the store's hosts over HTTPS, and the identity's endpoints."""
    extra: list[dict[str, Any]] = []
    if store.identity_cidrs:
        extra.append({"toCIDR": list(store.identity_cidrs), "toPorts": [{"ports": [{"port": "80", "protocol": "TCP"}]}]})
    if in_cluster:
        peer = {"matchLabels": {"k8s:io.kubernetes.pod.namespace": SEAWEEDFS_NAMESPACE, **S3_LABELS}}
        extra.append({"toEndpoints": [peer], "toPorts": [{"ports": [{"port": str(S3_PORT), "protocol": "TCP"}]}]})
    spec = pulumi.Output.all(*store.hosts).apply(
        lambda hosts: service_policy(
            NAMESPACE, "velero", egress_fqdns=[*hosts, *store.identity_hosts], api_server=True, extra_egress=extra
        )["spec"]
    )
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": _metadata(), "spec": spec}


def _metadata() -> dict[str, Any]:
    return {"name": "velero-allow", "namespace": NAMESPACE, "labels": {"k8tre.io/policy": "service"}}
