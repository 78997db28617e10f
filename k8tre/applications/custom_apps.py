"""Applications from the stack file: an operator adds a service without code, and it is checked like a built-in one.

Each gets its own ``restricted`` namespace (Pod Security), a network policy under the cluster's default
deny (its pods talk to each other, resolve and reach only their declared names, and are reached by the
Gateway only on the routed port), an Argo CD Application in its team's project (which the render
expands from the vendored chart, and which ``app-project`` and ``project-kinds`` judge), and an
HTTPRoute on the platform Gateway when it has a route.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from ..agnostics import Platform
from ..agnostics.network_policy import opening, service_policy
from ..agnostics.publish import publish
from ..chart_lock import locked_chart
from ..config.delivery import CustomApplication
from ..config.rules_delivery import effective_revision
from ..delivery import qualified
from ..infrastructure import Cluster
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from ..versions import ChartPin
from .app_projects import team_project_name
from .application import ArgoApplication, GitDirectory, HelmSource, application_spec
from .project import IN_CLUSTER

APP_LABEL = "k8tre.io/app"
"""Namespace label naming the application from config that lives there (the flow matrix reads it)."""
TEAM_LABEL = "k8tre.io/team"
"""Namespace label naming the team that owns it."""


def policy_name(app: str) -> str:
    """Name of the application's network policy (its egress names are read back from it by the flow matrix)."""
    return f"{app}-allow"


def argo_source(app: CustomApplication, default_revision: str | None) -> HelmSource | GitDirectory:
    """What Argo CD delivers: the locked chart at its exact version, or the Git directory at its revision."""
    if app.chart is not None:
        pin = ChartPin(app.chart.name, locked_chart(app.chart.name).repository, app.chart.version)
        return HelmSource(pin, app.name, dict(app.values))
    revision = effective_revision(app, default_revision)
    if app.git is None or revision is None:  # the config rules refuse both; kept for the type checker
        raise ValueError(f"application {app.name!r} has no source revision")
    return GitDirectory(app.git.repo, app.git.path, revision)


class CustomApp(pulumi.ComponentResource):
    """One application from config: namespace, policy, Argo CD Application, and route."""

    application: pulumi.Resource
    """The Argo CD Application (what another application's ``dependsOn`` waits for)."""

    def __init__(
        self,
        name: str,
        app: CustomApplication,
        cluster: Cluster,
        platform: Platform,
        stage: Stage,
        *,
        project: pulumi.Resource,
        default_revision: str | None,
        after: Mapping[str, pulumi.Resource],
        server: str = IN_CLUSTER,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:applications:CustomApp", name, None, opts)
        namespace = platform_namespace(
            f"{name}-ns",
            app.namespace,
            cluster,
            self,
            layer="applications",
            gateway_access=app.route is not None,
            extra_labels={APP_LABEL: app.name, TEAM_LABEL: app.team},
        )
        for policy in self._policies(app):
            custom_object(f"{name}-{policy['metadata']['name']}", policy, cluster, self, depends_on=[namespace])
        argo = ArgoApplication(
            f"{name}-app",
            app.name,
            application_spec(
                # On a management cluster's shared Argo CD the team's project carries this environment's prefix.
                qualified(platform.delivery, team_project_name(app.team)),
                app.namespace,
                argo_source(app, default_revision),
                server=server,
                automated=not stage.is_prod or app.prod_sync == "automated",
            ),
            cluster,
            platform,
            # Real dependencies only: its project, its namespace, and the applications it names.
            depends_on=[project, namespace, *(after[d] for d in app.depends_on)],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.application = argo.resource
        if app.route is not None:
            publish(
                f"{name}-route",
                gateway=platform.gateway,
                app=app.route.host,
                namespace=app.namespace,
                service=app.route.service,
                port=app.route.port,
                cluster=cluster,
                parent=self,
                depends_on=[namespace],
                plaintext_reason=app.route.plaintext_reason,
            )
        self.register_outputs({"namespace": app.namespace, "application": app.name})

    @staticmethod
    def _policies(app: CustomApplication) -> Sequence[dict[str, Any]]:
        policy = service_policy(app.namespace, app.name, egress_fqdns=app.egress_fqdns)
        policy["metadata"]["labels"][APP_LABEL] = app.name
        if app.route is None:
            return [policy]
        port = app.route.target_port or app.route.port
        why = f"{app.name}: the Gateway serves {app.route.host}.<domain> through port {port}"
        return [policy, opening(app.namespace, f"{app.name}-from-gateway", {}, "ingress", port, why)]
