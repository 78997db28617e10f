"""The management stack as an environment sees it: its cluster, Argo CD namespace and name, read by StackReference."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..config.management import ManagementLink


class ManagementCluster(pulumi.ComponentResource):
    """The management stack's outputs and a Kubernetes provider for its cluster.

    Nothing is configured twice: the kubeconfig (a secret output, kept secret through ``secretOutputNames``),
    the Argo CD namespace and the cluster's name are what the management stack exported
    (``k8tre.program.K8tre.export``).
    """

    provider: k8s.Provider
    """Creates this environment's Argo CD objects on the management cluster."""
    argocd_namespace: pulumi.Output[str]
    """Where the shared Argo CD watches Applications, AppProjects and cluster Secrets."""
    cluster_name: pulumi.Output[str]
    """The management cluster's name (for operators reading the registration)."""

    def __init__(self, name: str, link: ManagementLink, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("k8tre:agnostics:ManagementCluster", name, None, opts)
        reference = pulumi.StackReference(f"{name}-ref", stack_name=link.stack, opts=pulumi.ResourceOptions(parent=self))
        # require_output: a management stack that never exported these is an error at preview, not an empty value.
        kubeconfig = pulumi.Output.secret(reference.require_output("kubeconfig"))
        self.argocd_namespace = reference.require_output("argocdNamespace").apply(str)
        self.cluster_name = reference.require_output("clusterName").apply(str)
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=kubeconfig.apply(str),
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"argocdNamespace": self.argocd_namespace, "clusterName": self.cluster_name})
