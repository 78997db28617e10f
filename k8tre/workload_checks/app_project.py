"""Argo CD AppProject permissions: every object an Application renders is one its project permits.

Semantics are Argo CD's own, from ``pkg/apis/application/v1alpha1/app_project_types.go``
(argoproj/argo-cd, v3: ``IsGroupKindNamePermitted``, ``IsDestinationPermitted``) and the
controller's sync permission validator (``controller/sync.go``, ``validateSyncPermissions``):

- a namespaced kind is permitted when ``namespaceResourceWhitelist`` is absent, or lists it,
  and ``namespaceResourceBlacklist`` does not; an *empty* (present) whitelist permits nothing;
- a cluster-scoped kind is permitted only when ``clusterResourceWhitelist`` lists it (absent or
  empty permits nothing) and ``clusterResourceBlacklist`` does not;
- list entries match group, kind and (v3) name as globs, ``*`` matching anything;
- a namespaced object's namespace must match a ``destinations`` entry for the Application's
  server; a ``!``-prefixed namespace pattern that the namespace matches denies it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any

from ..offline.workloads import ExpandedRelease
from .findings import Finding, api_group, object_ref
from .scopes import is_namespaced


def _glob(pattern: str, value: str) -> bool:
    # Argo CD's globMatch: "*" matches everything, otherwise a shell-style glob.
    return pattern == "*" or fnmatch.fnmatchcase(value, pattern)


def _listed(group: str, kind: str, name: str, entries: Sequence[Mapping[str, Any]]) -> bool:
    return any(
        _glob(str(e.get("group", "")), group) and _glob(str(e.get("kind", "")), kind) and _glob(str(e.get("name") or "*"), name)
        for e in entries
    )


def kind_permitted(spec: Mapping[str, Any], group: str, kind: str, name: str, namespaced: bool) -> bool:
    """Argo CD's ``IsGroupKindNamePermitted`` for one object."""
    if namespaced:
        whitelist = spec.get("namespaceResourceWhitelist")
        allowed = whitelist is None or (len(whitelist) > 0 and _listed(group, kind, name, whitelist))
        return allowed and not _listed(group, kind, name, spec.get("namespaceResourceBlacklist") or ())
    whitelist = spec.get("clusterResourceWhitelist") or ()
    return _listed(group, kind, name, whitelist) and not _listed(group, kind, name, spec.get("clusterResourceBlacklist") or ())


def destination_permitted(spec: Mapping[str, Any], server: str, namespace: str) -> bool:
    """Argo CD's ``IsDestinationPermitted`` for a namespace on ``server`` (deny patterns start with ``!``)."""
    matched = False
    for item in spec.get("destinations") or ():
        pattern = str(item.get("namespace", ""))
        if not _glob(str(item.get("server", "")), server):
            continue
        if pattern.startswith("!"):
            if _glob(pattern[1:], namespace):
                return False
        elif _glob(pattern, namespace):
            matched = True
    return matched


def check_application(
    release: ExpandedRelease,
    project: Mapping[str, Any] | None,
    server: str,
    scopes: Mapping[tuple[str, str], bool],
) -> list[Finding]:
    """Each object of an Application's render that its AppProject ``project`` (the object) refuses."""
    name = release.project or "default"
    if project is None:
        return [Finding("app-project", f"application {release.name}", f"AppProject {name!r} is not in the render")]
    spec = project.get("spec") or {}
    findings = []
    if not destination_permitted(spec, server, release.namespace):
        findings.append(
            Finding("app-project", f"application {release.name}", f"destination {server} {release.namespace} not in {name!r}")
        )
    for obj in release.objects:
        group, kind = api_group(obj), str(obj.get("kind"))
        meta = obj.get("metadata") or {}
        subject = f"{release.name}: {object_ref(obj)}"
        namespaced = is_namespaced(group, kind, scopes)
        if namespaced is None:
            findings.append(Finding("app-project", subject, f"no CRD tells whether {group}/{kind} is namespaced"))
            continue
        if not kind_permitted(spec, group, kind, str(meta.get("name", "")), namespaced):
            scope = "namespaced" if namespaced else "cluster-scoped"
            message = f"{scope} kind {group or 'core'}/{kind} not permitted by AppProject {name!r}"
            findings.append(Finding("app-project", subject, message))
        elif namespaced and not destination_permitted(spec, server, str(meta.get("namespace") or release.namespace)):
            message = f"namespace {meta.get('namespace')} not a destination of AppProject {name!r}"
            findings.append(Finding("app-project", subject, message))
    return findings
