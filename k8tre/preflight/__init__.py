"""Preflight rules: each cloud's documented constraints, checked on the render before anything is deployed.

One module per cloud (``azure.py``; AWS and K3s follow the same pattern), plus the
per-platform Kubernetes support calendar (``support.py``, ``support_calendar.py``).
Rules read only the recorded graph: no Pulumi import, so the CrossGuard pack can run
them too.
"""

from .registry import PREFLIGHT_RULES, PreflightContext, PreflightFinding, PreflightRule, run_preflight

__all__ = ["PREFLIGHT_RULES", "PreflightContext", "PreflightFinding", "PreflightRule", "run_preflight"]
