"""The ``k8tre`` command: validate and render stacks without the Pulumi CLI or a cloud."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.tree import Tree

from .config import ConfigError, K8treConfig
from .offline.graph import Graph

app = typer.Typer(
    help="K8TRE: validate and render stack configurations offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# soft_wrap: messages are printed whole, never re-wrapped at the terminal width (they are read by CI logs too).
_WIDTH = None if sys.stdout.isatty() else 240  # CI logs: never crop the tree at 80 columns
out_console = Console(highlight=False, soft_wrap=True, width=_WIDTH)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH)

StackArg = Annotated[str, typer.Argument(help="A stack name (dev, stg, prod, aws-dev, ...) or the path of a stack file.")]


def _fail_config(error: ConfigError) -> typer.Exit:
    # markup=False: messages contain [0]-style indices that rich would read as markup.
    err_console.print(str(error), markup=False)
    return typer.Exit(code=2)


@app.command()
def validate(stack: StackArg) -> None:
    """Check a stack's k8tre configuration; exit 2 and name every bad key if it is wrong."""
    from .offline.engine import load, resolve

    try:
        stack_file = resolve(stack)
        config = load(stack_file)
    except ConfigError as error:
        raise _fail_config(error) from None
    out_console.print(
        f"{stack_file.path}: valid ({config.environment} on {config.cluster.provider}, domain {config.domain})",
        markup=False,
    )


def _render_to(stack: str, out: Path | None) -> tuple[K8treConfig, Graph, Path]:
    """Validate, run offline and write the render: what ``render`` and ``check`` both start with."""
    from .offline.engine import EngineError, load, resolve, run
    from .offline.render import write

    try:
        stack_file = resolve(stack)
        config = load(stack_file)
        graph = run(stack_file)
    except ConfigError as error:
        raise _fail_config(error) from None
    except EngineError as error:
        err_console.print(str(error), markup=False)
        raise typer.Exit(code=1) from None
    target = out or Path("build") / graph.stack
    write(graph, target)
    return config, graph, target


@app.command()
def render(
    stack: StackArg,
    out: Annotated[Path | None, typer.Option(help="Output directory (default build/<stack>).")] = None,
) -> None:
    """Run the program offline and write graph.json, manifests/ and helm/."""
    from .offline.render import summarise

    _, graph, target = _render_to(stack, out)
    tree = Tree(f"{graph.project}/{graph.stack}: {sum(r.custom for r in graph.resources)} resources -> {target}")
    layers: dict[str, Tree] = {}
    for summary in summarise(graph):
        branch = layers.get(summary.layer) or tree.add(summary.layer)
        layers[summary.layer] = branch
        detail = ", ".join(f"{count} {kind.split(':')[-1]}" for kind, count in sorted(summary.counts.items()))
        branch.add(f"{summary.type} {summary.name}: {detail}")
    out_console.print(tree, markup=False)


@app.command()
def check(
    stack: StackArg,
    out: Annotated[Path | None, typer.Option(help="Output directory (default build/<stack>).")] = None,
) -> None:
    """Render offline, validate every object against upstream schemas, evaluate the SATRE rules, write check.json/md."""
    from .offline.schemas import SchemaMissingError
    from .offline.validation import validate_render
    from .policies.registry import evaluate_all
    from .policies.report import report_data, write_report

    config, graph, target = _render_to(stack, out)
    try:
        schema_errors = validate_render(graph, config.cluster.kubernetes_version)
    except SchemaMissingError as missing:
        schema_errors = [str(missing)]
    findings = evaluate_all(graph)
    data = report_data(graph.stack, findings, schema_errors)
    write_report(target, data)
    for finding in findings:
        mark = {"pass": "ok  ", "fail": "FAIL" if finding.rule.severity == "mandatory" else "warn", "not-applicable": "n/a "}
        out_console.print(
            f"{mark[finding.status]} {finding.rule.id} (SATRE {', '.join(finding.rule.satre)}; {finding.rule.severity})",
            markup=False,
        )
        for violation in finding.evaluation.violations:
            out_console.print(f"     - {violation.message}: {violation.urn}", markup=False)
    for problem in schema_errors:
        out_console.print(f"FAIL schema: {problem}", markup=False)
    verdict = "passed" if data["passed"] else "FAILED"
    out_console.print(f"{graph.stack}: compliance check {verdict}; report in {target}/check.md", markup=False)
    if not data["passed"]:
        raise typer.Exit(code=1)


@app.command("compliance-doc")
def compliance_doc(
    out: Annotated[Path, typer.Option(help="Where to write the SATRE mapping.")] = Path("docs/compliance.md"),
) -> None:
    """Regenerate docs/compliance.md from the rules and the SATRE v2 specification."""
    from .policies.mapping import compliance_markdown, load_specification, specification_path

    out.write_text(compliance_markdown(load_specification(specification_path())), encoding="utf-8")
    out_console.print(f"wrote {out}", markup=False)


def main() -> None:
    """Console-script entry point."""
    app()
