"""``k8tre diff STACK_A STACK_B``: what a promotion would change, from two renders (docs/applications.md, Promotion)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .config import ConfigError
from .diff import Environment, diff, lines

_WIDTH = None if sys.stdout.isatty() else 240
out_console = Console(highlight=False, soft_wrap=True, width=_WIDTH)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH)

EXIT_IDENTICAL, EXIT_DIFFERENT, EXIT_BAD_INPUT = 0, 1, 2


def _references(given: list[str] | None) -> dict[str, dict[str, object]]:
    """Outputs of other stacks, each read from a render of that stack (as ``k8tre render --reference``)."""
    references = {}
    for item in given or ():
        name, _, directory = item.partition("=")
        graph_file = Path(directory) / "graph.json"
        if not name or not graph_file.is_file():
            raise ValueError(f"--reference {item}: expected STACK=RENDER_DIR with RENDER_DIR/graph.json")
        references[name] = json.loads(graph_file.read_text(encoding="utf-8"))["outputs"]
    return references


def environment(stack: str, references: list[str] | None, kubernetes_version: str | None = None) -> Environment:
    """A stack (validated, run offline, charts expanded) or a render directory, as one side of the diff."""
    from .offline.engine import read, resolve, run
    from .offline.expand import expand
    from .offline.load import load

    if Path(stack).is_dir():
        return Environment(stack, load(Path(stack)))
    loaded = read(resolve(stack))  # a bad stack file raises ConfigError here, before anything runs
    graph = run(loaded, references=_references(references))
    expand(graph, kubernetes_version or loaded.config.cluster.kubernetes_version)
    return Environment(loaded.stack.stack, graph, loaded.config)


def diff_command(
    stack_a: Annotated[str, typer.Argument(help="The environment promoted from: a stack name, stack file or render directory.")],
    stack_b: Annotated[str, typer.Argument(help="The environment promoted to (e.g. prod).")],
    reference: Annotated[
        list[str] | None,
        typer.Option("--reference", help="STACK=RENDER_DIR for a StackReference either stack makes (repeatable)."),
    ] = None,
) -> None:
    """Print what differs between two environments; exit 0 when identical, 1 when different, 2 on a bad input."""
    from .offline.engine import EngineError
    from .offline.expand import ExpansionError
    from .offline.load import RenderDirectoryError

    try:
        a = environment(stack_a, reference)
        b = environment(stack_b, reference)
    except ConfigError as error:
        err_console.print(str(error), markup=False)
        raise typer.Exit(code=EXIT_BAD_INPUT) from None
    except (EngineError, ExpansionError, RenderDirectoryError, ValueError) as error:
        err_console.print(f"k8tre diff: cannot compare: {error}", markup=False)
        raise typer.Exit(code=EXIT_BAD_INPUT) from None
    report = list(lines(diff(a, b)))
    if not report:
        out_console.print(f"{a.name} and {b.name}: identical", markup=False)
        raise typer.Exit(code=EXIT_IDENTICAL)
    out_console.print(f"# {a.name} -> {b.name}", markup=False)
    for line in report:
        out_console.print(line, markup=False)
    raise typer.Exit(code=EXIT_DIFFERENT)
