"""The whole K8TRE: three layers wired in one direction, config -> infrastructure -> agnostics -> applications."""

from __future__ import annotations

import pulumi

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
        # The applications get the cluster as the agnostics layer leaves it: with the secret store installed, so a
        # generated password (generated_secret) can be delivered to them too.
        self.applications = ApplicationLayer(f"{name}-apps", self.agnostics.cluster, self.agnostics.platform, config, self.stage)

    def export(self) -> None:
        """Publish the stack outputs; the kubeconfig stays a secret."""
        cluster = self.infrastructure.cluster
        pulumi.export("environment", self.stage.environment)
        pulumi.export("cloud", cluster.cloud)
        pulumi.export("clusterName", cluster.name)
        pulumi.export("kubernetesVersion", cluster.kubernetes_version)
        pulumi.export("kubeconfig", secret_text(cluster.kubeconfig))
        pulumi.export("domain", self.stage.domain)
        pulumi.export("argocdNamespace", self.agnostics.platform.argocd_namespace)
        pulumi.export("applications", self.applications.applications)
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
