"""On K3s, a namespace of the cluster itself is External Secrets' store, and the writer that fills it.

There is no cloud vault, so generated values live as Secrets in one dedicated namespace (``k8tre-secrets``),
encrypted at rest by K3s (``secrets-encryption`` in ``node_config.py``). External Secrets reads them with
its Kubernetes provider, as a service account whose Role may read Secrets in that namespace and nowhere else
(External Secrets docs, Kubernetes provider: https://external-secrets.io/latest/provider/kubernetes/);
workloads get copies in their own namespaces through ``ExternalSecret`` objects, as on the clouds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from ...stage import Stage
from ..cluster import SecretStoreFacts, StoredSecret

STORE_NAMESPACE = "k8tre-secrets"
"""Holds the generated values; no pods run here."""
READER = "external-secrets-store-reader"
"""The service account External Secrets authenticates as to read the store (a token it requests)."""


class InClusterSecretStore(pulumi.ComponentResource):
    """The store namespace, the reader's service account and Role, and the facts of the ``kubernetes`` store."""

    facts: SecretStoreFacts
    """What the agnostics layer needs: the provider settings and the writer."""

    def __init__(
        self,
        name: str,
        provider: k8s.Provider,
        after: Sequence[pulumi.Resource],
        stage: Stage,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:InClusterSecretStore", name, None, opts)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=list(after))
        namespace = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=STORE_NAMESPACE,
                labels={
                    "k8tre.io/layer": "infrastructure",
                    "app.kubernetes.io/managed-by": "pulumi",
                    "k8tre.io/environment": stage.environment,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            ),
            # Deleting the namespace deletes every generated value in it: protected in prod.
            opts=stage.stateful(on_cluster),
        )
        in_store = pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[namespace]))
        k8s.core.v1.ServiceAccount(
            f"{name}-reader",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=READER, namespace=STORE_NAMESPACE),
            automount_service_account_token=False,  # no pod runs as it; External Secrets requests its token
            opts=in_store,
        )
        k8s.rbac.v1.Role(
            f"{name}-reader-role",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=READER, namespace=STORE_NAMESPACE),
            # Read-only, and only here: a Role binds within its own namespace (Kubernetes docs, RBAC, "Role").
            rules=[k8s.rbac.v1.PolicyRuleArgs(api_groups=[""], resources=["secrets"], verbs=["get", "list", "watch"])],
            opts=in_store,
        )
        k8s.rbac.v1.RoleBinding(
            f"{name}-reader-binding",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=READER, namespace=STORE_NAMESPACE),
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=READER),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=READER, namespace=STORE_NAMESPACE)],
            opts=in_store,
        )

        def write(
            name: str,
            entry: str,
            values: Mapping[str, pulumi.Input[str]],
            parent: pulumi.Resource,
            depends_on: Sequence[pulumi.Resource] = (),
        ) -> StoredSecret:
            secret = k8s.core.v1.Secret(
                name,
                metadata=k8s.meta.v1.ObjectMetaArgs(name=entry, namespace=STORE_NAMESPACE),
                type="Opaque",
                string_data={key: pulumi.Output.secret(value) for key, value in values.items()},
                opts=stage.stateful(
                    pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=[namespace, *depends_on])
                ),
            )
            return StoredSecret(key=entry, written=secret)

        self.facts = SecretStoreFacts(
            kind="kubernetes",
            provider={
                "remoteNamespace": STORE_NAMESPACE,
                # The API server's CA, from the ConfigMap Kubernetes publishes in every namespace
                # (Kubernetes docs, "Managing Service Accounts", kube-root-ca.crt).
                "server": {
                    "caProvider": {"type": "ConfigMap", "name": "kube-root-ca.crt", "key": "ca.crt", "namespace": STORE_NAMESPACE}
                },
                "auth": {"serviceAccount": {"name": READER, "namespace": STORE_NAMESPACE}},
            },
            write=write,
            remote_namespace=STORE_NAMESPACE,
        )
        self.register_outputs({"namespace": STORE_NAMESPACE})
