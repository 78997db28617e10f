"""Configuration of the agnostics and application layers, and version overrides."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..versions import ChartName
from .base import K8treModel
from .types import ChartVersion, Fqdn

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class CertManagerSettings(K8treModel):
    """How TLS certificates are issued."""

    issuer: Literal["selfsigned", "letsencrypt-staging", "letsencrypt"] = "selfsigned"
    """The default ClusterIssuer; ACME issuers need ``acmeEmail``."""
    acme_email: Annotated[str, Field(pattern=_EMAIL)] | None = None
    """Contact address registered with the ACME CA."""


class ArgoCdSettings(K8treModel):
    """The GitOps engine that delivers the application layer."""

    high_availability: bool | None = None
    """Run Argo CD's controllers replicated; default on in prod."""


RegistryPrefix = Annotated[
    str, Field(pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$")
]
"""A registry host (with an optional port) and optionally a path in it, e.g. ``quay.io/cilium``; no scheme, no
trailing slash. An image is allowed when it starts with the prefix followed by ``/``."""

ALLOWED_REGISTRIES: tuple[str, ...] = (
    "quay.io/cilium",
    "quay.io/jetstack",
    "quay.io/argoproj",
    "quay.io/jupyterhub",
    "quay.io/jupyter",
    "ecr-public.aws.com/docker/library",
)
"""Exactly where the pinned charts' images come from (every stack's ``images.txt``): Cilium, cert-manager
(Jetstack), Argo CD, JupyterHub and its notebook images on quay.io, and Argo CD's Redis and HAProxy from
the Docker official images on ECR Public. Organisations rather than whole registries: anyone can publish
to quay.io or ECR Public."""


class AdmissionSettings(K8treModel):
    """Admission guard rails (ValidatingAdmissionPolicies served by the API server)."""

    allowed_registries: Annotated[tuple[RegistryPrefix, ...], Field(min_length=1)] = ALLOWED_REGISTRIES
    """Registries (or registry paths) pods in the platform's namespaces may pull from; images must name their
    registry (``docker.io/library/busybox``, not ``busybox``). Point it at your mirror in an air-gapped site."""


class AgnosticsConfig(K8treModel):
    """Platform services installed on every cloud."""

    cert_manager: CertManagerSettings = CertManagerSettings()
    """Certificate issuance."""
    argocd: ArgoCdSettings = ArgoCdSettings()
    """Argo CD."""
    admission: AdmissionSettings = AdmissionSettings()
    """Admission guard rails."""


class JupyterHubSettings(K8treModel):
    """The researchers' notebook service."""

    enabled: bool = True
    """Deliver JupyterHub."""
    singleuser_image: str = "quay.io/jupyter/scipy-notebook"
    """The notebook image researchers start."""
    singleuser_tag: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")] = "2025-10-20"
    """Image tag; ``latest`` is refused so what runs is what was reviewed."""
    cpu_limit: Annotated[float, Field(gt=0, le=64)] = 2.0
    """CPU cores per notebook server."""
    memory_limit_gib: Annotated[int, Field(ge=1, le=512)] = 8
    """Memory per notebook server."""


class ProjectSettings(K8treModel):
    """A research project: its own namespace, isolated from every other project."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$")]
    """Project name; the namespace is ``project-<name>``."""
    egress_fqdns: tuple[Fqdn, ...] = ()
    """Internet names the project may reach over HTTPS (e.g. a package mirror); empty means none."""


class ApplicationsConfig(K8treModel):
    """User-facing services delivered by Argo CD."""

    jupyterhub: JupyterHubSettings = JupyterHubSettings()
    """JupyterHub."""
    projects: tuple[ProjectSettings, ...] = ()
    """Research projects, each isolated in its own namespace."""


class VersionOverrides(K8treModel):
    """Per-stack overrides of the pins in :mod:`k8tre.versions`."""

    charts: dict[ChartName, ChartVersion] = {}
    """Chart name to exact version."""
    chart_source: Literal["vendored", "upstream"] = "vendored"
    """Where Pulumi installs the platform charts from: the reviewed, digest-locked archives in ``charts/``
    (no chart repository needed, so air-gapped sites work), or the charts' upstream repositories."""
