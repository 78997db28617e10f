"""Shared fixtures: the project's stacks, rendered once per session, and a clean Pulumi runtime."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pulumi
import pytest
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings

from k8tre.offline.engine import StackFile, resolve, run
from k8tre.offline.graph import Graph
from k8tre.offline.mocks import K8treMocks
from k8tre.offline.monitor import RecordingMonitor

ROOT = Path(__file__).resolve().parents[1]
STACKS = ("dev", "stg", "prod")
MANAGEMENT_STACKS = ("mgmt",)
"""Examples with ``k8tre:role: management``: the shared Argo CD and no environment (tests/test_topology.py)."""
EXAMPLES = tuple(
    sorted(
        name
        for name in (p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "examples").glob("Pulumi.*.yaml"))
        if name not in MANAGEMENT_STACKS
    )
)
ALL_STACKS = STACKS + EXAMPLES

_graphs: dict[str, Graph] = {}


def stack_file(name: str) -> StackFile:
    """The project's stack (or example) called ``name``."""
    return resolve(name, ROOT)


def graph_of(name: str) -> Graph:
    """Run the program for a stack under the offline engine, once per session."""
    if name not in _graphs:
        _graphs[name] = run(stack_file(name))
    return _graphs[name]


_expanded: dict[str, Graph] = {}


def expanded_graph_of(name: str) -> Graph:
    """The stack's graph with every chart expanded (``graph.workloads``), once per session.

    A copy of :func:`graph_of`'s graph, so tests that read the program's graph alone never
    depend on whether another test expanded it first. Expansions are cached across runs
    (``K8TRE_EXPAND_CACHE``, default ``~/.cache/k8tre/expand``), keyed by chart digest and values.
    """
    if name not in _expanded:
        from k8tre.offline.engine import load
        from k8tre.offline.expand import expand

        graph = dataclasses.replace(graph_of(name), workloads=[])
        expand(graph, load(stack_file(name)).cluster.kubernetes_version)
        _expanded[name] = graph
    return _expanded[name]


@pytest.fixture(params=ALL_STACKS)
def any_stack(request: pytest.FixtureRequest) -> str:
    """Each stack and example in turn."""
    return str(request.param)


@pytest.fixture
def pulumi_runtime() -> Iterator[RecordingMonitor]:
    """Pulumi mocks with a recording monitor for component tests; runtime state and config reset after.

    ``preview=False`` so that every Output resolves and every assertion really runs. Use it
    only with ``@pulumi.runtime.test``, which drives the registrations to completion: mocks
    left half-way in the test process stall later offline-engine runs.
    """
    previous_loop = None
    with contextlib.suppress(RuntimeError):
        previous_loop = asyncio.get_event_loop()
    asyncio.set_event_loop(asyncio.new_event_loop())
    runtime_config.set_all_config({}, [])
    monitor = RecordingMonitor(K8treMocks())
    pulumi.runtime.set_mocks(K8treMocks(), project="k8tre", stack="test", preview=False, monitor=monitor)
    yield monitor
    settings.reset_options()
    runtime_config.set_all_config({}, [])
    if previous_loop is not None:
        asyncio.set_event_loop(previous_loop)
