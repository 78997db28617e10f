"""Credentials the platform generates for its own services, delivered as Kubernetes Secrets.

This is the one way a platform service gets a generated password: a ``random.RandomPassword``
(a Pulumi secret from birth, never in a stack file or a render) landing in a Secret of a
known name, namespace and keys, which the service's chart then references by name. Callers
depend on that contract only (the Secret's name, namespace and keys), so the delivery path
behind it can change without touching them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from ..infrastructure import Cluster


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
    values: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)
    """The generated passwords (secret Outputs), for :func:`copied_secret` only."""


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
    namespace resource in ``depends_on``: the Secret is created inside it. ``settings`` are fixed,
    non-secret keys the reader expects next to the passwords (a cipher name, say); ``protect`` keeps
    the Secret and its passwords from deletion (``Stage.stateful``: data encrypted under them).
    """
    passwords = {
        key: random.RandomPassword(
            f"{name}-{key}", length=length, special=False, opts=pulumi.ResourceOptions(parent=parent, protect=protect)
        )
        for key in keys
    }
    secret = k8s.core.v1.Secret(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=secret_name, namespace=namespace),
        type="Opaque",
        string_data={**(settings or {}), **{key: password.result for key, password in passwords.items()}},
        opts=pulumi.ResourceOptions.merge(cluster.opts(parent, depends_on=depends_on), pulumi.ResourceOptions(protect=protect)),
    )
    return GeneratedSecret(secret_name, namespace, tuple(keys), secret, {k: p.result for k, p in passwords.items()})


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
    store and each of its clients must hold): a Secret is readable only in its own namespace.
    """
    secret = k8s.core.v1.Secret(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=source.name, namespace=namespace),
        type="Opaque",
        string_data=dict(source.values),
        opts=cluster.opts(parent, depends_on=depends_on),
    )
    return GeneratedSecret(source.name, namespace, source.keys, secret, source.values)
