"""The rule model: each rule cites the SATRE v2 requirements it enforces and how strictly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from ..offline.graph import Graph
from .facts import UnknownValue

Severity = Literal["mandatory", "advisory"]
"""Mandatory findings block a deployment; advisory ones are reported and do not."""

Status = Literal["pass", "fail", "not-evidenced"]
"""A rule's verdict on one graph. ``not-evidenced`` is never a pass: the rule proved nothing either way."""


@dataclass(frozen=True)
class Violation:
    """One resource (by URN) that breaks a rule, and how."""

    urn: str
    message: str


@dataclass
class Evaluation:
    """What a rule looked at and what it found wrong."""

    examined: list[str] = field(default_factory=list)
    """URNs of the resources the rule inspected (evidence that it ran on something)."""
    violations: list[Violation] = field(default_factory=list)
    unknown: list[Violation] = field(default_factory=list)
    """Resources the rule had to judge but could not see enough of (unknown in preview, redacted), and why."""

    def check(self, urn: str, ok: bool, message: str) -> None:
        """Record that ``urn`` was examined, and a violation if ``ok`` is false."""
        if urn not in self.examined:
            self.examined.append(urn)
        if not ok:
            self.violations.append(Violation(urn, message))

    def cannot_judge(self, urn: str, reason: str) -> None:
        """Record that ``urn`` needed judging but what decides it is not visible."""
        if Violation(urn, reason) not in self.unknown:
            self.unknown.append(Violation(urn, reason))

    @contextmanager
    def judging(self, urn: str, what: str = "") -> Iterator[None]:
        """Judge one resource: a value that is not known ends its judgement as not judged, not as pass or fail."""
        try:
            yield
        except UnknownValue as unknown:
            self.cannot_judge(urn, f"{what}: {unknown.reason}" if what else unknown.reason)

    @property
    def judged(self) -> list[str]:
        """Examined resources that were judged (nothing decisive unknown about them)."""
        blind = {entry.urn for entry in self.unknown}
        return [urn for urn in self.examined if urn not in blind]


@dataclass(frozen=True)
class Rule:
    """A compliance rule over the resource graph."""

    id: str
    """Stable identifier, e.g. ``network-default-deny``."""
    title: str
    """What the rule requires, in one sentence."""
    satre: tuple[str, ...]
    """SATRE v2 requirement indexes the rule gives evidence for."""
    severity: Severity
    """Whether a violation blocks."""
    evaluate: Callable[[Graph], Evaluation]
    """The check itself."""


RULES: list[Rule] = []
"""Every rule, in the order they are reported."""


def rule(
    rule_id: str, title: str, *, satre: tuple[str, ...], severity: Severity
) -> Callable[[Callable[[Graph], Evaluation]], Callable[[Graph], Evaluation]]:
    """Register a check function as a rule."""

    def register(evaluate: Callable[[Graph], Evaluation]) -> Callable[[Graph], Evaluation]:
        if any(existing.id == rule_id for existing in RULES):
            raise ValueError(f"rule {rule_id!r} is registered twice")
        RULES.append(Rule(rule_id, title, satre, severity, evaluate))
        return evaluate

    return register


@dataclass(frozen=True)
class Finding:
    """A rule's result on one graph."""

    rule: Rule
    evaluation: Evaluation

    @property
    def status(self) -> Status:
        """``fail`` on any violation; ``not-evidenced`` when the rule judged nothing, or could not see all it had to."""
        if self.evaluation.violations:
            return "fail"
        if not self.evaluation.examined or self.evaluation.unknown:
            return "not-evidenced"
        return "pass"

    @property
    def blocks(self) -> bool:
        """True when this finding must stop a deployment."""
        return self.status == "fail" and self.rule.severity == "mandatory"


def evaluate_all(graph: Graph) -> list[Finding]:
    """Run every registered rule on the graph."""
    from . import rules  # noqa: F401 - importing registers the rules

    return [Finding(r, r.evaluate(graph)) for r in RULES]
