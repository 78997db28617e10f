"""Configuration of the agnostics and application layers, and version overrides."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..versions import ChartName
from .alerting import AlertingSettings
from .base import K8treModel
from .costs import CostSettings
from .delivery import CustomApplication, GitRevision, TeamSettings
from .projects import Application, Decommission, ProjectQuota, ProjectVolumes, WorkspaceProfile
from .types import ChartVersion, Fqdn

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class CertManagerSettings(K8treModel):
    """How TLS certificates are issued."""

    issuer: Literal["selfsigned", "letsencrypt-staging", "letsencrypt"] = "selfsigned"
    """The default ClusterIssuer; ACME issuers need ``acmeEmail``."""
    acme_email: Annotated[str, Field(pattern=_EMAIL)] | None = None
    """Contact address registered with the ACME CA."""


_ISSUER_URL = r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$"
_OIDC_NAME = r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$"
_GROUP = r"^[^,\s][^,\r\n]{0,254}$"
"""A group name or ID as the claim carries it: no comma or line break, which would end its line of Argo CD's RBAC CSV."""


class ArgoCdSso(K8treModel):
    """Single sign-on to Argo CD through an OpenID Connect provider (Keycloak, Microsoft Entra ID, ...).

    The client secret is the top-level secret ``k8tre:argocdOidcClientSecret`` (``pulumi config set
    --secret``); it reaches Argo CD as a Kubernetes Secret, never through chart values.
    """

    issuer: Annotated[str, Field(pattern=_ISSUER_URL)]
    """The provider's issuer URL over HTTPS, e.g. ``https://login.microsoftonline.com/<tenant>/v2.0`` (Entra ID)
    or ``https://keycloak.<domain>/realms/<realm>`` (Keycloak)."""
    client_id: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^\S+$")]
    """The client (application) ID registered with the provider for ``https://argocd.<domain>/auth/callback``."""
    name: Annotated[str, Field(pattern=_OIDC_NAME)] = "SSO"
    """What the login button says."""
    groups_claim: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:/-]{1,128}$")] = "groups"
    """The ID-token claim that lists the user's groups (Keycloak: a ``groups`` mapper; Entra ID: the ``groups``
    claim of the app registration, which carries group object IDs)."""
    scopes: tuple[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:/-]{1,128}$")], ...] = ("openid", "profile", "email")
    """OIDC scopes requested; add ``groups`` where the provider has such a scope (Keycloak), not on Entra ID."""
    admin_groups: tuple[Annotated[str, Field(pattern=_GROUP)], ...] = ()
    """Groups (as the claim names them) whose members administer Argo CD (``role:admin``)."""
    readonly_groups: tuple[Annotated[str, Field(pattern=_GROUP)], ...] = ()
    """Groups whose members may look but not change (``role:readonly``); everyone else gets no role."""


class ArgoCdSettings(K8treModel):
    """The GitOps engine that delivers the application layer."""

    high_availability: bool | None = None
    """Run Argo CD replicated (redis-ha, two servers and repo servers, disruption budgets); default on in stg and prod."""
    sso: ArgoCdSso | None = None
    """Sign-in through OIDC; without it nobody can log in outside dev, where the built-in admin is off."""


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
    "quay.io/prometheus",
    "quay.io/prometheus-operator",
    "quay.io/kiwigrid",
    "ecr-public.aws.com/docker/library",
    "ghcr.io/external-secrets",
    "ghcr.io/cloudnative-pg",
    "ghcr.io/opencost",
    "ghcr.io/jkroepke",
    "registry.k8s.io/external-dns",
    "registry.k8s.io/kube-state-metrics",
    "cr.fluentbit.io/fluent",
    "docker.io/grafana",
    "docker.io/victoriametrics",
    "docker.io/velero",
    "docker.io/chrislusf",
    "docker.io/longhornio",
    "public.ecr.aws/csi-components",
    "public.ecr.aws/ebs-csi-driver",
    "public.ecr.aws/efs-csi-driver",
    "public.ecr.aws/eks",
    "quay.io/keycloak",
)
"""Exactly where the pinned charts' images come from (every stack's ``images.txt``, which includes the images
the Prometheus Operator starts from its custom resources), by organisation rather than whole registry: anyone
can publish to quay.io, ghcr.io, Docker Hub or ECR Public. Cilium, cert-manager (Jetstack), Argo CD, JupyterHub
and its notebooks, Prometheus and its operator and Grafana's sidecar (kiwigrid) on quay.io; Argo CD's Redis and
HAProxy from the Docker official images on ECR Public; External Secrets, CloudNativePG (its operator, plugin
and the PostgreSQL images it starts), OpenCost and kube-webhook-certgen on ghcr.io; external-dns and
kube-state-metrics on registry.k8s.io; fluent-bit on its own registry; Grafana, VictoriaLogs, Velero and its
plugins, SeaweedFS and Longhorn on Docker Hub; the EBS and EFS CSI drivers and their sidecars, and the AWS Load
Balancer Controller (AWS's ``eks`` organisation), on ECR Public; Keycloak on quay.io."""


