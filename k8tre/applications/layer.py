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
from .keycloak import Keycloak
from .project import ArgoProject, app_project_spec
from .research_project import ResearchProject

RESEARCH_PROJECT = "research-apps"


class ApplicationLayer(pulumi.ComponentResource):
    """Creates the Argo CD project for research applications and the Applications in it."""

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
    ) -> None:
        super().__init__("k8tre:applications:ApplicationLayer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        pins = config.versions.charts
        hub = config.applications.jupyterhub
        self.applications = []
        namespaces = [jupyterhub.NAMESPACE] if hub.enabled else []
        project = ArgoProject(
            f"{name}-research",
            RESEARCH_PROJECT,
            app_project_spec(
                "Research applications: no cluster-scoped resources, no changes to namespace guard rails",
                [chart("jupyterhub", pins).repository],
                namespaces,
            ),
            cluster,
            platform,
            opts=child,
        )
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
                opts=child,
            )
            self.applications.append("jupyterhub")
        self.projects = [
            ResearchProject(f"{name}-project-{project.name}", project, cluster, opts=child)
            for project in config.applications.projects
        ]
        if config.applications.keycloak.enabled:
            identity = Keycloak(
                f"{name}-keycloak",
                cluster,
                platform,
                chart("keycloakx", pins),
                config.applications.keycloak,
                [project.group for project in config.applications.projects],
                stage,
                opts=child,
            )
            self.applications.append("keycloak")
            if hub_component is not None:
                # The hub's client secret, where jupyterhub.py reads it (OAUTH_SECRET, key client-secret).
                identity.deliver("jupyterhub", jupyterhub.NAMESPACE, cluster, [hub_component])
            if uses_realm(config):
                # Argo CD signs in through the realm (agnostics.argocd_realm): its client secret goes to Argo CD.
                identity.deliver_argocd(platform.argocd_namespace, cluster, platform.ready)
        self.register_outputs({"applications": self.applications})
