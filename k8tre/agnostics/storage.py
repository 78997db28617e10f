"""The platform's storage classes, ``rwo-default`` and ``rwx-default``, on whatever storage the cloud has.

Which CSI driver provisions each class, with which parameters, comes from ``Cluster.platform.storage``
(``StorageFacts``); this module adds what every class must have on every cloud: encryption at rest,
``Retain`` in prod, expansion, late binding for zonal volumes, and the one default class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..flows.expect import Expect, FlowContext, PodsOf, allow, deny
from ..flows.model import Entity
from ..helm import helm_release
from ..infrastructure import Cluster
from ..infrastructure.cluster import StorageClassFacts, StorageDriver
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from ..versions import ChartName, ChartPin
from .catalogue import Render, ServiceEntry, kinds, releases
from .generated_secret import GeneratedSecret, generated_secret
from .network_policy import service_policy
from .storage_drivers import driver_values

RWO_CLASS = "rwo-default"
"""Block storage one pod mounts at a time: the cluster's default class."""
RWX_CLASS = "rwx-default"
"""Shared file storage many pods mount at once."""
DEFAULT_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
"""The annotation that makes a class the default (Kubernetes docs, "Storage Classes", default StorageClass)."""
KEY_SECRET = "storage-volume-key"  # noqa: S105 - the Secret's name
"""The Secret holding the volume encryption key, in the drivers' namespace."""
KEY_SETTINGS = {"CRYPTO_KEY_PROVIDER": "secret", "CRYPTO_KEY_CIPHER": "aes-xts-plain64", "CRYPTO_KEY_HASH": "sha256"}
"""LUKS settings next to the generated passphrase ``CRYPTO_KEY_VALUE`` (Longhorn docs, "Volume Encryption")."""
_CSI_SECRET_PARAMETERS = ("provisioner", "node-publish", "node-stage", "node-expand")
"""The CSI secret parameters a driver reads its key from (Kubernetes CSI docs, "StorageClass Secrets")."""
ADMISSION_PORTS = (9501, 9502, 9503)
"""Longhorn manager's conversion, admission and recovery webhooks, called by the API server (chart ``services.yaml``)."""
NFS_PORT = 2049


def storage_class(
    name: str, facts: StorageClassFacts, stage: Stage, *, default: bool, key: GeneratedSecret | None
) -> dict[str, Any]:
    """One class as a Kubernetes object: the cloud's driver and parameters, the platform's policies.

    ``Retain`` in prod: deleting a claim (or the namespace holding it) must never delete research data
    with it; an operator deletes a released volume deliberately. Elsewhere ``Delete`` keeps test
    environments from piling up orphaned disks. Zonal volumes bind where the pod is scheduled
    (``WaitForFirstConsumer``: Kubernetes docs, "Storage Classes", volume binding mode).
    """
    parameters: dict[str, Any] = dict(facts.parameters)
    if facts.key_secret:
        if key is None:
            raise ValueError(f"storage class {name}: the cloud asks for a generated key but none was made")
        for part in _CSI_SECRET_PARAMETERS:
            parameters[f"csi.storage.k8s.io/{part}-secret-name"] = key.name
            parameters[f"csi.storage.k8s.io/{part}-secret-namespace"] = key.namespace
    body: dict[str, Any] = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name, "annotations": {DEFAULT_ANNOTATION: "true" if default else "false"}},
        "provisioner": facts.provisioner,
        "parameters": parameters,
        "reclaimPolicy": "Retain" if stage.is_prod else "Delete",
        "allowVolumeExpansion": True,
        "volumeBindingMode": "WaitForFirstConsumer" if facts.zonal else "Immediate",
    }
    if facts.mount_options:
        body["mountOptions"] = list(facts.mount_options)
    return body


def driver_policy(namespace: str, service: str) -> dict[str, Any]:
    """A storage driver's namespace under default deny: its pods, the API server both ways, NFS from the nodes.

    The API server calls Longhorn manager's webhooks; the nodes' kernels mount RWX volumes from the
    share managers over NFS (entities ``host`` and ``remote-node``).
    """
    policy = service_policy(namespace, service, api_server=True)
    policy["spec"]["ingress"] += [
        {
            "fromEntities": ["kube-apiserver"],
            "toPorts": [{"ports": [{"port": str(p), "protocol": "TCP"} for p in ADMISSION_PORTS]}],
        },
        {"fromEntities": ["host", "remote-node"], "toPorts": [{"ports": [{"port": str(NFS_PORT), "protocol": "TCP"}]}]},
    ]
    return policy


LONGHORN_NAMESPACE = "longhorn-system"
"""Where the K3s storage facts put Longhorn."""


def storage_flows(context: FlowContext) -> list[Expect]:
    """Longhorn's needs where it runs: the API server both ways; its webhooks never published."""
    if not context.longhorn:
        return []
    manager = PodsOf(LONGHORN_NAMESPACE, {"app": "longhorn-manager"}, "longhorn-manager")
    return [
        allow(manager, Entity("kube-apiserver"), 443, "the manager reconciles volumes"),
        allow(Entity("kube-apiserver"), manager, 9502, "the API server calls Longhorn's admission webhook"),
        allow(Entity("kube-apiserver"), manager, 9501, "the API server calls Longhorn's conversion webhook"),
        deny(Entity("ingress"), manager, 9502, "Longhorn's webhooks are not published"),
        deny(Entity("ingress"), manager, 9500, "Longhorn's API (volume control) is not published"),
    ]


