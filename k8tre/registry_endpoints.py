"""Which host names a node must reach to pull an image from a registry (the registry API and where it sends blobs).

A pull is more than the registry's own name: the registry answers blob requests with a redirect
(HTTP 307) to a storage or CDN host (Docker's registry API: "This endpoint may issue a 307
redirect to another service for downloading the layer"). A firewall that allows only the
registry's name lets the manifest through and stops the layers, and the pod never starts.
Each entry cites where its hosts are documented; a registry with no entry needs its own name.

Both sides use this table: the Azure hub firewall's application rules are built from the
registries the admission policy allows (``infrastructure/azure/firewall_rules.py``), and the
preflight rule ``azure-firewall-allows-image-registries`` judges every image the render
really runs (chart templates expanded) against the firewall rules the render writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

DOCKER_HUB_BLOBS: Final = (
    "production.cloudflare.docker.com",
    "docker-images-prod.6aa30f8b08e16409b46e0173d6de2f56.r2.cloudflarestorage.com",
)
"""Docker Hub's layer hosts (Docker docs, "Allowlist for Docker Desktop", rows "Docker Pull/Push":
https://docs.docker.com/desktop/setup/allow-list/)."""

REGISTRY_HOSTS: Final[Mapping[str, tuple[str, ...]]] = {
    # Docker docs (above): the registry, its token service, and its layer hosts.
    "docker.io": ("registry-1.docker.io", "auth.docker.io", *DOCKER_HUB_BLOBS),
    # Fluent Bit's registry is a CNAME of Docker Hub (fluent/helm-charts pull request 223): the TLS name a
    # firewall sees is cr.fluentbit.io, and the layers come from Docker Hub's hosts.
    "cr.fluentbit.io": ("cr.fluentbit.io", "auth.docker.io", *DOCKER_HUB_BLOBS),
    # Quay serves layers from numbered CDN hosts cdn.quay.io, cdn01.quay.io, cdn02.quay.io, ... (Red Hat's
    # OpenShift documentation, "Configuring your firewall", registry rows); the wildcard covers new ones.
    "quay.io": ("quay.io", "*.quay.io"),
    # GitHub's container registry redirects layers to pkg-containers.githubusercontent.com (the 307 is shown in
    # opencontainers/distribution-spec issue 299, https://github.com/opencontainers/distribution-spec/issues/299).
    "ghcr.io": ("ghcr.io", "pkg-containers.githubusercontent.com"),
    # registry.k8s.io redirects clients outside AWS to Google Artifact Registry (<region>-docker.pkg.dev); its
    # maintainers warn that the backends may change and recommend a mirror for allowlisted networks
    # (kubernetes/registry.k8s.io README.md, "Stability").
    "registry.k8s.io": ("registry.k8s.io", "*.pkg.dev"),
    # Microsoft's required outbound rules for AKS (learn.microsoft.com/azure/aks/outbound-rules-control-egress).
    "mcr.microsoft.com": ("mcr.microsoft.com", "*.data.mcr.microsoft.com", "mcr-0001.mcr-msedge.net"),
}
"""Registry host (as written in image references) -> every host a pull from it connects to over HTTPS."""


def registry_of(image: str) -> str:
    """The registry host of an image reference, as the container runtime resolves it.

    The first path component is a registry when it contains a ``.`` or ``:`` or is ``localhost``;
    otherwise the image is on Docker Hub (distribution/reference, ``normalize.go``: ``splitDockerDomain``).
    """
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return "docker.io" if first in ("index.docker.io", "registry-1.docker.io") else first
    return "docker.io"


def pull_hosts(registry: str) -> tuple[str, ...]:
    """Every host a pull from ``registry`` (a host, with an optional port and path) connects to."""
    host = registry.split("/", 1)[0].split(":", 1)[0]
    return REGISTRY_HOSTS.get(host, (host,))


def firewall_fqdns(registries: Iterable[str]) -> tuple[str, ...]:
    """The application-rule FQDNs that let nodes pull from each registry (sorted, once each).

    A firewall rule names hosts, not paths: allowing ``quay.io/cilium`` opens all of quay.io at the
    firewall (a Premium SKU's URL filtering with TLS inspection could do better); the admission policy
    is what narrows pulls to the allowed organisations.
    """
    return tuple(sorted({host for registry in registries for host in pull_hosts(registry)}))
