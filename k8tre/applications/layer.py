"""The application layer: user-facing services as Argo CD Applications in restricted projects."""

from __future__ import annotations

import pulumi

from ..agnostics import Platform
from ..agnostics.argocd_realm import uses_realm
from ..config import K8treConfig
from ..infrastructure import Cluster
from ..stage import Stage
from ..versions import chart
from . import jupyterhub
from .app_projects import PLATFORM_PROJECT, platform_project_spec, research_project_spec
from .delivery import TeamDelivery
from .keycloak import Keycloak
from .project import IN_CLUSTER, ArgoProject
from .research_project import ResearchProject

RESEARCH_PROJECT = "research-apps"


class ApplicationLayer(pulumi.ComponentResource):
    """Creates the Argo CD projects (platform, research, teams) and the Applications in them."""

    applications: list[str]
    """Names of the Applications delivered."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        platform: Platform,
        config: K8treConfig,
        stage: Stage,
        opts: pulumi.ResourceOptions | None = None,
        server: str = IN_CLUSTER,
    ) -> None:
        super().__init__("k8tre:applications:ApplicationLayer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        pins = config.versions.charts
        hub = config.applications.jupyterhub
        sso = config.agnostics.argocd.sso
        admins = sso.admin_groups if sso is not None else ()
        self.applications = []
        ArgoProject(
            f"{name}-platform", PLATFORM_PROJECT, platform_project_spec(admins, server=server), cluster, platform, opts=child
        )
        project = ArgoProject(
            f"{name}-research",
            RESEARCH_PROJECT,
            research_project_spec(RESEARCH_PROJECT, chart("jupyterhub", pins).repository, hub.enabled, admins, server=server),
            cluster,
            platform,
            opts=child,
        )
        # JupyterHub serves the active projects that use it; a retired project keeps its data, not its workspaces.
        served = [p for p in config.applications.projects if hub.enabled and p.active and "jupyterhub" in p.applications]
        hub_component = None
        if hub.enabled:
            hub_component = jupyterhub.JupyterHub(
                f"{name}-jupyterhub",
                cluster,
                platform,
                project.resource,
                project.project_name,
                chart("jupyterhub", pins),
                hub,
                stage,
                served,
                opts=child,
            )
            self.applications.append("jupyterhub")
        self.projects = [
            ResearchProject(
                f"{name}-project-{project.name}",
                project,
                cluster,
                stage,
                hub,
                platform.storage_classes,
                jupyterhub.NAMESPACE if project in served else None,
                opts=child,
            )
            for project in config.applications.projects
        ]
        if config.applications.teams:
            teams = TeamDelivery(f"{name}-teams", config.applications, cluster, platform, stage, server=server, opts=child)
            self.applications += teams.applications
        if config.applications.keycloak.enabled:
            identity = Keycloak(
                f"{name}-keycloak",
                cluster,
                platform,
                chart("keycloakx", pins),
                config.applications.keycloak,
                [project.group for project in config.applications.projects],
                stage,
                admins,
                opts=child,
            )
            self.applications.append("keycloak")
            if hub_component is not None:
                # The hub's client secret, where jupyterhub.py reads it (OAUTH_SECRET, key client-secret).
                identity.deliver("jupyterhub", jupyterhub.NAMESPACE, cluster, [hub_component])
            if uses_realm(config) and config.management is None:
                # Argo CD signs in through the realm (agnostics.argocd_realm): its client secret goes to Argo CD.
                identity.deliver_argocd(platform.argocd_namespace, cluster, platform.ready)
        self.register_outputs({"applications": self.applications})
