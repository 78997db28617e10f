"""One way to install a pinned Helm chart, shared by every layer."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .chart_lock import PROGRAM_DIR
from .versions import ChartPin


def chart_reference(pin: ChartPin) -> tuple[str, k8s.helm.v3.RepositoryOptsArgs | None]:
    """``chart`` and ``repository_opts`` of a Release: the vendored archive's path, or the name in its repository.

    A Release takes a local chart archive as a path in ``chart`` with no repository
    (pulumi-kubernetes docs, helm/v3 Release: "chart: Chart name to be installed. A path
    may be used"; Helm's chart locator uses an existing local path before any repository).
    The path is relative to the program's directory, where the Pulumi CLI runs the program
    (``main:`` in Pulumi.yaml; Pulumi docs, project file reference), whatever directory the
    command was started from, so the recorded input is the same on every machine and in the
    offline render, and does not change between checkouts. The archive's digest is checked
    against ``charts/lock.yaml`` before it is named: what was reviewed is what is deployed.
    """
    if pin.source == "vendored":
        return os.path.relpath(pin.archive(), PROGRAM_DIR), None
    return pin.chart, k8s.helm.v3.RepositoryOptsArgs(repo=pin.repository)


def helm_release(
    name: str,
    *,
    release_name: str,
    pin: ChartPin,
    namespace: pulumi.Input[str],
    values: Mapping[str, Any],
    opts: pulumi.ResourceOptions,
    wait: bool = True,
) -> k8s.helm.v3.Release:
    """A ``helm.v3.Release`` of a pinned chart that rolls back on a failed upgrade.

    ``helm.v3.Release`` rather than ``helm.v4.Chart`` because a Release is one
    resource whose values Pulumi records and diffs, and it can be inspected offline.
    """
    chart, repository = chart_reference(pin)
    return k8s.helm.v3.Release(
        name,
        name=release_name,
        chart=chart,
        # Kept for a local archive too: Helm ignores it there, but the recorded inputs name the version.
        version=pin.version,
        repository_opts=repository,
        namespace=namespace,
        values=dict(values),
        # A failed upgrade rolls back instead of leaving a half-applied release. Without ``wait`` (pods that cannot
        # run yet, e.g. Cilium's before EKS nodes exist), Helm applies the objects and returns: atomic needs waiting.
        atomic=wait,
        skip_await=not wait,
        cleanup_on_fail=True,
        max_history=10,
        timeout=900,
        opts=opts,
    )
