"""Accepted risks reach the check report, where assessors read them."""

from __future__ import annotations

from pathlib import Path

from k8tre.config import load_file
from k8tre.policies.report import markdown, report_data

HERE = Path(__file__).parent


def test_the_report_lists_each_accepted_risk_with_reason_and_approver() -> None:
    config = load_file(HERE / "azure-prod-accepted-risk.ok.yaml")
    data = report_data("prod", [], [], config.accepted_risks)
    assert data["acceptedRisks"] == [
        {
            "rule": "prod-acme-staging",
            "risk": "certificates from Let's Encrypt's untrusted staging CA",
            "reason": config.accepted_risks[0].reason,
            "approvedBy": "TRE service owner",
        }
    ]
    text = markdown(data)
    assert "## Accepted risks" in text and "`prod-acme-staging`" in text and "TRE service owner" in text


def test_no_risk_and_unknown_risks_are_said_so() -> None:
    assert "accepts no risk" in markdown(report_data("dev", [], [], ()))
    assert "Not known" in markdown(report_data("dir", [], [], None))
