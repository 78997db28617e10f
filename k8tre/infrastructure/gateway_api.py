"""The Gateway API CRDs, installed before Cilium so that its Gateway controller starts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from ..versions import GATEWAY_API_VERSION, gateway_api_manifests
from .cluster import ProvisionedCluster

# libyaml's parser when PyYAML has it: the standard channel alone is 700 kB of schema.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def crd_documents(files: Sequence[Path]) -> list[dict[str, Any]]:
    """Every CustomResourceDefinition in the vendored manifests, in file order; anything else is refused."""
    documents: list[dict[str, Any]] = []
    for path in files:
        for document in yaml.load_all(path.read_text(encoding="utf-8"), Loader=_LOADER):
            if not document:
                continue
            if document.get("kind") != "CustomResourceDefinition":
                raise ValueError(f"{path.name}: expected only CustomResourceDefinitions, found a {document.get('kind')}")
            documents.append(document)
    return documents


class GatewayApiCrds(pulumi.ComponentResource):
    """The pinned Gateway API CRDs: Cilium enables its Gateway controller only if they exist.

    Each CRD is its own resource, read from the vendored manifests (``charts/manifests/``,
    digests in ``charts/lock.yaml``) rather than applied from a URL: what is installed is
    what was reviewed, an air-gapped site needs no download, and the offline render sees
    (and checks) every CRD. The children were a ``yaml/v2 ConfigFile`` per URL before;
    nothing had been deployed with those URNs, so no aliases carry them over.
    """

    resources: Sequence[pulumi.Resource]
    """What Cilium must wait for."""

    def __init__(self, name: str, cluster: ProvisionedCluster, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("k8tre:infrastructure:GatewayApiCrds", name, None, opts)
        self.version = GATEWAY_API_VERSION
        self.resources = [
            k8s.apiextensions.v1.CustomResourceDefinition(
                f"{name}-{document['metadata']['name']}",
                metadata=document["metadata"],
                spec=document["spec"],
                opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=list(cluster.ready)),
            )
            for document in crd_documents(gateway_api_manifests())
        ]
        self.register_outputs({"version": GATEWAY_API_VERSION})
