"""Configuration of GitOps delivery: teams (Argo CD projects), applications from config, source revisions.

Kept apart from :mod:`.layers` so that the application layer's other settings stay small; the
cross-key rules (a team that exists, a revision prod accepts) live in :mod:`.rules_delivery`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

from pydantic import Field

from ..chart_lock import locked_chart
from .base import K8treModel
from .types import ChartVersion, DnsLabel, Fqdn, Port

_GROUP = r"^[^,\s][^,\r\n]{0,254}$"
"""A group name or ID as the identity provider's claim carries it (no comma: it ends a line of Argo CD's RBAC CSV)."""
_TEAM_NAMESPACE = r"^team-[a-z0-9]([a-z0-9-]{0,50}[a-z0-9])?$"
_GIT_URL = r"^https://[A-Za-z0-9.-]+/[A-Za-z0-9._~/-]+$"
"""HTTPS only: Argo CD's repo server may leave the cluster on 443 alone (its network policy)."""
_KIND = r"^([a-z0-9]([a-z0-9.-]*[a-z0-9])?/)?[A-Z][A-Za-z0-9]{0,62}$"
_REVISION = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,243}$"

COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")
"""A full Git commit: what a revision resolves to, immutably."""
VERSION_TAG = re.compile(r"^v?[0-9]+(\.[0-9]+){0,2}([-+][0-9A-Za-z.-]+)?$")
"""A release tag (``v1.4.2``, ``2025.10.1``): the only kind of name prod accepts besides a commit SHA. A Git name
alone does not say whether it is a tag or a branch, so prod requires the tag to look like a release, which a
branch such as ``main`` or ``feature/x`` does not."""

GitRevision = Annotated[str, Field(pattern=_REVISION)]
"""A branch, tag or commit of a Git repository (Argo CD's ``targetRevision``)."""


def prod_revision_problem(revision: str) -> str | None:
    """Why ``revision`` cannot be deployed to prod (None when it is a release tag or a commit SHA)."""
    if COMMIT_SHA.match(revision) or VERSION_TAG.match(revision):
        return None
    if revision.upper() == "HEAD":
        return "'HEAD' follows whatever is pushed last"
    return f"{revision!r} is a branch (or not a release tag)"


class SyncWindow(K8treModel):
    """When Argo CD may (``allow``) or may not (``deny``) sync a team's applications (AppProject ``syncWindows``)."""

    kind: Literal["allow", "deny"] = "allow"
    """Whether the window opens or closes syncing."""
    schedule: Annotated[str, Field(pattern=r"^\S+ \S+ \S+ \S+ \S+$")]
    """Start of the window: a five-field cron expression (UTC)."""
    duration: Annotated[str, Field(pattern=r"^[0-9]{1,3}[hm]$")]
    """Length of the window, e.g. ``2h`` or ``30m``."""
    manual_sync: bool = False
    """Whether a person may still sync by hand while the window denies automated syncs."""


class TeamSettings(K8treModel):
    """A team: an Argo CD project its members may sync, limited to its own sources and namespaces."""

    name: DnsLabel
    """Team name; its Argo CD project is ``team-<name>``."""
    groups: Annotated[tuple[Annotated[str, Field(pattern=_GROUP)], ...], Field(min_length=1)]
    """Identity-provider groups (as the token's groups claim names them) whose members may get and sync the team's
    applications; nobody else may, and these groups may touch nothing else."""
    source_repos: tuple[Annotated[str, Field(pattern=_GIT_URL)], ...] = ()
    """Git repositories the team's applications may come from (no wildcards); chart repositories of its
    applications' charts are added from the chart lock."""
    namespaces: Annotated[tuple[Annotated[str, Field(pattern=_TEAM_NAMESPACE)], ...], Field(min_length=1)]
    """Namespaces the team may deploy into, each ``team-...`` so that none is ever a platform namespace."""
    sync_windows: tuple[SyncWindow, ...] = ()
    """When the team's applications may be synced; none means any time."""


class ChartSource(K8treModel):
    """A chart from the chart lock (``charts/lock.yaml``), at an exact version.

    Argo CD fetches it from its Helm repository at exactly this version; the render expands the
    vendored archive of that version.
    """

    name: Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    """Chart name as the lock names it."""
    version: ChartVersion
    """Exact version (the Application's revision); it must have a vendored archive."""


class GitSource(K8treModel):
    """A directory of manifests (or a chart) in a Git repository."""

    repo: Annotated[str, Field(pattern=_GIT_URL)]
    """Repository URL; it must be one of the team's ``sourceRepos``."""
    path: Annotated[str, Field(pattern=r"^[A-Za-z0-9._][A-Za-z0-9._/-]{0,254}$")]
    """Directory inside the repository."""
    revision: GitRevision | None = None
    """Branch, tag or commit; default the stack's ``applications.revision``. Prod takes tags and commit SHAs only."""


class RouteSettings(K8treModel):
    """Publishing the application as ``<host>.<domain>`` on the platform Gateway."""

    host: DnsLabel
    """First label of the host name."""
    service: DnsLabel
    """Service the route sends traffic to (as the chart names it)."""
    port: Port
    """Service port."""
    target_port: Port | None = None
    """Container port the Service forwards to, when it differs from ``port`` (the Gateway's opening is on it)."""
    plaintext_reason: Annotated[str, Field(min_length=10, max_length=300)]
    """Why the hop from the Gateway to this service may be plain HTTP (the Gateway cannot verify backends yet)."""


class CustomApplication(K8treModel):
    """An application delivered by Argo CD from the stack file, checked like the built-in ones."""

    name: DnsLabel
    """Application name (unique in the stack)."""
    team: DnsLabel
    """Team (``applications.teams``) whose project the application belongs to."""
    namespace: Annotated[str, Field(pattern=_TEAM_NAMESPACE)]
    """Namespace it is deployed into: one of its team's, used by no other application."""
    chart: ChartSource | None = None
    """A locked chart; exactly one of ``chart`` and ``git``."""
    git: GitSource | None = None
    """A Git directory; exactly one of ``chart`` and ``git``."""
    values: dict[str, Any] = {}
    """Helm values (a chart source only)."""
    kinds: Annotated[tuple[Annotated[str, Field(pattern=_KIND)], ...], Field(min_length=1)]
    """Namespaced kinds it creates (``Service``, ``apps/Deployment``): its project permits exactly these, and the
    check fails when the rendered chart creates any other, or declares one it does not create."""
    route: RouteSettings | None = None
    """Publish it on the platform Gateway."""
    egress_fqdns: tuple[Fqdn, ...] = ()
    """Internet names its pods may reach over HTTPS; nothing else leaves the namespace."""
    prod_sync: Literal["automated", "manual"] = "manual"
    """How prod syncs it: by hand after review (default), or automatically (within the team's sync windows). dev and
    stg always sync automatically, pruning and self-healing."""
    depends_on: tuple[DnsLabel, ...] = ()
    """Applications (by name) that must exist before this one: real dependencies, not sync waves."""


def chart_repository(app: CustomApplication) -> str | None:
    """The Helm repository a chart-sourced application is fetched from (the lock's), else None."""
    return locked_chart(app.chart.name).repository if app.chart is not None else None


def source_hosts(apps: Iterable[CustomApplication]) -> tuple[str, ...]:
    """Hosts Argo CD's repo server must reach for these applications: chart repositories and Git hosts."""
    urls = [chart_repository(app) or (app.git.repo if app.git else "") for app in apps]
    return tuple(sorted({urlparse(url).hostname or "" for url in urls} - {""}))
