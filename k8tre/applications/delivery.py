"""The teams' projects and the applications from config, in the order their real dependencies give."""

from __future__ import annotations

from graphlib import TopologicalSorter

import pulumi

from ..agnostics import Platform
from ..config.delivery import chart_repository
from ..config.layers import ApplicationsConfig
from ..infrastructure import Cluster
from ..stage import Stage
from .app_projects import Kind, parse_kind, team_project_name, team_project_spec
from .custom_apps import CustomApp
from .project import IN_CLUSTER, ArgoProject


class TeamDelivery(pulumi.ComponentResource):
    """One AppProject per team, and each application from config in its team's project."""

    applications: list[str]
    """Names of the Applications delivered."""

    def __init__(
        self,
        name: str,
        settings: ApplicationsConfig,
        cluster: Cluster,
        platform: Platform,
        stage: Stage,
        *,
        server: str = IN_CLUSTER,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:applications:TeamDelivery", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        projects: dict[str, pulumi.Resource] = {}
        for team in settings.teams:
            apps = [app for app in settings.apps if app.team == team.name]
            kinds: set[Kind] = {parse_kind(kind) for app in apps for kind in app.kinds}
            repos = [repo for app in apps if (repo := chart_repository(app))]
            spec = team_project_spec(team, repos, kinds, server=server)
            project = ArgoProject(f"{name}-{team.name}", team_project_name(team.name), spec, cluster, platform, opts=child)
            projects[team.name] = project.resource
        by_name = {app.name: app for app in settings.apps}
        # An application is created after the ones it depends on (Pulumi depends_on), not by sync wave.
        order = TopologicalSorter({app.name: set(app.depends_on) for app in settings.apps}).static_order()
        created: dict[str, pulumi.Resource] = {}
        for app_name in order:
            app = by_name[app_name]
            created[app_name] = CustomApp(
                f"{name}-app-{app_name}",
                app,
                cluster,
                platform,
                stage,
                project=projects[app.team],
                default_revision=settings.revision,
                after=created,
                server=server,
                opts=child,
            ).application
        self.applications = list(created)
        self.register_outputs({"applications": self.applications})
