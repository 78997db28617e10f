#!/usr/bin/env python3
"""The critical path of a render's graph and the time to a ready environment it implies.

Reads ``<render>/graph.json`` (``k8tre render <stack> --out <render>``), works out what each
resource waits for as ``pulumi up`` would (:mod:`k8tre.offline.ordering`), gives each resource a
typical duration from ``scripts/durations.yaml`` (each figure with its source) and prints the
longest chain of waits with its running total: nothing can make the deployment faster than that
chain, and everything off it runs in parallel with it.

    uv run --frozen python scripts/critical_path.py build/dev
    uv run --frozen python scripts/critical_path.py build/dev --markdown   # the table in docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from k8tre.offline.ordering import Node, chart_of, longest_path, transitive, wait_graph  # noqa: E402

DURATIONS = ROOT / "scripts" / "durations.yaml"


def load_durations(path: Path = DURATIONS) -> list[dict[str, Any]]:
    """The duration table; every entry has a type pattern, seconds and a source."""
    entries: list[dict[str, Any]] = yaml.safe_load(path.read_text())["durations"]
    for entry in entries:
        missing = {"type", "seconds", "source"} - set(entry)
        if missing:
            raise ValueError(f"{path}: entry {entry} lacks {', '.join(sorted(missing))}")
    return entries


def duration_of(node: Node, table: Sequence[Mapping[str, Any]]) -> tuple[float, float]:
    """Seconds Pulumi waits for one resource, and seconds it then takes to settle unwatched.

    The first entry whose type pattern (and chart, if given) matches.
    """
    for entry in table:
        if fnmatch.fnmatchcase(node.type, str(entry["type"])) and entry.get("chart", chart_of(node)) == chart_of(node):
            return float(entry["seconds"]), float(entry.get("settles", 0))
    raise ValueError(f"no duration for {node.type} (add a catch-all entry)")


def critical_path(graph: Mapping[str, Any], table: Sequence[Mapping[str, Any]]) -> tuple[float, list[tuple[Node, float, float]]]:
    """Total seconds and the chain as ``(resource, its seconds, running total)``."""
    nodes, waits = wait_graph(graph)
    transitive(waits)  # refuses a cycle by name before the longest path is sought
    timings = {urn: duration_of(node, table) for urn, node in nodes.items()}
    seconds = {urn: timing[0] for urn, timing in timings.items()}
    total, chain = longest_path(waits, seconds, {urn: timing[1] for urn, timing in timings.items()})
    running, rows = 0.0, []
    for i, urn in enumerate(chain):
        # The last resource's unwatched settling time is part of the path; earlier ones' are not.
        spent = seconds[urn] + (timings[urn][1] if i == len(chain) - 1 else 0.0)
        running += spent
        rows.append((nodes[urn], spent, running))
    return total, rows


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def markdown(stack: str, total: float, rows: Sequence[tuple[Node, float, float]]) -> str:
    """One stack's critical path as a Markdown table, resources with no duration left out."""
    lines = [
        f"**{stack}**: {len(rows)} resources on the critical path, about **{_minutes(total)}** to a ready environment.",
        "",
        "| # | Resource | Type | Typical | Running total |",
        "| ---: | --- | --- | ---: | ---: |",
    ]
    shown = [row for row in rows if row[1] > 0]
    for i, (node, seconds, running) in enumerate(shown, 1):
        lines.append(f"| {i} | `{node.name}` | `{node.type}` | {seconds:.0f} s | {_minutes(running)} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Print the critical path of each render directory given."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("renders", nargs="+", type=Path, help="render directories (each with graph.json)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--durations", type=Path, default=DURATIONS)
    args = parser.parse_args(argv)
    table = load_durations(args.durations)
    for render in args.renders:
        graph = json.loads((render / "graph.json").read_text())
        total, rows = critical_path(graph, table)
        if args.markdown:
            print(markdown(str(graph.get("stack") or render.name), total, rows))
            continue
        print(f"{graph.get('stack')}: {_minutes(total)} along {len(rows)} resources")
        for node, seconds, running in rows:
            print(f"  {running:7.0f} s  +{seconds:4.0f} s  {node.type}  {node.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