class AdmissionSettings(K8treModel):
    """Admission guard rails (ValidatingAdmissionPolicies served by the API server)."""

    allowed_registries: Annotated[tuple[RegistryPrefix, ...], Field(min_length=1)] = ALLOWED_REGISTRIES
    """Registries (or registry paths) pods in the platform's namespaces may pull from; images must name their
    registry (``docker.io/library/busybox``, not ``busybox``). Point it at your mirror in an air-gapped site."""


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
    admission: AdmissionSettings = AdmissionSettings()
    """Admission guard rails."""
    backups: BackupSettings = BackupSettings()
    """Scheduled backups (Velero) and, where the cloud has none, the in-cluster object store."""
    alerting: AlertingSettings = AlertingSettings()
    """Where Alertmanager sends alerts, by severity (a receiver is required outside dev)."""
    costs: CostSettings = CostSettings()
    """OpenCost's price sheet."""


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
    member_group: Annotated[str, Field(pattern=_GROUP)] | None = None
    """Identity-provider group whose members work in this project; default ``project-<name>``."""
    quota: ProjectQuota = ProjectQuota()
    """What the project's namespace may consume in total (CPU, memory, GPUs, storage, volumes, pods)."""
    profiles: tuple[WorkspaceProfile, ...] | None = None
    """Workspaces members may start; default one profile from ``applications.jupyterhub`` (image, tag, size)."""
    volumes: ProjectVolumes = ProjectVolumes()
    """Sizes of the shared, input-data and per-member home volumes."""
    applications: tuple[Application, ...] = ("jupyterhub",)
    """Applications the project's members use; JupyterHub spawns into the project only when listed."""
    decommission: Decommission | None = None
    """Retiring the project: ``retain`` (its namespace and volumes are released from Pulumi and kept in the
    cluster when the entry is later removed) or ``delete`` (they are unprotected and deleted with the entry).
    Unset, the project is active and, in prod, its namespace and volumes are protected: removing it is refused."""

    @property
    def group(self) -> str:
        """The identity-provider group of the project's members (the realm creates it; JupyterHub filters on it)."""
        return self.member_group or f"project-{self.name}"

    @property
    def active(self) -> bool:
        """Whether members can work in the project (no decommission decision)."""
        return self.decommission is None

    def workspace_profiles(self, hub: JupyterHubSettings) -> tuple[WorkspaceProfile, ...]:
        """The project's profiles, or the one built from the JupyterHub settings."""
        if self.profiles is not None:
            return self.profiles
        # Built without validation: the JupyterHub settings were validated already, and a rule reports an
        # image that is not from an allowed registry (a raise here would hide every other problem).
        default = WorkspaceProfile.model_construct(
            name="default",
            display_name=None,
            image=hub.singleuser_image,
            tag=hub.singleuser_tag,
            cpu_request=min(0.5, hub.cpu_limit),
            cpu_limit=hub.cpu_limit,
            memory_request_gib=1.0,
            memory_limit_gib=float(hub.memory_limit_gib),
            gpus=0,
        )
        return (default,)


class KeycloakRealmSettings(K8treModel):
    """The TRE realm's session and sign-in policy (Keycloak realm settings; times in seconds)."""

    sso_session_idle_timeout: Annotated[int, Field(ge=300, le=28800)] = 1800
    """A session unused this long ends (``ssoSessionIdleTimeout``): 30 minutes, as an unattended desk must not stay signed in."""
    sso_session_max_lifespan: Annotated[int, Field(ge=3600, le=86400)] = 36000
    """A session ends after this long however active (``ssoSessionMaxLifespan``): a working day of 10 hours."""
    access_token_lifespan: Annotated[int, Field(ge=60, le=900)] = 300
    """How long an access token is honoured (``accessTokenLifespan``): short, so a disabled user loses access quickly."""
    password_min_length: Annotated[int, Field(ge=12, le=128)] = 14
    """Shortest password accepted (NCSC password guidance favours length over composition rules)."""
    brute_force_failures: Annotated[int, Field(ge=3, le=20)] = 5
    """Failed sign-ins before the account is temporarily locked (``failureFactor``)."""


class KeycloakSettings(K8treModel):
    """The TRE's identity provider: Keycloak with the ``k8tre`` realm, MFA required for every user."""

    enabled: bool = True
    """Deliver Keycloak (JupyterHub, and Argo CD and Grafana SSO when on, sign users in through it)."""
    realm: KeycloakRealmSettings = KeycloakRealmSettings()
    """Session timeouts, password and lockout policy of the ``k8tre`` realm."""
    database_size_gib: Annotated[int, Field(ge=1, le=1024)] = 10
    """Each database instance's volume."""
    backup_retention_days: Annotated[int, Field(ge=7, le=3650)] = 30
    """How long the database's base backups and WAL are kept."""


class ApplicationsConfig(K8treModel):
    """User-facing services delivered by Argo CD."""

    jupyterhub: JupyterHubSettings = JupyterHubSettings()
    """JupyterHub."""
    projects: tuple[ProjectSettings, ...] = ()
    """Research projects, each isolated in its own namespace."""
    revision: GitRevision | None = None
    """Default source revision of every Git-sourced application: a feature branch in a dev stack, a release tag or
    40-hex commit SHA in prod (branches and ``HEAD`` are refused there). An application's ``git.revision`` overrides it."""
    teams: tuple[TeamSettings, ...] = ()
    """Teams, each with its own Argo CD project (sources, namespaces, kinds, and the groups that may sync it)."""
    apps: tuple[CustomApplication, ...] = ()
    """Further applications delivered by Argo CD from this file, each in a team's project."""
    keycloak: KeycloakSettings = KeycloakSettings()
    """Keycloak, the identity provider (MFA required)."""


class VersionOverrides(K8treModel):
    """Per-stack overrides of the pins in :mod:`k8tre.versions`."""

    charts: dict[ChartName, ChartVersion] = {}
    """Chart name to exact version."""
    chart_source: Literal["vendored", "upstream"] = "vendored"
    """Where Pulumi installs the platform charts from: the reviewed, digest-locked archives in ``charts/``
    (no chart repository needed, so air-gapped sites work), or the charts' upstream repositories."""
