"""A research project's namespace with its isolation policy (SATRE 2.2.10, 2.2.11)."""

from __future__ import annotations

import pulumi

from ..agnostics.network_policy import project_isolation_policy
from ..config.layers import ProjectSettings
from ..infrastructure import Cluster
from ..manifest import custom_object
from ..namespace import platform_namespace

PROJECT_LABEL = "k8tre.io/project"


def project_namespace(project: str) -> str:
    """The namespace that holds one project's workloads."""
    return f"project-{project}"


class ResearchProject(pulumi.ComponentResource):
    """One project's namespace, isolated from every other project, with egress only to its allowlist."""

    namespace: str
    """The project's namespace."""

    def __init__(
        self, name: str, settings: ProjectSettings, cluster: Cluster, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("k8tre:applications:ResearchProject", name, None, opts)
        self.namespace = project_namespace(settings.name)
        namespace = platform_namespace(
            f"{name}-ns",
            self.namespace,
            cluster,
            self,
            layer="applications",
            gateway_access=True,
            extra_labels={PROJECT_LABEL: settings.name},
        )
        policy = project_isolation_policy(self.namespace, settings.name, settings.egress_fqdns)
        self.policy = custom_object(f"{name}-isolation", policy, cluster, self, depends_on=[namespace])
        self.register_outputs({"namespace": self.namespace})
