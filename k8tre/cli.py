"""The ``k8tre`` command: validate and render stacks without the Pulumi CLI or a cloud."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.tree import Tree

from .config import ConfigError, K8treConfig
from .config.guardrails import AcceptedRisk
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


ReferenceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--reference",
        help="STACK=RENDER_DIR: answer a StackReference to STACK (e.g. org/k8tre/management) with the outputs "
        "in RENDER_DIR/graph.json, a render of that stack. Repeatable.",
    ),
]


def _references(given: list[str] | None) -> dict[str, dict[str, Any]]:
    """Outputs of other stacks, each read from a render of that stack (never made up)."""
    import json

    references: dict[str, dict[str, Any]] = {}
    for item in given or ():
        name, _, directory = item.partition("=")
        graph_file = Path(directory) / "graph.json"
        if not name or not graph_file.is_file():
            err_console.print(f"--reference {item}: expected STACK=RENDER_DIR with RENDER_DIR/graph.json", markup=False)
            raise typer.Exit(code=2)
        references[name] = json.loads(graph_file.read_text(encoding="utf-8"))["outputs"]
    return references


def _render_to(stack: str, out: Path | None, references: list[str] | None = None) -> tuple[K8treConfig, Graph, Path]:
    """Validate, run offline and write the render: what ``render`` and ``check`` both start with."""
    from .offline.engine import EngineError, read, resolve, run
    from .offline.render import write

    try:
        loaded = read(resolve(stack))  # read and validated once; the program gets the same values
        config = loaded.config
        graph = run(loaded, references=_references(references))
    except ConfigError as error:
        raise _fail_config(error) from None
    except EngineError as error:
        err_console.print(str(error), markup=False)
        raise typer.Exit(code=1) from None
    target = out or Path("build") / graph.stack
    write(graph, target)
    _expand_to(config, graph, target)
    return config, graph, target


def _expand_to(config: K8treConfig, graph: Graph, target: Path) -> None:
    """Expand every chart into what it installs (``graph.workloads``) and write workloads/ and images.txt."""
    from .offline.expand import ExpansionError, expand
    from .offline.render import write_workloads

    try:
        expand(graph, config.cluster.kubernetes_version)
    except ExpansionError as error:
        out_console.print(f"FAIL expansion: the charts cannot be rendered as they would be installed: {error}", markup=False)
        raise typer.Exit(code=1) from None
    write_workloads(graph, target)


@app.command()
def render(
    stack: StackArg,
    out: Annotated[Path | None, typer.Option(help="Output directory (default build/<stack>).")] = None,
    reference: ReferenceOpt = None,
) -> None:
    """Run the program offline and write graph.json, manifests/, helm/, workloads/ and images.txt."""
    from .offline.render import summarise

    _, graph, target = _render_to(stack, out, reference)
    tree = Tree(f"{graph.project}/{graph.stack}: {sum(r.custom for r in graph.resources)} resources -> {target}")
    layers: dict[str, Tree] = {}
    for summary in summarise(graph):
        branch = layers.get(summary.layer) or tree.add(summary.layer)
        layers[summary.layer] = branch
        detail = ", ".join(f"{count} {kind.split(':')[-1]}" for kind, count in sorted(summary.counts.items()))
        branch.add(f"{summary.type} {summary.name}: {detail}")
    workloads = tree.add(f"workloads ({len(graph.workloads)} charts expanded)")
    for release in graph.workloads:
        identity = f"{release.namespace}/{release.name} ({release.chart} {release.version}, {release.source})"
        workloads.add(f"{identity}: {len(release.objects)} objects")
    out_console.print(tree, markup=False)


def _check_input(
    stack: str, out: Path | None, references: list[str] | None = None
) -> tuple[Graph, Path, str, tuple[AcceptedRisk, ...] | None]:
    """A stack is rendered first; a render directory (CI artefacts, a mutated render) is judged as it is.

    The last item is the stack file's accepted risks (None for a render directory: not known).
    """
    from .offline.load import RenderDirectoryError, load

    if not Path(stack).is_dir():
        config, graph, target = _render_to(stack, out, references)
        return graph, target, config.cluster.kubernetes_version, config.accepted_risks
    try:
        graph = load(Path(stack))
    except RenderDirectoryError as error:
        err_console.print(str(error), markup=False)
        raise typer.Exit(code=2) from None
    version = graph.outputs.get("kubernetesVersion")
    if not isinstance(version, str):
        err_console.print(f"{stack}: graph.json has no kubernetesVersion output to validate against", markup=False)
        raise typer.Exit(code=2)
    return graph, out or Path(stack), version, None


@app.command()
def check(
    stack: Annotated[str, typer.Argument(help="A stack name or stack file (rendered first), or a render directory.")],
    out: Annotated[Path | None, typer.Option(help="Output directory (default build/<stack>, or the render directory).")] = None,
    reference: ReferenceOpt = None,
) -> None:
    """Validate a render against upstream schemas, evaluate the SATRE rules, write check.json/md (renders a stack first)."""
    from .offline.schemas import SchemaMissingError
    from .offline.validation import validate_render
    from .policies.registry import evaluate_all
    from .policies.report import report_data, write_report
    from .workload_checks.run import check_workloads

    graph, target, kubernetes_version, accepted_risks = _check_input(stack, out, reference)
    try:
        schema_errors = validate_render(graph, kubernetes_version)
    except SchemaMissingError as missing:
        schema_errors = [str(missing)]
    findings = evaluate_all(graph)
    workloads = check_workloads(graph, kubernetes_version)
    # What the charts will really run fails the check like a schema error does (listed with them in the report).
    data = report_data(graph.stack, findings, schema_errors + [str(refused) for refused in workloads.errors], accepted_risks)
    write_report(target, data)
    for finding in findings:
        # not-evidenced is never shown as ok: the rule proved nothing either way.
        failed = "FAIL" if finding.rule.severity == "mandatory" else "warn"
        mark = {"pass": "ok  ", "fail": failed, "not-evidenced": "NOT EVIDENCED"}
        out_console.print(
            f"{mark[finding.status]} {finding.rule.id} (SATRE {', '.join(finding.rule.satre)}; {finding.rule.severity})",
            markup=False,
        )
        for violation in finding.evaluation.violations:
            out_console.print(f"     - {violation.message}: {violation.urn}", markup=False)
        for blind in finding.evaluation.unknown:
            out_console.print(f"     ? not judged, {blind.message}: {blind.urn}", markup=False)
    for problem in schema_errors:
        out_console.print(f"FAIL schema: {problem}", markup=False)
    for check_name, count in workloads.examined.items():
        # A check that looked at nothing says so rather than passing.
        status = "n/a " if not count else ("FAIL" if any(f.check == check_name for f in workloads.errors) else "ok  ")
        out_console.print(f"{status} workloads {check_name}: {count} examined", markup=False)
    for refused in workloads.errors:
        out_console.print(f"FAIL workload {refused}", markup=False)
    if workloads.advisories:
        advisories = len(workloads.advisories)
        out_console.print(f"note {advisories} advisories (images without digest, values equal to defaults)", markup=False)
    preflight_passed = _preflight(graph, target)
    verdict = "passed" if data["passed"] and preflight_passed else "FAILED"
    out_console.print(f"{graph.stack}: compliance check {verdict}; report in {target}/check.md", markup=False)
    if not (data["passed"] and preflight_passed):
        raise typer.Exit(code=1)


def _preflight(graph: Graph, target: Path) -> bool:
    """Print each cloud preflight rule's verdict, write preflight.json; False when a documented constraint is broken."""
    from .preflight.registry import run_preflight
    from .preflight.report import write_preflight

    findings = run_preflight(graph)
    write_preflight(target, findings)
    for finding in findings:
        mark = {"pass": "ok  ", "fail": "FAIL", "warn": "WARN", "not-applicable": "n/a "}[finding.status]
        out_console.print(f"{mark} preflight {finding.rule.id} ({finding.rule.cloud}; {finding.rule.source})", markup=False)
        for violation in finding.evaluation.violations:
            out_console.print(f"     - {violation.message}: {violation.urn}", markup=False)
    return not any(finding.status == "fail" for finding in findings)


