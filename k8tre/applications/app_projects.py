"""The specs of the AppProjects: the platform's (admins only), the research applications', and one per team.

Each project names its source repositories and destinations (cluster and namespaces), permits no
cluster-scoped kind, and permits exactly the namespaced kinds its Applications render (the render
check ``project-kinds`` compares the whitelist with the expanded charts). Roles bind identity-provider
groups to ``get`` and ``sync`` on the project's own applications only (Argo CD docs, "Projects",
"Configuring RBAC With Projects": a project role's policies may only name ``<project>/*`` objects, and a
role's ``groups`` are matched against the OIDC groups claim).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..config.delivery import SyncWindow, TeamSettings
from .jupyterhub import NAMESPACE
from .project import GUARD_RAIL_KINDS, IN_CLUSTER

PLATFORM_PROJECT = "platform"
"""Platform administrators' project."""
TEAM_ACTIONS = ("get", "sync")
"""What a team's members may do with their own applications: look, and sync to what Git says. Not create,
update or delete: an Application's definition is this program's, reviewed in the stack file."""

Kind = tuple[str, str]
"""(API group, kind); the core group is ``""``."""


def parse_kind(kind: str) -> Kind:
    """``apps/Deployment`` -> (``apps``, ``Deployment``); ``Service`` -> (``""``, ``Service``)."""
    group, _, name = kind.rpartition("/")
    return group, name


def team_project_name(team: str) -> str:
    """The Argo CD project of a team."""
    return f"team-{team}"


def role(project: str, name: str, groups: Sequence[str], actions: Sequence[str] = TEAM_ACTIONS) -> dict[str, Any]:
    """A project role: ``actions`` on this project's applications, granted to exactly ``groups``."""
    subject = f"proj:{project}:{name}"
    return {
        "name": name,
        "description": f"{', '.join(actions)} on {project}'s applications",
        "policies": [f"p, {subject}, applications, {action}, {project}/*, allow" for action in actions],
        "groups": list(groups),
    }


def project_spec(
    description: str,
    source_repos: Iterable[str],
    namespaces: Iterable[str],
    kinds: Iterable[Kind],
    roles: Sequence[dict[str, Any]],
    *,
    server: str = IN_CLUSTER,
    windows: Sequence[SyncWindow] = (),
) -> dict[str, Any]:
    """An AppProject spec: named sources and namespaces on one cluster, exactly ``kinds``, nothing cluster-scoped.

    An empty, present ``namespaceResourceWhitelist`` permits no namespaced kind (Argo CD's
    ``IsGroupKindNamePermitted``); the guard-rail kinds are also blacklisted, so adding one to a
    whitelist by mistake still cannot open a namespace.
    """
    spec: dict[str, Any] = {
        "description": description,
        "sourceRepos": sorted(set(source_repos)),
        "destinations": [{"server": server, "namespace": namespace} for namespace in sorted(set(namespaces))],
        "clusterResourceWhitelist": [],
        "namespaceResourceWhitelist": [{"group": group, "kind": kind} for group, kind in sorted(set(kinds))],
        "namespaceResourceBlacklist": [{"group": group, "kind": kind} for group, kind in GUARD_RAIL_KINDS],
        "orphanedResources": {"warn": True},
        "roles": [dict(r) for r in roles if r["groups"]],
    }
    if windows:
        spec["syncWindows"] = [_window(w) for w in windows]
    return spec


def _window(window: SyncWindow) -> dict[str, Any]:
    return {
        "kind": window.kind,
        "schedule": window.schedule,
        "duration": window.duration,
        "applications": ["*"],
        "manualSync": window.manual_sync,
    }


def platform_project_spec(admin_groups: Sequence[str], *, server: str = IN_CLUSTER) -> dict[str, Any]:
    """The platform's project: for administrators only; it holds no Application yet, so it permits nothing.

    Platform services are Helm releases Pulumi installs, not Applications; an Application moved here later
    brings its sources, namespaces and kinds with it (the ``project-kinds`` check keeps them exact).
    """
    roles = [role(PLATFORM_PROJECT, "admin", admin_groups)]
    return project_spec("Platform services: administrators only", (), (), (), roles, server=server)


RESEARCH_KINDS: tuple[Kind, ...] = (
    ("", "ConfigMap"),
    ("", "PersistentVolumeClaim"),
    ("", "Secret"),
    ("", "Service"),
    ("", "ServiceAccount"),
    ("apps", "Deployment"),
)
"""What the JupyterHub chart renders with the program's values (the expanded render under ``workloads/jupyterhub``).
No Role or RoleBinding: the chart's RBAC is off, and the spawner's Role in each project namespace is the platform's."""


def research_project_spec(
    project: str, chart_repository: str, jupyterhub: bool, admin_groups: Sequence[str], *, server: str = IN_CLUSTER
) -> dict[str, Any]:
    """The research applications' project: JupyterHub's chart into its namespace, its kinds; admins sync it."""
    return project_spec(
        "Research applications: no cluster-scoped resources, no changes to namespace guard rails",
        [chart_repository] if jupyterhub else [],
        [NAMESPACE] if jupyterhub else [],
        RESEARCH_KINDS if jupyterhub else (),
        [role(project, "operator", admin_groups)],
        server=server,
    )


def team_project_spec(
    team: TeamSettings, chart_repos: Iterable[str], kinds: Iterable[Kind], *, server: str = IN_CLUSTER
) -> dict[str, Any]:
    """A team's project: its Git repositories and its applications' chart repositories, its namespaces, its kinds."""
    name = team_project_name(team.name)
    return project_spec(
        f"Team {team.name}: its own namespaces only, nothing cluster-scoped",
        [*team.source_repos, *chart_repos],
        team.namespaces,
        kinds,
        [role(name, "member", team.groups)],
        server=server,
        windows=team.sync_windows,
    )
