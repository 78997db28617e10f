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


_CRON = r"^\S+ \S+ \S+ \S+ \S+$"


class BackupSettings(K8treModel):
    """Velero's scheduled backups of the namespaces that hold research data, and the object store they go to."""

    schedule: Annotated[str, Field(pattern=_CRON)] = "0 2 * * *"
    """When the daily backup runs: a five-field cron expression in the cluster's time zone (UTC)."""
    retention_days: Annotated[int, Field(ge=7, le=3650)] | None = None
    """Days each backup is kept; default 30 in dev, 90 in stg, 365 in prod (the audit retention, SATRE 2.5.03)."""
    store_size_gib: Annotated[int, Field(ge=10, le=65536)] = 200
    """Size of each SeaweedFS volume server's disk, where the cluster runs its own object store (K3s)."""


class AgnosticsConfig(K8treModel):
    """Platform services installed on every cloud."""

    cert_manager: CertManagerSettings = CertManagerSettings()
    """Certificate issuance."""
    argocd: ArgoCdSettings = ArgoCdSettings()
    """Argo CD."""
    backups: BackupSettings = BackupSettings()
    """Scheduled backups (Velero) and, where the cloud has none, the in-cluster object store."""


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
