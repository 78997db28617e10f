"""Creating a Kubernetes object the program has built as plain data (policies, routes, pools)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .infrastructure import Cluster


def custom_object(
    name: str,
    obj: Mapping[str, Any],
    cluster: Cluster,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
    protect: bool = False,
) -> k8s.apiextensions.CustomResource:
    """The object ``{apiVersion, kind, metadata, spec}`` as a resource on the cluster's provider.

    ``protect`` (from ``Stage.is_prod`` for objects holding state) makes Pulumi refuse to delete it.
    """
    metadata = {key: value for key, value in obj["metadata"].items() if key in ("name", "namespace", "labels", "annotations")}
    return k8s.apiextensions.CustomResource(
        name,
        api_version=str(obj["apiVersion"]),
        kind=str(obj["kind"]),
        metadata=k8s.meta.v1.ObjectMetaArgs(**metadata),
        spec=obj["spec"],
        opts=pulumi.ResourceOptions.merge(cluster.opts(parent, depends_on=depends_on), pulumi.ResourceOptions(protect=protect)),
    )
