"""Credentials the platform generates for its own services, delivered as Kubernetes Secrets.

This is the one way a platform service gets a generated password: a ``random.RandomPassword``
(a Pulumi secret from birth, never in a stack file or a render) landing in a Secret of a
known name, namespace and keys, which the service's chart then references by name. Callers
depend on that contract only (the Secret's name, namespace and keys), so the delivery path
behind it can change without touching them.

The delivery path: the password is written into the cloud's secret store by the writer the
infrastructure provides (``cluster.platform.secret_store``: a Key Vault secret, a Secrets Manager
secret, or a Secret in the K3s store namespace), and External Secrets copies it into the target
namespace from an ``ExternalSecret``. The store is the record; the Kubernetes Secret is a copy that
External Secrets keeps in step with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from ..infrastructure import Cluster
from .external_secrets import STORE_NAME

REFRESH_INTERVAL = "1h"
"""How often External Secrets re-reads the store: a rotated password (a new RandomPassword) reaches the
Secret within the hour, without polling the cloud store every few seconds."""


@dataclass(frozen=True)
class GeneratedSecret:
    """A Secret holding generated passwords: where it is, which keys it has, and what to wait for."""

    name: str
    """The Secret's name."""
    namespace: str
    """Its namespace."""
    keys: tuple[str, ...]
    """Its keys, each a generated password."""
    ready: pulumi.Resource
    """The resource a workload reading the Secret must wait for."""
    remote_key: pulumi.Input[str]
    """The store entry the values are kept in (another namespace's copy reads the same entry)."""


def store_entry(namespace: str, secret_name: str) -> str:
    """The store entry holding one generated Secret's values: unique per target Secret."""
    return f"{namespace}-{secret_name}"


def external_secret_spec(secret_name: str, keys: Sequence[str], remote_key: pulumi.Input[str]) -> dict[str, Any]:
    """The ``ExternalSecret`` spec copying each key of a store entry into the Secret ``secret_name``.

    ``creationPolicy: Owner``: External Secrets creates the Secret and owns it, so removing the
    ``ExternalSecret`` removes the copy and nothing stale lingers. ``deletionPolicy: Retain``: if the entry
    disappears from the store (deleted by mistake, or the store unreachable), the Secret keeps its last
    value instead of being emptied: a database whose password was set from it would otherwise lock its
    own service out. (External Secrets docs, ExternalSecret, "Creation Policy" and "Deletion Policy":
    https://external-secrets.io/latest/guides/ownership-deletion-policy/.)
    """
    return {
        "refreshInterval": REFRESH_INTERVAL,
        "secretStoreRef": {"kind": "ClusterSecretStore", "name": STORE_NAME},
        "target": {"name": secret_name, "creationPolicy": "Owner", "deletionPolicy": "Retain"},
        "data": [{"secretKey": key, "remoteRef": {"key": remote_key, "property": key}} for key in keys],
    }


def generated_secret(
    name: str,
    *,
    secret_name: str,
    namespace: str,
    keys: Sequence[str],
    cluster: Cluster,
    parent: pulumi.Resource,
    length: int = 32,
    depends_on: Sequence[pulumi.Resource] = (),
    settings: Mapping[str, str] | None = None,
    protect: bool = False,
) -> GeneratedSecret:
    """A Secret ``secret_name`` in ``namespace`` with one generated password per key.

    Letters and digits only: the values end up in connection strings and configuration files
    where punctuation would need escaping, and 32 of 62 symbols carry about 190 bits. Pass the
    namespace resource in ``depends_on``: the Secret is created inside it. ``cluster`` must be the
    one the agnostics layer hands on after installing External Secrets (``secret_store_ready``).
    ``settings`` are fixed, non-secret keys the reader expects next to the passwords (a cipher name,
    say), stored in the same entry; ``protect`` keeps the passwords and the delivered Secret from
    deletion (``Stage.stateful``: data encrypted under them).
    """
    store = cluster.platform.secret_store
    if store is None:
        raise ValueError(f"generated secret {secret_name!r}: this cloud provides no secret store (PlatformFacts.secret_store)")
    if not cluster.secret_store_ready:
        raise ValueError(
            f"generated secret {secret_name!r}: External Secrets is not installed on this cluster yet; "
            "use the cluster the agnostics layer hands on after ExternalSecrets (Cluster.secret_store_ready)"
        )
    passwords = {
        key: random.RandomPassword(
            f"{name}-{key}", length=length, special=False, opts=pulumi.ResourceOptions(parent=parent, protect=protect)
        )
        for key in keys
    }
    # An in-cluster store's entries are Kubernetes objects: they wait for the CNI and the store's namespace.
    # A cloud store's are written at once, beside the operator's installation rather than after it.
    after = [*cluster.ready, *cluster.secret_store_ready] if store.remote_namespace else []
    values: dict[str, pulumi.Input[str]] = {**(settings or {}), **{key: p.result for key, p in passwords.items()}}
    stored = store.write(f"{name}-store", store_entry(namespace, secret_name), values, parent, after)
    external = k8s.apiextensions.CustomResource(
        name,
        api_version="external-secrets.io/v1",
        kind="ExternalSecret",
        metadata=_metadata(secret_name, namespace),
        spec=external_secret_spec(secret_name, [*(settings or {}), *keys], stored.key),
        opts=pulumi.ResourceOptions.merge(
            cluster.opts(parent, depends_on=[*cluster.secret_store_ready, stored.written, *depends_on]),
            pulumi.ResourceOptions(protect=protect),
        ),
    )
    return GeneratedSecret(secret_name, namespace, tuple(keys), external, stored.key)


def _metadata(secret_name: str, namespace: str) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(
        name=secret_name,
        namespace=namespace,
        # Pulumi waits until External Secrets reports the Secret synced, so `ready` means the Secret exists
        # (pulumi-kubernetes, "pulumi.com/waitFor" annotation, since v4.18).
        annotations={"pulumi.com/waitFor": "condition=Ready"},
    )


def copied_secret(
    name: str,
    source: GeneratedSecret,
    *,
    namespace: str,
    cluster: Cluster,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> GeneratedSecret:
    """The same generated passwords in a Secret of the same name and keys in another namespace.

    For a credential two services share across namespaces (an object store's access key, which the
    store and each of its clients must hold): a Secret is readable only in its own namespace, so a
    second ``ExternalSecret`` there copies the same store entry.
    """
    external = k8s.apiextensions.CustomResource(
        name,
        api_version="external-secrets.io/v1",
        kind="ExternalSecret",
        metadata=_metadata(source.name, namespace),
        spec=external_secret_spec(source.name, source.keys, source.remote_key),
        opts=cluster.opts(parent, depends_on=[*cluster.secret_store_ready, source.ready, *depends_on]),
    )
    return GeneratedSecret(source.name, namespace, source.keys, external, source.remote_key)
