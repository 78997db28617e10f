"""The offline engine refuses what Pulumi's engine refuses, and records options as the program wrote them.

Each test runs a tiny program of its own through the real engine path (``engine.execute``):
the same mock runtime, recording monitor and declaration hook as a stack render.
"""

from __future__ import annotations

import contextlib
import re
import textwrap
import threading
from pathlib import Path
from types import SimpleNamespace

import pulumi
import pulumi.runtime
import pytest

from k8tre.offline import engine
from k8tre.offline.graph import Graph
from k8tre.offline.mocks import K8treMocks
from k8tre.offline.monitor import RecordingMonitor, RegistrationRefused

_HEADER = """
import pulumi
import pulumi_random as random

class Part(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("test:index:Part", name, None, opts)
        self.register_outputs({})
"""


def _run(tmp_path: Path, body: str) -> Graph:
    (tmp_path / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(_HEADER + textwrap.dedent(body))
    (tmp_path / "Pulumi.tiny.yaml").write_text("config: {}\n")
    stack = engine.StackFile(path=tmp_path / "Pulumi.tiny.yaml", stack="tiny", project_dir=tmp_path)
    return engine.execute(stack, {}, set(), timeout=60)


def test_a_program_without_faults_runs(tmp_path: Path) -> None:
    # The control for the refusals below: the same scaffolding passes when nothing is wrong.
    graph = _run(tmp_path, 'Part("one")\nPart("two")\n')
    assert sorted(r.name for r in graph.of_type("test:index:Part")) == ["one", "two"]
    assert len(graph.of_type("pulumi:pulumi:Stack")) == 1, "one root stack, as the real engine sees"


def test_a_duplicate_urn_is_refused_naming_both_registrations(tmp_path: Path) -> None:
    with pytest.raises(engine.EngineError) as caught:
        _run(tmp_path, 'Part("same")\nPart("other")\nPart("same")\n')
    message = str(caught.value)
    assert "Duplicate resource URN 'urn:pulumi:tiny::tiny::test:index:Part::same'" in message
    main = tmp_path / "__main__.py"
    first, second = (len(_HEADER.splitlines()) + n for n in (1, 3))  # the two Part("same") lines
    assert f"{main}:{first}" in message and f"{main}:{second}" in message, message


def test_the_same_child_name_under_two_parents_of_one_type_is_a_duplicate(tmp_path: Path) -> None:
    # A URN holds the parents' types, not their names: this is why children are named f"{name}-{part}".
    body = """
        a = Part("a")
        b = Part("b")
        Part("child", pulumi.ResourceOptions(parent=a))
        Part("child", pulumi.ResourceOptions(parent=b))
        """
    with pytest.raises(
        engine.EngineError,
        match=re.escape("Duplicate resource URN 'urn:pulumi:tiny::tiny::test:index:Part$test:index:Part::child'"),
    ):
        _run(tmp_path, body)
    graph = _run(
        tmp_path,
        body.replace('Part("child", pulumi.ResourceOptions(parent=b))', 'Part("b-child", pulumi.ResourceOptions(parent=b))'),
    )
    assert {r.urn for r in graph.of_type("test:index:Part")} >= {
        "urn:pulumi:tiny::tiny::test:index:Part$test:index:Part::child",
        "urn:pulumi:tiny::tiny::test:index:Part$test:index:Part::b-child",
    }


def test_urns_follow_the_engine_rule_full_parent_chain_without_the_stack(tmp_path: Path) -> None:
    # pkg/resource/deploy/deployment.go generateURN: the parent's qualified type, the root stack's left out.
    graph = _run(
        tmp_path,
        'a = Part("a")\nb = Part("a-b", pulumi.ResourceOptions(parent=a))\nPart("a-b-c", pulumi.ResourceOptions(parent=b))\n',
    )
    assert graph.named("a").urn == "urn:pulumi:tiny::tiny::test:index:Part::a"
    assert graph.named("a-b-c").urn == "urn:pulumi:tiny::tiny::test:index:Part$test:index:Part$test:index:Part::a-b-c"


def test_an_output_used_as_text_fails_at_the_line_that_did_it(tmp_path: Path) -> None:
    with pytest.raises(engine.EngineError) as caught:
        _run(tmp_path, 'a = random.RandomPassword("a", length=8)\nPart(f"b-{a.result}")\n')
    message = str(caught.value)
    assert "Calling __str__ on an Output[T] is not supported" in message
    assert f"{tmp_path / '__main__.py'}:{len(_HEADER.splitlines()) + 2}" in message, message


def test_an_output_as_text_is_refused_by_the_monitor_when_the_sdk_only_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without PULUMI_ERROR_OUTPUT_STRING the SDK logs a warning and returns a sentence: the
    # monitor must still stop the run, naming the resource whose name or inputs hold it.
    monkeypatch.setattr(engine, "outputs_as_text_raise", contextlib.nullcontext)
    with pytest.raises(engine.EngineError) as caught:
        _run(
            tmp_path,
            'a = random.RandomPassword("a", length=8)\nrandom.RandomPassword("b", length=8, keepers={"k": f"{a.result}"})\n',
        )
    message = str(caught.value)
    assert "random:index/randomPassword:RandomPassword 'b' was given an Output as plain text" in message, message
    assert f"{tmp_path / '__main__.py'}:" in message


def test_depends_on_is_recorded_as_written_not_expanded(tmp_path: Path) -> None:
    graph = _run(
        tmp_path,
        """
        spoke = Part("spoke")
        for n in range(3):
            random.RandomPassword(f"spoke-{n}", length=8, opts=pulumi.ResourceOptions(parent=spoke))
        random.RandomPassword("cluster", length=8, opts=pulumi.ResourceOptions(depends_on=[spoke]))
        """,
    )
    spoke = graph.named("spoke")
    cluster = graph.named("cluster")
    children = {r.urn for r in graph.resources if r.parent == spoke.urn}
    assert len(children) == 3
    assert cluster.options.depends_on == (spoke.urn,)
    # What the engine receives is still the expansion: the children are in dependencies.
    assert children <= set(cluster.dependencies)
    assert graph.named("spoke-0").options.depends_on == ()


def test_depends_on_a_single_resource_or_an_output_of_one(tmp_path: Path) -> None:
    graph = _run(
        tmp_path,
        """
        a = random.RandomPassword("a", length=8)
        b = random.RandomPassword("b", length=8, opts=pulumi.ResourceOptions(depends_on=a))
        c = random.RandomPassword("c", length=8, opts=pulumi.ResourceOptions(depends_on=[pulumi.Output.from_input(b)]))
        """,
    )
    assert graph.named("b").options.depends_on == (graph.named("a").urn,)
    assert graph.named("c").options.depends_on == (graph.named("b").urn,)


def test_a_parent_that_was_never_registered_is_refused() -> None:
    # The SDK cannot produce this from Python (it awaits the parent's URN), so ask the monitor directly.
    # (in a thread of its own: the project and stack settings are context variables, set there only).
    monitor = RecordingMonitor(K8treMocks())
    request = SimpleNamespace(parent="urn:pulumi:s::p::test:index:Part::ghost", type="test:index:Part", name="orphan")
    outcome: list[BaseException] = []

    def admit() -> None:
        pulumi.runtime.reset_options(project="p", stack="s")
        try:
            monitor._admit(request, {})
        except RegistrationRefused as refused:
            outcome.append(refused)

    worker = threading.Thread(target=admit)
    worker.start()
    worker.join(10)
    assert outcome and "could not find parent resource urn:pulumi:s::p::test:index:Part::ghost" in str(outcome[0])


def test_the_real_stack_records_the_spoke_in_depends_on_not_its_children() -> None:
    from conftest import graph_of
    from k8tre.policies.facts import managed_clusters

    graph = graph_of("dev")
    (cluster,) = managed_clusters(graph)
    spoke = [urn for urn in cluster.options.depends_on if graph.get(urn).type == "k8tre:infrastructure:SpokeNetwork"]
    assert len(spoke) == 1
    assert not [urn for urn in cluster.options.depends_on if graph.get(urn).parent == spoke[0]]
