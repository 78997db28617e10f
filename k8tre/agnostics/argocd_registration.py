"""Registering an environment cluster with the management stack's Argo CD.

Credentials: a dedicated ServiceAccount (``argocd-manager``, the name ``argocd cluster add`` uses) in the
environment cluster and a token Secret for it, rather than the clouds' exec plugins (``argocd-k8s-auth`` with
Azure workload identity or EKS IAM): a token works the same on AKS, EKS and K3s (K3s has no cloud identity) and
across clouds, and what it may do is plain Kubernetes RBAC that the render shows and the tests judge. The token
reaches Argo CD only inside the cluster Secret's ``config``, a Pulumi secret end to end.

Least privilege as far as Argo CD allows: the cluster Secret lists ``namespaces`` and sets
``clusterResources: "false"``, so Argo CD manages (and watches) only those namespaces and never lists
cluster-scoped kinds (Argo CD docs, declarative setup, "Clusters":
https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#clusters; a namespace-limited
cluster needs no cluster-wide read, argoproj/argo-cd discussion #11587). The ServiceAccount is bound only by a
Role in each of those namespaces (:mod:`.argocd_delivery_grant`); no ClusterRoleBinding.

Labels: upstream K8TRE's vocabulary, so its ApplicationSets' cluster generators could select these clusters
(k8tre/k8tre ``appsets/*/*.yaml``: ``environment`` and ``vendor`` in ``matchLabels``, ``external-domain`` and
``cluster-name`` read as values, ``skip-<component>: "true"`` to opt out; ``docs/guides/installation.md``,
"Set Cluster Labels").
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml

from ..delivery import ArgoDelivery
from ..infrastructure import Cluster
from ..outputs import secret_text
from ..stage import Stage
from .argocd_management import ManagementCluster

MANAGER = "argocd-manager"
"""The ServiceAccount Argo CD connects as (the name ``argocd cluster add`` gives it)."""
MANAGER_NAMESPACE = "kube-system"
"""Where it lives: the namespace ``argocd cluster add`` uses, present on every cluster, holding no research data."""
SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"  # noqa: S105 - a label key, not a secret
"""The label Argo CD finds cluster Secrets by (value ``cluster``)."""
UPSTREAM_ENVIRONMENTS = {"dev": "dev", "stg": "stg", "prod": "prd"}
"""Upstream K8TRE's environment names (its ``envs/dev``, ``envs/stg``, ``envs/prd`` directories)."""
INSTALLED_HERE = ("cert-manager", "external-secrets", "gateway", "nginx", "kare-dns")
"""Upstream components whose ApplicationSets honour ``skip-<name>`` and that this program provides itself (or replaces:
nginx by the Cilium Gateway, kare-dns by external-dns): an upstream ApplicationSet must not install them again."""


def cluster_labels(stage: Stage, vendor: str, cluster_name: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    """The registration's labels in upstream K8TRE's vocabulary."""
    labels: dict[str, pulumi.Input[str]] = {
        SECRET_TYPE_LABEL: "cluster",
        "environment": UPSTREAM_ENVIRONMENTS[stage.environment],
        "vendor": vendor,
        "external-domain": stage.domain,
        "cluster-name": cluster_name,
    }
    labels.update({f"skip-{component}": "true" for component in INSTALLED_HERE})
    return labels


def api_server(kubeconfig: str) -> str:
    """The API server URL of a kubeconfig's current context (what Argo CD must reach)."""
    document: Mapping[str, Any] = yaml.safe_load(kubeconfig)
    context = next(c["context"] for c in document["contexts"] if c["name"] == document["current-context"])
    return str(next(c["cluster"]["server"] for c in document["clusters"] if c["name"] == context["cluster"]))


def cluster_config(data: Mapping[str, str]) -> str:
    """The cluster Secret's ``config``: the bearer token and the cluster CA from the token Secret, TLS verified.

    ``data`` is the token Secret's base64 ``data``; ``caData`` stays base64 (as Argo CD expects), the token is
    decoded (Argo CD sends it as it is).
    """
    import base64

    token = base64.b64decode(data["token"]).decode()
    return json.dumps({"bearerToken": token, "tlsClientConfig": {"insecure": False, "caData": data["ca.crt"]}})


class ClusterRegistration(pulumi.ComponentResource):
    """The environment's ServiceAccount and token, and the cluster Secret on the management cluster's Argo CD."""

    delivery: ArgoDelivery
    """Where this environment's AppProjects and Applications go, and the server they deliver to."""

    def __init__(
        self,
        name: str,
        registration: str,
        cluster: Cluster,
        management: ManagementCluster,
        stage: Stage,
        namespaces: Sequence[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:agnostics:ClusterRegistration", name, None, opts)
        if not namespaces:
            raise ValueError(
                f"registration {registration!r}: no namespace to deliver to (a cluster Secret without "
                "namespaces would let Argo CD manage the whole cluster)"
            )
        account = k8s.core.v1.ServiceAccount(
            f"{name}-account",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=MANAGER, namespace=MANAGER_NAMESPACE),
            # Argo CD uses the token directly; no pod runs as this account.
            automount_service_account_token=False,
            opts=cluster.opts(self),
        )
        token = k8s.core.v1.Secret(
            f"{name}-token",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{MANAGER}-token",
                namespace=MANAGER_NAMESPACE,
                annotations={"kubernetes.io/service-account.name": MANAGER},
            ),
            # The token controller fills in token and ca.crt; pulumi-kubernetes waits for them
            # (https://kubernetes.io/docs/concepts/configuration/secret/#serviceaccount-token-secrets).
            type="kubernetes.io/service-account-token",
            opts=cluster.opts(self, depends_on=[account]),
        )
        server = pulumi.Output.unsecret(cluster.kubeconfig.apply(api_server))
        config = secret_text(token.data.apply(cluster_config))
        self.secret = k8s.core.v1.Secret(
            f"{name}-cluster",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"cluster-{registration}",
                namespace=management.argocd_namespace,
                labels=cluster_labels(stage, cluster.cloud, cluster.name),
            ),
            type="Opaque",
            string_data={
                "name": registration,
                "server": server,
                "namespaces": ",".join(namespaces),
                "clusterResources": "false",
                "config": config,
            },
            opts=pulumi.ResourceOptions(parent=self, provider=management.provider),
        )
        self.delivery = ArgoDelivery(
            provider=management.provider,
            namespace=management.argocd_namespace,
            server=server,
            prefix=registration,
            ready=[self.secret],
        )
        self.register_outputs({"registration": registration, "server": server})
