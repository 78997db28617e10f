"""Rules across the delivery keys: teams that exist, namespaces that belong, charts that are locked, revisions prod accepts."""

from __future__ import annotations

from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING

from ..chart_lock import locked_versions
from .delivery import CustomApplication, prod_revision_problem

if TYPE_CHECKING:
    from .model import K8treConfig

RESERVED_APPLICATIONS = frozenset({"jupyterhub"})
"""Names of the built-in Applications."""
RESERVED_HOSTS = frozenset({"argocd", "jupyter", "keycloak"})
"""Host names the platform publishes (``<host>.<domain>``): a team's route must not take one over."""


def effective_revision(app: CustomApplication, default: str | None) -> str | None:
    """The Git revision an application is delivered from: its own, else the stack's default (None: a chart source)."""
    if app.git is None:
        return None
    return app.git.revision or default


def delivery_issues(config: K8treConfig) -> Iterator[tuple[str, str]]:
    """(key, message) for each delivery rule the stack breaks; each message names the application or team."""
    apps = config.applications
    teams = {team.name: team for team in apps.teams}
    team_names = [t.name for t in apps.teams]
    for i, name in enumerate(team_names):
        if team_names.index(name) != i:
            yield f"applications.teams[{i}].name", f"team {name!r} is declared more than once"
    names = [app.name for app in apps.apps]
    namespaces = [app.namespace for app in apps.apps]
    for i, app in enumerate(apps.apps):
        key = f"applications.apps[{i}]"
        if names.index(app.name) != i or app.name in RESERVED_APPLICATIONS:
            yield f"{key}.name", f"application {app.name!r} is already an application of this stack"
        if namespaces.index(app.namespace) != i:
            yield f"{key}.namespace", f"application {app.name!r}: namespace {app.namespace} is another application's"
        hosts = [a.route.host for a in apps.apps if a.route is not None]
        if app.route is not None and (app.route.host in RESERVED_HOSTS or hosts.count(app.route.host) > 1):
            yield f"{key}.route.host", f"application {app.name!r}: {app.route.host}.<domain> is published by another service"
        owner = teams.get(app.team)
        if owner is None:
            yield f"{key}.team", f"application {app.name!r}: team {app.team!r} is not in applications.teams"
        elif app.namespace not in owner.namespaces:
            yield f"{key}.namespace", f"application {app.name!r}: {app.namespace} is not one of team {owner.name}'s namespaces"
        for dependency in app.depends_on:
            if dependency not in names or dependency == app.name:
                yield f"{key}.dependsOn", f"application {app.name!r}: {dependency!r} is not another application of this stack"
        yield from _source_issues(config, key, app, owner.source_repos if owner else ())
    try:
        TopologicalSorter({app.name: set(app.depends_on) for app in apps.apps}).prepare()
    except CycleError as error:
        yield "applications.apps", f"applications depend on each other in a circle: {' -> '.join(error.args[1])}"


def _source_issues(config: K8treConfig, key: str, app: CustomApplication, repos: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    if (app.chart is None) == (app.git is None):
        yield key, f"application {app.name!r}: give exactly one source, `chart` or `git`"
        return
    if app.chart is not None:
        available = locked_versions(app.chart.name)
        if app.chart.version not in available:
            yield (
                f"{key}.chart.version",
                f"application {app.name!r}: {app.chart.name} {app.chart.version} has no vendored archive in charts/lock.yaml "
                f"(locked: {', '.join(sorted(available)) or 'none'}); a chart is deployed only at a reviewed, locked version",
            )
        return
    assert app.git is not None
    if app.values:
        yield f"{key}.values", f"application {app.name!r}: values apply to a chart source, not a Git directory"
    if app.git.repo not in repos:
        yield f"{key}.git.repo", f"application {app.name!r}: {app.git.repo} is not one of team {app.team}'s sourceRepos"
    revision = effective_revision(app, config.applications.revision)
    where = f"{key}.git.revision" if app.git.revision else "applications.revision"
    if revision is None:
        yield f"{key}.git.revision", f"application {app.name!r}: no revision, and the stack sets no applications.revision"
    elif config.is_prod and (problem := prod_revision_problem(revision)):
        yield (
            where,
            (
                f"application {app.name!r} cannot go to prod from revision {revision!r}: {problem}; prod takes a release tag "
                "like 'v1.2.0' or a 40-hex commit SHA"
            ),
        )
