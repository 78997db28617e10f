"""Validating the ``k8tre:`` document: every field error and every cross-field error, in one pass.

Pydantic runs a model validator only once every field is valid, so a typo would
hide an overlapping CIDR until the typo is fixed. Here the field errors are
collected first; then the offending keys are removed from a copy of the document
(falling back to their defaults) until what is left validates, and the rules across
keys run on that. A rule issue that involves a removed key is dropped: it would judge
a default the operator never chose. When the rules cannot run at all (a required
section is unreadable), the message says so instead of implying they passed.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import ValidationError

from .model import ConfigRuleError, K8treConfig

NAMESPACE = "k8tre"
Issue = tuple[str, str]
"""(full ``k8tre:`` key, message)."""

_UNION_TAGS = frozenset({"azure", "aws", "k3s", "create", "existing", "stack"})
"""Values of discriminators (cluster.provider, cluster.hub.mode): pydantic puts them in error paths."""
_UNION_FIELDS = frozenset({"cluster", "hub"})
_PLACEHOLDERS: dict[str, Any] = {
    "environment": "dev",
    "domain": "example.org",
    "cluster.kubernetesVersion": "1.33",
    "cluster.location": "uksouth",
    "cluster.region": "eu-west-2",
}
"""Stand-ins for unreadable required keys, so the rules can still run on the rest. A rule issue that mentions a
stand-in's key is dropped like any other involving a removed key; an environment stand-in of dev skips the
prod-only rules rather than inventing prod problems."""
_ROUNDS = 8
_MENTION = re.compile(r"k8tre:([A-Za-z0-9_.\[\]]+)")


def validate(document: dict[str, Any]) -> tuple[K8treConfig | None, list[Issue], list[str]]:
    """The config (None if anything is wrong), every problem found, and notes on checks that could not run."""
    working = _freeze(copy.deepcopy(document))
    field_issues: list[Issue] = []
    pruned: list[str] = []
    for round_ in range(_ROUNDS):
        try:
            config = K8treConfig.model_validate(working)
        except ValidationError as exc:
            fields, rules = _split(exc)
            if rules:
                kept = [issue for issue in rules if not _involves(issue, pruned)]
                return None, field_issues + kept, []
            if round_ == 0:
                field_issues = [(_dotted(path), message) for path, message in fields]
            changed = [_prune(working, path, missing, pruned) for path, missing, _ in _locations(exc)]
            if not any(changed):
                break
            continue
        return (None if field_issues else config), field_issues, []
    note = "the rules across keys (overlaps, prod rules, derived names) were not checked: fix the problems above first"
    return None, field_issues, [note]


def _freeze(value: Any) -> Any:
    # Strict models take tuples, not lists; YAML and JSON give lists.
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    if isinstance(value, dict):
        return {key: _freeze(item) for key, item in value.items()}
    return value


def _split(exc: ValidationError) -> tuple[list[tuple[list[int | str], str]], list[Issue]]:
    fields: list[tuple[list[int | str], str]] = []
    rules: list[Issue] = []
    for error in exc.errors(include_url=False):
        ctx_error = (error.get("ctx") or {}).get("error")
        if isinstance(ctx_error, ConfigRuleError):
            rules += [(f"{NAMESPACE}:{path}", message) for path, message in ctx_error.issues]
            continue
        path = _document_path(list(error["loc"]))
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path.append(str((error.get("ctx") or {}).get("discriminator", "provider")).strip("'"))
        fields.append((path, _message(error)))
    return fields, rules


def _locations(exc: ValidationError) -> list[tuple[list[int | str], bool, str]]:
    return [
        (_document_path(list(error["loc"])), error["type"] == "missing", error["type"])
        for error in exc.errors(include_url=False)
        if not isinstance((error.get("ctx") or {}).get("error"), ConfigRuleError)
    ]


def _document_path(loc: list[int | str]) -> list[int | str]:
    # A discriminated union's tag is pydantic's detail, not a key in the file.
    return [part for i, part in enumerate(loc) if not (i > 0 and loc[i - 1] in _UNION_FIELDS and part in _UNION_TAGS)]


def _prune(document: dict[str, Any], path: list[int | str], missing: bool, pruned: list[str]) -> bool:
    """Remove what ``path`` names (its container when it is missing); False when nothing sensible is left."""
    target = path[:-1] if missing else list(path)
    while target and (isinstance(target[-1], int) or target[-1] == "[key]"):
        target = target[:-1]  # never delete one element of a list: the indices of the rest would shift
    if not target:
        return False
    dotted = _dotted(target).removeprefix(f"{NAMESPACE}:")
    pruned.append(dotted)
    container: Any = document
    for part in target[:-1]:
        try:
            container = container[part]
        except (KeyError, IndexError, TypeError):
            return False  # already gone with an ancestor: nothing changes
    if not isinstance(container, dict):
        return False
    if dotted in _PLACEHOLDERS:
        changed: bool = container.get(target[-1]) != _PLACEHOLDERS[dotted]
        container[target[-1]] = _PLACEHOLDERS[dotted]
        return changed
    if target[-1] in container:
        del container[target[-1]]
        return True
    return False


def _involves(issue: Issue, pruned: list[str]) -> bool:
    keys = [issue[0].removeprefix(f"{NAMESPACE}:"), *_MENTION.findall(issue[1])]
    return any(key == gone or key.startswith((f"{gone}.", f"{gone}[")) for key in keys for gone in pruned)


def _dotted(loc: list[int | str]) -> str:
    if loc[:1] == ["secrets"]:
        loc = loc[1:]  # secrets are top-level keys in the stack file
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return f"{NAMESPACE}:{path}" if path else f"{NAMESPACE}:<root>"


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "is not a known setting (check its spelling and indentation)"
    if kind in ("missing", "union_tag_not_found"):
        return "is required"
    if kind == "union_tag_invalid":
        expected = (error.get("ctx") or {}).get("expected_tags", "")
        return f"must be one of {expected} (got {error['ctx'].get('tag')!r})"
    if kind == "tuple_type":
        return f"must be a list (got {error.get('input')!r})"
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if isinstance(value, (str, int, float, bool)) and kind != "value_error":
        message += f" (got {value!r})"
    return message
