"""Helpers for scripts/benchmark.sh: the dev stack's chart renders, one request at a time.

benchmark_charts.py requests OUT.json      run the dev stack once and write each Helm render it asks for
benchmark_charts.py render OUT.json N DIR  render request N into the expansion cache DIR (cold when DIR is empty)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def requests(out: Path) -> None:
    """Expand the dev stack once and record every render request (final API versions) it makes."""
    from k8tre.offline import chart_render, expand
    from k8tre.offline.engine import load, resolve, run

    stack = resolve("dev")
    seen: dict[str, chart_render.RenderRequest] = {}
    original = chart_render.render

    def record(request: chart_render.RenderRequest, cache: Path | None = None) -> tuple[dict[str, object], ...]:
        seen[request.release] = request  # the last request per release is the one the render keeps
        return original(request, cache)

    setattr(expand, "render", record)  # noqa: B010 - patch the name expand.py calls, for this process only
    expand.expand(run(stack), load(stack).cluster.kubernetes_version)
    rows = [{**vars(r), "archive": str(r.archive), "api_versions": sorted(r.api_versions)} for r in seen.values()]
    out.write_text(json.dumps(rows), encoding="utf-8")
    print(" ".join(f"{r['release']}:{Path(r['archive']).name}" for r in rows))


def render(source: Path, index: int, cache: Path) -> None:
    """Render one recorded request into ``cache`` (a hit when the cache already holds it)."""
    from k8tre.offline.chart_render import RenderRequest
    from k8tre.offline.chart_render import render as render_chart

    row = json.loads(source.read_text(encoding="utf-8"))[index]
    request = RenderRequest(**{**row, "archive": Path(row["archive"]), "api_versions": frozenset(row["api_versions"])})
    print(len(render_chart(request, cache)), "objects")


if __name__ == "__main__":
    if sys.argv[1] == "requests":
        requests(Path(sys.argv[2]))
    else:
        render(Path(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
