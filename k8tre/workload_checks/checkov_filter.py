"""Judge checkov's JSON reports against the accepted findings, each with its check, resource and reason.

checkov's own skip list (``.checkov.yaml`` ``skip-check``) skips a check for every resource,
and its per-resource skips are annotations on the object, which a chart's objects cannot
carry. So ``scripts/security-scan.sh`` runs checkov with JSON output and this filter keeps
only the failed checks that ``.checkov-accepted.yaml`` does not accept for that resource.

Usage: ``python -m k8tre.workload_checks.checkov_filter ACCEPTED REPORT.json...``; exits 1
when any failed check is unexplained, or an accepted entry has no reason or matches nothing.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Accepted:
    """One failed check accepted on purpose: which check, on which resource(s), and why."""

    check: str
    resource: str
    """checkov's resource id (``Kind.namespace.name``); a glob may cover several objects of one chart."""
    reason: str


def load_accepted(path: Path) -> list[Accepted]:
    """The accepted findings; an entry without a check, a resource or a reason is an error."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    accepted = []
    for index, entry in enumerate(entries.get("accepted") or ()):
        if not all(str(entry.get(key) or "").strip() for key in ("check", "resource", "reason")):
            raise ValueError(f"{path}: accepted[{index}] needs check, resource and reason")
        accepted.append(Accepted(str(entry["check"]), str(entry["resource"]), str(entry["reason"])))
    return accepted


def failed_checks(reports: Iterable[Any]) -> list[Mapping[str, Any]]:
    """Every failed check in checkov JSON reports (one report, or a list of them per framework)."""
    failed: list[Mapping[str, Any]] = []
    for report in reports:
        for part in report if isinstance(report, list) else [report]:
            failed += (part.get("results") or {}).get("failed_checks") or []
    return failed


def unexplained(failed: Sequence[Mapping[str, Any]], accepted: Sequence[Accepted]) -> tuple[list[str], list[Accepted]]:
    """(failed checks no entry accepts, entries that accept nothing)."""
    used: set[Accepted] = set()
    left = []
    for check in failed:
        match = [a for a in accepted if a.check == check["check_id"] and fnmatch.fnmatchcase(str(check["resource"]), a.resource)]
        used.update(match)
        if not match:
            left.append(f"{check['check_id']} {check['resource']} ({check.get('file_path', '?')}): {check.get('check_name', '')}")
    return sorted(set(left)), [a for a in accepted if a not in used]


def main(argv: Sequence[str]) -> int:
    """Print before/after counts and every unexplained finding; 1 if there is any."""
    accepted = load_accepted(Path(argv[0]))
    failed = failed_checks(json.loads(Path(p).read_text(encoding="utf-8") or "[]") for p in argv[1:])
    left, stale = unexplained(failed, accepted)
    print(f"checkov: {len(failed)} failed checks, {len(failed) - len(left)} accepted with a reason, {len(left)} unexplained")
    for line in left:
        print(f"  UNEXPLAINED {line}")
    for entry in stale:
        print(f"  STALE accepted entry matches nothing: {entry.check} {entry.resource}")
    return 1 if left or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