@app.command()
def flows(
    stack: StackArg,
    out: Annotated[Path | None, typer.Option(help="Output directory (default build/<stack>).")] = None,
    reference: ReferenceOpt = None,
) -> None:
    """Render offline and print the flow matrix (flow, expected, verdict, deciding policy); exit 1 on a surprise."""
    from .flows.matrix import evaluate, markdown

    _, graph, target = _render_to(stack, out, reference)
    rows = evaluate(graph)
    (target / "flows.md").write_text(markdown(rows), encoding="utf-8")
    for row in rows:
        deciding = ", ".join(row.verdict.deciding) if row.verdict else "nothing examined"
        mark = "ok  " if row.ok else "FAIL"
        out_console.print(
            f"{mark} {row.source} -> {row.destination} {row.port}/{row.protocol}: expected {row.expect}, "
            f"got {row.actual} ({deciding})",
            markup=False,
        )
    failed = [row for row in rows if not row.ok]
    out_console.print(f"{graph.stack}: {len(rows)} flows, {len(failed)} unexpected; matrix in {target}/flows.md", markup=False)
    if failed:
        raise typer.Exit(code=1)


@app.command("compliance-doc")
def compliance_doc(
    out: Annotated[Path, typer.Option(help="Where to write the SATRE mapping.")] = Path("docs/compliance.md"),
) -> None:
    """Regenerate docs/compliance.md from the rules and the SATRE v2 specification."""
    from .offline.engine import resolve, run
    from .policies.mapping import compliance_markdown, evidence, load_specification, specification_path

    # Evidence is claimed only for rules that judged something on the project's own stacks and examples.
    project = Path.cwd()
    files = sorted([*project.glob("Pulumi.*.yaml"), *project.glob("examples/Pulumi.*.yaml")])
    names = [p.name[len("Pulumi.") : -len(".yaml")] for p in files]
    evidenced = evidence(run(resolve(name, project)) for name in names)
    out.write_text(compliance_markdown(load_specification(specification_path()), evidenced=evidenced), encoding="utf-8")
    out_console.print(f"wrote {out}", markup=False)


def _register_diff() -> None:
    # The diff command lives in its own module (this one stays small); imported here so `k8tre diff` exists.
    from .cli_diff import diff_command

    app.command("diff")(diff_command)


_register_diff()


def main() -> None:
    """Console-script entry point."""
    app()
