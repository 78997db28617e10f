"""On K3s, a namespace of the cluster itself is External Secrets' store, and the writer that fills it.

There is no cloud vault, so generated values live as Secrets in one dedicated namespace (``k8tre-secrets``),
encrypted at rest by K3s (``secrets-encryption`` in ``node_config.py``). External Secrets reads them with
its Kubernetes provider, as a service account whose Role may read Secrets in that namespace and nowhere else
(External Secrets docs, Kubernetes provider: https://external-secrets.io/latest/provider/kubernetes/);
workloads get copies in their own namespaces through ``ExternalSecret`` objects, as on the clouds. The
namespace, the account and its Role are Kubernetes objects, so the agnostics layer creates them once the CNI
runs (``agnostics/secret_store_namespace.py``); this module says what they are called and writes the entries.
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


def in_cluster_store(provider: k8s.Provider, stage: Stage) -> SecretStoreFacts:
    """The ``kubernetes`` store over ``k8tre-secrets`` and its writer (entries wait for what the caller names)."""

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
            # The record of a generated password: protected in prod.
            opts=stage.stateful(pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=list(depends_on))),
        )
        return StoredSecret(key=entry, written=secret)

    return SecretStoreFacts(
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
        reader=READER,
    )
