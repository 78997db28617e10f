"""docs/agnostics.md: one row per platform service, the per-cloud column read from real renders."""

from __future__ import annotations

import os

from conftest import ROOT, graph_of
from k8tre.agnostics.catalogue import Render, markdown
from k8tre.offline.graph import Graph

START, END = "<!-- agnostics:table -->\n", "<!-- /agnostics:table -->"
CLOUDS = {"Azure (dev)": "dev", "AWS (aws-dev)": "aws-dev", "K3s (k3s-dev)": "k3s-dev"}
"""One stack per cloud: the column header and the stack it is read from."""


def render_of(graph: Graph) -> Render:
    """The parts of a graph the catalogue's variant functions read."""
    return {"manifests": graph.manifests(), "releases": graph.helm_releases()}


def test_agnostics_doc_shows_each_service_as_each_cloud_renders_it() -> None:
    path = ROOT / "docs" / "agnostics.md"
    text = path.read_text()
    head, rest = text.split(START)
    _, tail = rest.split(END)
    table = markdown({column: render_of(graph_of(stack)) for column, stack in CLOUDS.items()})
    current = head + START + table + END + tail
    if os.environ.get("K8TRE_UPDATE_DOCS"):
        path.write_text(current)
    assert text == current, "docs/agnostics.md is stale: rerun with K8TRE_UPDATE_DOCS=1"


def test_a_variant_reads_the_render_not_the_catalogue() -> None:
    # The same catalogue over a render whose issuer changed kind must say so: the column is evidence.
    graph = graph_of("dev")
    manifests = [
        {**m, "spec": {"ca": {"secretName": "root"}}}
        if m.get("kind") == "ClusterIssuer" and m["metadata"]["name"] == "selfsigned"
        else m
        for m in graph.manifests()
    ]
    before = markdown({"dev": render_of(graph)})
    after = markdown({"dev": {"manifests": manifests, "releases": graph.helm_releases()}})
    assert "; selfsigned: selfSigned |" in before
    assert "; selfsigned: ca |" in after
