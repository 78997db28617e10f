"""Credentials an operator provides (stack secrets), delivered to a service through the cloud's secret store.

The same path as the platform's generated passwords (``generated_secret``): the value, a Pulumi
secret from ``pulumi config set --secret``, is written into the cloud's store by the writer the
infrastructure provides, and External Secrets copies it into the service's namespace from an
``ExternalSecret``. The store stays the record an operator can rotate; the Kubernetes Secret is a
copy; the value is ``[secret]`` in every render and encrypted in the Pulumi state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_kubernetes as k8s

from ..infrastructure import Cluster
from .generated_secret import GeneratedSecret, external_secret_spec, store_entry


def provided_secret(
    name: str,
    *,
    secret_name: str,
    namespace: str,
    values: Mapping[str, pulumi.Output[str]],
    cluster: Cluster,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> GeneratedSecret:
    """A Secret ``secret_name`` in ``namespace`` whose keys hold the given stack secrets, through the store.

    ``values`` must be Pulumi secrets (``SecretRef.output()``); they are wrapped again with
    ``pulumi.Output.secret`` so that a caller passing a plain value cannot leak it into the state.
    """
    store = cluster.platform.secret_store
    if store is None:
        raise ValueError(f"provided secret {secret_name!r}: this cloud provides no secret store (PlatformFacts.secret_store)")
    if not cluster.secret_store_ready:
        raise ValueError(f"provided secret {secret_name!r}: External Secrets is not installed on this cluster yet")
    after = [*cluster.ready, *cluster.secret_store_ready] if store.remote_namespace else []
    secret_values: dict[str, pulumi.Input[str]] = {key: pulumi.Output.secret(value) for key, value in values.items()}
    stored = store.write(f"{name}-store", store_entry(namespace, secret_name), secret_values, parent, after)
    external = k8s.apiextensions.CustomResource(
        name,
        api_version="external-secrets.io/v1",
        kind="ExternalSecret",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=secret_name,
            namespace=namespace,
            # Pulumi waits until External Secrets reports the Secret synced (pulumi-kubernetes "pulumi.com/waitFor").
            annotations={"pulumi.com/waitFor": "condition=Ready"},
        ),
        spec=external_secret_spec(secret_name, list(values), stored.key),
        opts=cluster.opts(parent, depends_on=[*cluster.secret_store_ready, stored.written, *depends_on]),
    )
    return GeneratedSecret(secret_name, namespace, tuple(values), external, stored.key)
