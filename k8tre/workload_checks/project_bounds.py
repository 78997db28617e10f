"""Each AppProject is as narrow as its Applications: exactly the kinds they render, named sources, own roles.

``app_project`` fails an object a project refuses; this check fails the other direction, a project
that permits more than its Applications use, since a wider project is what a team's next commit
could use without review:

- ``namespaceResourceWhitelist`` present and listing exactly the kinds the project's Applications
  render (from the expanded charts); no glob. A project with an Application that is not expanded
  (a Git directory: its manifests are not in the render) cannot be judged exactly, and says so as
  an advisory.
- no ``*`` source repository, destination server or namespace;
- each role's policies name only the project's own applications (``<project>/...``), and each role
  is bound to at least one group (Argo CD docs, "Projects", "Project Roles").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..offline.workloads import ExpandedRelease
from .findings import Finding, api_group
from .scopes import is_namespaced

Kind = tuple[str, str]


def rendered_kinds(releases: Iterable[ExpandedRelease], scopes: Mapping[tuple[str, str], bool]) -> set[Kind]:
    """(group, kind) of every namespaced object the releases render."""
    return {
        (api_group(obj), str(obj.get("kind")))
        for release in releases
        for obj in release.objects
        if is_namespaced(api_group(obj), str(obj.get("kind")), scopes)
    }


def check_project(
    project: Mapping[str, Any],
    applications: Sequence[Mapping[str, Any]],
    releases: Sequence[ExpandedRelease],
    scopes: Mapping[tuple[str, str], bool],
) -> list[Finding]:
    """What ``project`` permits beyond its ``applications`` (their expanded ``releases``) or anyone's reach."""
    name = str(project["metadata"]["name"])
    spec = project.get("spec") or {}
    subject = f"AppProject {name}"
    findings = [
        Finding("project-bounds", subject, f"source repository {r!r} is a wildcard")
        for r in spec.get("sourceRepos") or ()
        if "*" in r
    ]
    for destination in spec.get("destinations") or ():
        if "*" in str(destination.get("server", "")) or "*" in str(destination.get("namespace", "")):
            findings.append(Finding("project-bounds", subject, f"destination {destination} is a wildcard"))
    for role in spec.get("roles") or ():
        if not role.get("groups"):
            findings.append(Finding("project-bounds", subject, f"role {role.get('name')} is bound to no group"))
        for policy in role.get("policies") or ():
            parts = [part.strip() for part in str(policy).split(",")]
            if len(parts) != 6 or not parts[4].startswith(f"{name}/"):
                findings.append(Finding("project-bounds", subject, f"role {role.get('name')}: {policy!r} reaches beyond {name}"))
    whitelist = spec.get("namespaceResourceWhitelist")
    if whitelist is None:
        return [
            *findings,
            Finding("project-bounds", subject, "no namespaceResourceWhitelist: every namespaced kind is permitted"),
        ]
    listed = {(str(e.get("group", "")), str(e.get("kind", ""))) for e in whitelist}
    for group, kind in sorted(listed):
        if "*" in group or "*" in kind:
            findings.append(Finding("project-bounds", subject, f"whitelist entry {group or 'core'}/{kind} is a glob"))
    expanded = {r.owner_urn for r in releases}
    unexpanded = [a for a in applications if a["urn"] not in expanded]
    if unexpanded:
        names = ", ".join(sorted(str(a["name"]) for a in unexpanded))
        message = f"applications {names} are not expanded (Git sources): its kinds cannot be judged exactly"
        return [*findings, Finding("project-bounds", subject, message, advisory=True)]
    for group, kind in sorted(listed - rendered_kinds(releases, scopes)):
        message = f"permits {group or 'core'}/{kind}, which none of its applications renders"
        findings.append(Finding("project-bounds", subject, message))
    return findings
