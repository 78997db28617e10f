"""The whole K8TRE: three layers wired in one direction, config -> infrastructure -> agnostics -> applications."""

from __future__ import annotations

import pulumi

from . import topology
from .agnostics import AgnosticsLayer
from .applications import ApplicationLayer
from .config import ConfigError, K8treConfig, load_running_stack
from .infrastructure import InfrastructureLayer
from .outputs import secret_text
from .stage import Stage


class K8tre:
    """Builds the three layers for one environment and exposes what the stack exports."""

    def __init__(self, name: str, config: K8treConfig) -> None:
        self.config = config
        self.stage = Stage.from_config(config)
        self.infrastructure = InfrastructureLayer(f"{name}-infra", config, self.stage)
        cluster = self.infrastructure.cluster
        self.agnostics = AgnosticsLayer(f"{name}-agnostics", cluster, config, self.stage)
        self.applications: ApplicationLayer | None = None
        if config.role == "management":
            # The management cluster runs the shared Argo CD; the environments registered with it bring their own
            # AppProjects and Applications. It delivers nothing of its own (config forbids research data here).
            topology.open_registered_clusters(f"{name}-agnostics", config, self.agnostics)
            return
        platform = topology.register(f"{name}-agnostics", config, self.stage, self.agnostics)
        # The applications get the cluster as the agnostics layer leaves it: with the secret store installed, so a
        # generated password (generated_secret) can be delivered to them too.
        self.applications = ApplicationLayer(f"{name}-apps", self.agnostics.cluster, platform, config, self.stage)
        topology.grant(f"{name}-agnostics", config, self.agnostics, self.applications)

    def export(self) -> None:
        """Publish the stack outputs; the kubeconfig stays a secret."""
        cluster = self.infrastructure.cluster
        pulumi.export("environment", self.stage.environment)
        pulumi.export("cloud", cluster.cloud)
        pulumi.export("clusterName", cluster.name)
        pulumi.export("kubernetesVersion", cluster.kubernetes_version)
        pulumi.export("kubeconfig", secret_text(cluster.kubeconfig))
        pulumi.export("domain", self.stage.domain)
        pulumi.export("role", self.config.role)
        if self.config.management is None:
            # A registered environment runs no Argo CD: its applications live in the management stack's.
            pulumi.export("argocdNamespace", self.agnostics.platform.argocd_namespace)
        else:
            pulumi.export("registration", topology.registration_name(self.config))
        pulumi.export("applications", self.applications.applications if self.applications else [])
        if self.config.registered_clusters:
            # What the shared Argo CD may reach (its flows are judged against this).
            pulumi.export("registeredClusters", [c.model_dump(by_alias=True) for c in self.config.registered_clusters])
        for name, value in cluster.exports.items():
            pulumi.export(name, value)


def main() -> None:
    """Entry point of the Pulumi program: validate config first, so a bad file registers nothing."""
    try:
        config = load_running_stack()
    except ConfigError as error:
        # RunError ends the program with the message alone: a user's mistake gets no traceback.
        raise pulumi.RunError(str(error)) from None
    K8tre("k8tre", config).export()
