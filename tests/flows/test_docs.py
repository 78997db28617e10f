"""docs/networking.md shows the dev flow matrix as the evaluator computes it today."""

from __future__ import annotations

import os

from conftest import ROOT, expanded_graph_of
from k8tre.flows.matrix import evaluate, markdown

START, END = "<!-- flows:dev -->\n", "<!-- /flows:dev -->"


def test_networking_doc_shows_the_current_dev_matrix() -> None:
    path = ROOT / "docs" / "networking.md"
    text = path.read_text()
    head, rest = text.split(START)
    _, tail = rest.split(END)
    current = head + START + markdown(evaluate(expanded_graph_of("dev"))) + END + tail
    if os.environ.get("K8TRE_UPDATE_DOCS"):
        path.write_text(current)
    assert text == current, "docs/networking.md is stale: rerun with K8TRE_UPDATE_DOCS=1"
