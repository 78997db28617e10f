"""`k8tre check`, the report it writes, the generated SATRE mapping and the CrossGuard adapter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import ALL_STACKS, ROOT, graph_of
from k8tre.cli import app
from k8tre.policies.mapping import compliance_markdown, evidence, load_specification, specification_path
from k8tre.policies.registry import RULES

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_check_passes_and_writes_evidence(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "prod", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "check.json").read_text())
    assert data["passed"] is True and data["schemaErrors"] == []
    by_rule = {entry["rule"]: entry for entry in data["rules"]}
    assert by_rule["network-default-deny"]["satre"] == ["2.2.10", "2.2.11", "2.1.08", "2.1.14"]
    assert by_rule["network-default-deny"]["examined"]
    # The rendered realm file is judged: passing means something was examined.
    assert by_rule["mfa-required"]["status"] == "pass" and by_rule["mfa-required"]["examined"]
    table = (tmp_path / "check.md").read_text()
    assert "**Result: PASSED**" in table and "| `protected-state`" in table
    assert (tmp_path / "graph.json").exists()


def test_check_fails_naming_the_rule_and_requirement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import k8tre.agnostics.argocd as argocd

    original = argocd.argocd_values

    def with_admin(*args: Any) -> dict[str, Any]:
        values = original(*args)
        values["configs"]["cm"]["admin.enabled"] = True
        return values

    monkeypatch.setattr(argocd, "argocd_values", with_admin)
    result = runner.invoke(app, ["check", "prod", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "FAIL no-shared-admin (SATRE 3.2.01; mandatory)" in result.output
    assert json.loads((tmp_path / "check.json").read_text())["passed"] is False
    assert "**Result: FAILED**" in (tmp_path / "check.md").read_text()


def test_check_fails_on_schema_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import k8tre.agnostics.cert_manager as cert_manager

    original = cert_manager.cert_manager_values
    monkeypatch.setattr(cert_manager, "cert_manager_values", lambda *args: {**original(*args), "replicaCount": "two"})
    result = runner.invoke(app, ["check", "dev", "--out", str(tmp_path)])
    assert result.exit_code == 1
    # Helm itself refuses the value against the chart's values.schema.json when the chart is expanded.
    assert ("FAIL schema" in result.output or "FAIL expansion" in result.output) and "replicaCount" in result.output


def test_compliance_doc_is_current() -> None:
    evidenced = evidence(graph_of(stack) for stack in ALL_STACKS)
    expected = compliance_markdown(load_specification(specification_path()), evidenced=evidenced)
    current = (ROOT / "docs" / "compliance.md").read_text()
    assert current == expected, "docs/compliance.md is stale: run `uv run k8tre compliance-doc`"


def test_compliance_doc_refuses_an_unknown_requirement() -> None:
    from k8tre.policies.registry import Rule

    bogus = Rule("bogus", "x", ("9.9.99",), "advisory", lambda graph: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match=r"9\.9\.99"):
        compliance_markdown(load_specification(specification_path()), [*RULES, bogus])


def test_policy_pack_uses_only_names_pulumi_policy_has() -> None:
    import ast

    import pulumi_policy

    source = (ROOT / "policy" / "__main__.py").read_text()
    tree = ast.parse(source)
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "pulumi_policy" for a in n.names]
    assert imported and all(hasattr(pulumi_policy, name) for name in imported)
    assert "virtualenv: ../.venv" in (ROOT / "policy" / "PulumiPolicy.yaml").read_text()
