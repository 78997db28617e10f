"""The preflight evidence a check leaves behind: ``preflight.json`` beside the compliance report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .registry import PreflightFinding


def preflight_data(findings: list[PreflightFinding]) -> list[dict[str, Any]]:
    """Each rule's verdict as plain data: what it requires, where that is documented, what it examined and found."""
    return [
        {
            "rule": f.rule.id,
            "cloud": f.rule.cloud,
            "constraint": f.rule.constraint,
            "source": f.rule.source,
            "severity": f.rule.severity,
            "status": f.status,
            "examined": f.evaluation.examined,
            "violations": [{"urn": v.urn, "message": v.message} for v in f.evaluation.violations],
        }
        for f in findings
    ]


def write_preflight(target: Path, findings: list[PreflightFinding]) -> None:
    """Write ``preflight.json`` into the render directory."""
    target.mkdir(parents=True, exist_ok=True)
    (target / "preflight.json").write_text(json.dumps(preflight_data(findings), indent=2) + "\n", encoding="utf-8")


DOC_START = "<!-- preflight-rules:start (generated from k8tre/preflight; a test keeps it current) -->"
DOC_END = "<!-- preflight-rules:end -->"


def rules_markdown() -> str:
    """The table of preflight rules (id, cloud, constraint, source) that ``docs/azure.md`` carries between markers."""
    from .registry import ordered_rules

    lines = [DOC_START, "", "| Rule | Cloud | Documented constraint | Source |", "| --- | --- | --- | --- |"]
    lines += [
        f"| `{r.id}`{' (warning)' if r.severity == 'warning' else ''} | {r.cloud} | {r.constraint} | <{r.source}> |"
        for r in ordered_rules()
    ]
    return "\n".join([*lines, "", DOC_END])
