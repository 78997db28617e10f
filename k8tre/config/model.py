"""The root of the stack configuration and its cross-field rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Self

from pydantic import model_validator

from ..chart_lock import locked_versions
from .alerting import alerting_issues
from .base import K8treModel
from .cluster import ClusterConfig
from .costs import costs_issues
from .guardrails import AcceptedRisk, guard_rail_issues
from .layers import AgnosticsConfig, ApplicationsConfig, VersionOverrides
from .management import ManagementLink, RegisteredCluster, Role, management_issues
from .rules_clusters import cluster_issues
from .rules_delivery import delivery_issues
from .rules_network import network_issues
from .rules_projects import project_issues
from .secrets import Secrets
from .types import DnsLabel, DnsName, Environment


class ConfigRuleError(ValueError):
    """Cross-field rule failures, each as (dotted key path, message)."""

    def __init__(self, issues: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {msg}" for path, msg in issues))
        self.issues = issues


class K8treConfig(K8treModel):
    """Everything a stack file says about one K8TRE environment."""

    environment: Environment
    """Promotion stage: dev, stg or prod."""
    name: DnsLabel = "k8tre"
    """Short name used as the prefix of cloud resource names."""
    domain: DnsName
    """DNS domain the environment's services are published under."""
    cluster: ClusterConfig
    """The Kubernetes cluster and its cloud."""
    agnostics: AgnosticsConfig = AgnosticsConfig()
    """Platform services."""
    applications: ApplicationsConfig = ApplicationsConfig()
    """User-facing services."""
    versions: VersionOverrides = VersionOverrides()
    """Chart version overrides."""
    accepted_risks: tuple[AcceptedRisk, ...] = ()
    """Prod guard rails this stack deliberately does not meet, each with a reason and an approver."""
    secrets: Secrets = Secrets()
    """Secret config keys (top-level ``secure:`` values)."""
    role: Role = "environment"
    """``environment`` (a TRE), or ``management``: the cluster that runs the shared Argo CD environments register with."""
    management: ManagementLink | None = None
    """The management stack this environment registers its cluster with; without one it runs Argo CD itself."""
    registered_clusters: tuple[RegisteredCluster, ...] = ()
    """Management stacks: the environment clusters whose API servers the shared Argo CD may reach."""

    @property
    def is_prod(self) -> bool:
        """Production gets the strict defaults: HA, encryption, protection."""
        return self.environment == "prod"

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Self:
        issues = [
            *network_issues(self),
            *cluster_issues(self),
            *_platform_issues(self),
            *guard_rail_issues(self),
            *management_issues(self),
            *delivery_issues(self),
            *project_issues(self),
        ]
        issues += alerting_issues(self)
        issues += costs_issues(self)
        if issues:
            raise ConfigRuleError(issues)
        return self


def _platform_issues(config: K8treConfig) -> Iterator[tuple[str, str]]:
    if config.cluster.cilium.encryption == "none" and config.is_prod:
        yield "cluster.cilium.encryption", "must not be 'none' in prod: traffic between nodes is encrypted (SATRE 2.8.03)"
    agn = config.agnostics.cert_manager
    if agn.issuer != "selfsigned" and agn.acme_email is None:
        yield "agnostics.certManager.acmeEmail", f"is required when agnostics.certManager.issuer is {agn.issuer!r}"
    if config.is_prod and agn.issuer == "selfsigned":
        yield "agnostics.certManager.issuer", "must be an ACME issuer in prod, not 'selfsigned'"
    sso, oidc_secret = config.agnostics.argocd.sso, config.secrets.argocd_oidc_client_secret
    if sso is not None and oidc_secret is None:
        yield (
            "argocdOidcClientSecret",
            "is required with agnostics.argocd.sso: set it with `pulumi config set --secret k8tre:argocdOidcClientSecret`",
        )
    if sso is None and oidc_secret is not None:
        yield "argocdOidcClientSecret", "is set, but agnostics.argocd.sso is not: configure SSO or remove the secret"
    names = [project.name for project in config.applications.projects]
    for i, name in enumerate(names):
        if names.index(name) != i:
            yield f"applications.projects[{i}].name", f"{name!r} is used by more than one project"
    if config.applications.jupyterhub.singleuser_tag == "latest":
        yield "applications.jupyterhub.singleuserTag", "must be a pinned tag, not 'latest'"
    registries = config.agnostics.admission.allowed_registries
    image = config.applications.jupyterhub.singleuser_image
    if config.applications.jupyterhub.enabled and not any(image.startswith(prefix + "/") for prefix in registries):
        # The admission policy would refuse every notebook at spawn time, long after `pulumi up` succeeded.
        yield (
            "applications.jupyterhub.singleuserImage",
            f"{image!r} is not from a registry in agnostics.admission.allowedRegistries ({', '.join(registries)})",
        )
    for chart, version in config.versions.charts.items():
        # What is installed is what was reviewed: a version without a vendored, digest-locked archive in
        # charts/ would be fetched unreviewed (and could not be expanded and checked offline).
        available = locked_versions(chart)
        if version not in available:
            yield (
                f"versions.charts.{chart}",
                f"{version!r} has no vendored archive in charts/lock.yaml (locked: {', '.join(sorted(available)) or 'none'}); "
                "vendor and lock it first",
            )
