"""The result every workload check returns: one problem with what it was found on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One problem a check found on one object (or one release's values)."""

    check: str
    """Which check found it: ``schema``, ``pod-security``, ``app-project``, ``image``, ``chart-values``."""
    subject: str
    """What it was found on: ``<release>: <Kind>/<namespace>/<name>`` or a release's values path."""
    message: str
    """What is wrong, in the words of the rule that refuses it."""
    advisory: bool = False
    """True for findings that are reported but do not fail ``k8tre check`` (e.g. images without a digest)."""

    def __str__(self) -> str:
        return f"{self.check}: {self.subject}: {self.message}"


def object_ref(obj: Mapping[str, Any]) -> str:
    """``Kind/namespace/name`` of a Kubernetes object (``-`` for a cluster-scoped one)."""
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind', '?')}/{meta.get('namespace') or '-'}/{meta.get('name') or '?'}"


def api_group(obj: Mapping[str, Any]) -> str:
    """The API group of an object's ``apiVersion`` (``""`` for the core group)."""
    group, _, _ = str(obj.get("apiVersion") or "").rpartition("/")
    return group