def _storage_variant(render: Render) -> str:
    """Each platform class's provisioner as rendered, and the driver charts installed."""
    described = sorted(
        f"{c['metadata']['name']}: {c.get('provisioner')}"
        for c in kinds(render, "StorageClass")
        if c["metadata"]["name"] in (RWO_CLASS, RWX_CLASS)
    )
    charts = [r["chart"] for chart in ("longhorn", "aws-ebs-csi-driver", "aws-efs-csi-driver") for r in releases(render, chart)]
    return "; ".join(described) + (f" (charts: {', '.join(charts)})" if charts else " (the cloud's own CSI drivers)")


ENTRY = ServiceEntry(
    name="Storage classes",
    gives="`rwo-default` (the default class, block) and `rwx-default` (shared files): encrypted, expandable, Retain in prod",
    charts=("longhorn", "aws-ebs-csi-driver", "aws-efs-csi-driver"),
    flows="Longhorn (K3s): its pods to each other, API server both ways (webhooks), NFS from the nodes",
    variant=_storage_variant,
)


class StorageClasses(pulumi.ComponentResource):
    """The storage drivers the cloud needs, the two platform classes, and the cloud's default demoted."""

    classes: list[k8s.storage.v1.StorageClass]
    """``rwo-default`` and ``rwx-default``: what a PVC or a Helm chart's persistence waits for."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        pins: Mapping[ChartName, ChartPin],
        stage: Stage,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:agnostics:StorageClasses", name, None, opts)
        self._name, self._cluster = name, cluster
        facts = cluster.platform.storage
        drivers = self._drivers(facts.drivers, pins, stage)
        key = self._key(facts.drivers, drivers, stage) if facts.rwo.key_secret or facts.rwx.key_secret else None
        after = list(drivers.values())
        self.classes = [
            self._class(RWO_CLASS, storage_class(RWO_CLASS, facts.rwo, stage, default=True, key=key), after, key),
            self._class(RWX_CLASS, storage_class(RWX_CLASS, facts.rwx, stage, default=False, key=key), after, key),
        ]
        for index, demoted in enumerate(facts.cloud_default_classes):
            # Server-side apply of the annotation alone; force takes the field from the cloud's manager.
            k8s.storage.v1.StorageClassPatch(
                f"{name}-demote-{index}",
                metadata=k8s.meta.v1.ObjectMetaPatchArgs(
                    name=demoted,
                    annotations={DEFAULT_ANNOTATION: "false", "pulumi.com/patchForce": "true"},
                ),
                opts=cluster.opts(self),
            )
        self.register_outputs({"classes": [RWO_CLASS, RWX_CLASS]})

    def _drivers(
        self, drivers: Sequence[StorageDriver], pins: Mapping[ChartName, ChartPin], stage: Stage
    ) -> dict[str, k8s.helm.v3.Release]:
        installed: dict[str, k8s.helm.v3.Release] = {}
        for driver in drivers:
            after: list[pulumi.Resource] = []
            if driver.namespace != "kube-system":
                namespace = platform_namespace(
                    f"{self._name}-{driver.chart}-ns",
                    driver.namespace,
                    self._cluster,
                    self,
                    layer="agnostics",
                    pod_security="privileged",
                    pod_security_reason=f"{driver.chart}: its node plugin mounts host devices and runs privileged",
                )
                after.append(namespace)
                policy = driver_policy(driver.namespace, driver.chart)
                custom_object(f"{self._name}-{driver.chart}-policy", policy, self._cluster, self, depends_on=[namespace])
            installed[driver.namespace] = helm_release(
                f"{self._name}-{driver.chart}",
                release_name=driver.chart,
                pin=pins[driver.chart],
                namespace=driver.namespace,
                values=driver_values(driver.chart, stage, driver.values),
                # Removing a driver strands (Longhorn: deletes) every volume it serves: protected in prod.
                opts=stage.stateful(self._cluster.opts(self, depends_on=after)),
            )
        return installed

    def _key(self, drivers: Sequence[StorageDriver], releases_: Mapping[str, pulumi.Resource], stage: Stage) -> GeneratedSecret:
        """The volumes' passphrase: without it no encrypted volume opens again, so it is protected in prod."""
        if not drivers:
            raise ValueError("the cloud's storage classes ask for a generated key, but it names no driver to hold it")
        namespace = drivers[0].namespace
        return generated_secret(
            f"{self._name}-key",
            secret_name=KEY_SECRET,
            namespace=namespace,
            keys=["CRYPTO_KEY_VALUE"],
            settings=KEY_SETTINGS,
            cluster=self._cluster,
            parent=self,
            length=64,
            depends_on=[releases_[namespace]],
            protect=stage.is_prod,
        )

    def _class(
        self, name: str, body: Mapping[str, Any], after: Sequence[pulumi.Resource], key: GeneratedSecret | None
    ) -> k8s.storage.v1.StorageClass:
        metadata = body["metadata"]
        return k8s.storage.v1.StorageClass(
            f"{self._name}-{name}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=metadata["name"], annotations=metadata["annotations"]),
            provisioner=body["provisioner"],
            parameters=body["parameters"],
            reclaim_policy=body["reclaimPolicy"],
            allow_volume_expansion=body["allowVolumeExpansion"],
            volume_binding_mode=body["volumeBindingMode"],
            mount_options=body.get("mountOptions"),
            opts=self._cluster.opts(self, depends_on=[*after, *([key.ready] if key else [])]),
        )
