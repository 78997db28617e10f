"""One way to install a pinned Helm chart, shared by every layer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .versions import ChartPin


def helm_release(
    name: str,
    *,
    release_name: str,
    pin: ChartPin,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
) -> k8s.helm.v3.Release:
    """A ``helm.v3.Release`` of a pinned chart that rolls back on a failed upgrade.

    ``helm.v3.Release`` rather than ``helm.v4.Chart`` because a Release is one
    resource whose values Pulumi records and diffs, and it can be inspected offline.
    """
    return k8s.helm.v3.Release(
        name,
        name=release_name,
        chart=pin.chart,
        version=pin.version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=pin.repository),
        namespace=namespace,
        values=dict(values),
        atomic=True,  # a failed upgrade rolls back instead of leaving a half-applied release
        cleanup_on_fail=True,
        max_history=10,
        timeout=900,
        opts=opts,
    )
