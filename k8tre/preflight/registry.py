"""The preflight rule model: a cloud's documented constraint, its source, and a check over the render.

A preflight rule answers "would the cloud accept this, and would it work once
accepted?" before anything is deployed. Each rule cites the page or REST
specification its constraint comes from, so a reviewer can check the rule against
the cloud rather than against the program. A rule that found nothing to examine
reports ``not-applicable``; it never passes vacuously.
"""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ..offline.graph import Graph
from ..policies.registry import Evaluation

Cloud = Literal["azure", "aws", "k3s"]
"""The platform a rule's constraint belongs to."""
Status = Literal["pass", "fail", "warn", "not-applicable"]
"""A rule's verdict on one render: ``warn`` is a broken recommendation, which does not fail the check."""
Severity = Literal["error", "warning"]
"""``error``: the cloud refuses it or it breaks; ``warning``: the cloud's documentation recommends otherwise."""


@dataclass(frozen=True)
class PreflightContext:
    """What a rule may know besides the graph; injectable so tests can move the clock."""

    today: datetime.date
    """The date the render is judged at (support calendars depend on it)."""


Check = Callable[[Graph, PreflightContext], Evaluation]
"""A rule's check: the render and the context in, an evaluation out."""


@dataclass(frozen=True)
class PreflightRule:
    """A documented cloud constraint, checked over the recorded resource graph."""

    id: str
    """Stable identifier, e.g. ``azure-firewall-network-rule-no-wildcard``."""
    cloud: Cloud
    """The platform whose constraint this is."""
    constraint: str
    """The documented constraint, in one sentence."""
    source: str
    """Where the constraint is documented (a URL, or a REST specification's repository path)."""
    check: Check
    """The check itself."""
    severity: Severity = "error"
    """Whether a violation fails the render (``error``) or is reported as a warning."""


@dataclass(frozen=True)
class PreflightFinding:
    """A rule's verdict on one render."""

    rule: PreflightRule
    """The rule."""
    evaluation: Evaluation
    """What it examined and found."""

    @property
    def status(self) -> Status:
        """``not-applicable`` when the rule had nothing to examine; never a silent pass."""
        if self.evaluation.violations:
            return "warn" if self.rule.severity == "warning" else "fail"
        return "pass" if self.evaluation.examined else "not-applicable"


PREFLIGHT_RULES: list[PreflightRule] = []
"""Every registered rule, in the order they are reported."""


def preflight_rule(
    rule_id: str, *, cloud: Cloud, constraint: str, source: str, severity: Severity = "error"
) -> Callable[[Check], Check]:
    """Register a check function as a preflight rule."""

    def register(check: Check) -> Check:
        if any(existing.id == rule_id for existing in PREFLIGHT_RULES):
            raise ValueError(f"preflight rule {rule_id!r} is registered twice")
        PREFLIGHT_RULES.append(PreflightRule(rule_id, cloud, constraint, source, check, severity))
        return check

    return register


def run_preflight(graph: Graph, today: datetime.date | None = None) -> list[PreflightFinding]:
    """Every preflight rule's verdict on the graph, judged at ``today`` (default: the real date, UTC)."""
    context = PreflightContext(today or datetime.datetime.now(datetime.UTC).date())
    return [PreflightFinding(rule, rule.check(graph, context)) for rule in ordered_rules()]


RULE_MODULES = (
    "azure",
    "azure_dns",
    "azure_subscriptions",
    "azure_egress",
    "azure_firewall_egress",
    "azure_network",
    "azure_baseline",
    "azure_kms",
    "azure_os_disk",
    "azure_storage",
    "storage_classes",
    "azure_private_dns",
    "aws_dns",
    "aws_eks",
    "aws_network",
    "backups",
    "secret_stores",
    "support",
    "k3s",
)
"""The modules that hold rules, in the order their rules are reported."""


def load_rule_modules() -> None:
    """Import every rule module: importing one registers its rules."""
    for module in RULE_MODULES:
        importlib.import_module(f"{__package__}.{module}")


def ordered_rules() -> list[PreflightRule]:
    """Every rule, by module in :data:`RULE_MODULES` order and within one in the order it declares them.

    Whichever module a caller imported first, the report and the documented table come out the same.
    """
    load_rule_modules()
    return sorted(PREFLIGHT_RULES, key=lambda rule: RULE_MODULES.index(rule.check.__module__.rsplit(".", 1)[-1]))
