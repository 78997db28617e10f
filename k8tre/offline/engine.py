"""Run the unmodified Pulumi program under mocks and return what it registered.

The program (``stacks/__main__.py``) runs exactly as ``pulumi up`` would run it,
but against :class:`RecordingMonitor` instead of the engine: no CLI, no provider
plugins, no cloud credentials. ``secure:`` values become secret placeholders.
"""

from __future__ import annotations

import asyncio
import json
import runpy
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..config import ConfigError, K8treConfig, build, read_stack_file
from .graph import Graph
from .mocks import K8treMocks
from .monitor import RecordingMonitor

DEFAULT_TIMEOUT = 300.0
PROJECT = "k8tre"


class EngineError(Exception):
    """The program failed or hung under the offline engine."""


@dataclass(frozen=True)
class StackFile:
    """A stack file and the Pulumi project it belongs to."""

    path: Path
    stack: str
    project_dir: Path

    @property
    def program(self) -> Path:
        """The program's entry point, from ``main:`` in ``Pulumi.yaml``."""
        document = yaml.safe_load((self.project_dir / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
        return self.project_dir / str(document.get("main", ".")) / "__main__.py"


def resolve(stack_or_file: str, project_dir: Path | None = None) -> StackFile:
    """Find a stack by name (``dev``) in the project, or by the path of any stack file."""
    project = project_dir or find_project_dir(Path.cwd())
    candidate = Path(stack_or_file)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        path = candidate
    else:
        path = project / f"Pulumi.{stack_or_file}.yaml"
        if not path.exists():
            path = project / "examples" / f"Pulumi.{stack_or_file}.yaml"
    if not path.exists():
        raise ConfigError(str(path), [("file", f"no stack file for {stack_or_file!r}")])
    stem = path.name
    stack = stem[len("Pulumi.") : -len(path.suffix)] if stem.startswith("Pulumi.") else path.stem
    return StackFile(path=path, stack=stack, project_dir=project)


def find_project_dir(start: Path) -> Path:
    """The nearest directory holding ``Pulumi.yaml`` (the installed package's project otherwise)."""
    for directory in (start.resolve(), *start.resolve().parents):
        if (directory / "Pulumi.yaml").exists():
            return directory
    return Path(__file__).resolve().parents[2]


def load(stack: StackFile) -> K8treConfig:
    """Validate the stack file; raises :class:`ConfigError` before any resource exists."""
    values, secret_keys = read_stack_file(stack.path)
    return build(values, secret_keys, source=str(stack.path))


def run(stack: StackFile, *, timeout: float = DEFAULT_TIMEOUT) -> Graph:
    """Validate the config, then run the program under mocks and return its graph."""
    load(stack)  # a bad file stops here: nothing is registered
    values, secret_keys = read_stack_file(stack.path)
    return execute(stack, values, secret_keys, timeout=timeout)


def execute(stack: StackFile, values: dict[str, Any], secret_keys: set[str], *, timeout: float = DEFAULT_TIMEOUT) -> Graph:
    """Run the program with these config values as the Pulumi CLI would: no validation in front."""
    result: dict[str, Any] = {}

    def target() -> None:
        # A fresh thread starts with fresh context variables: no state leaks between runs.
        try:
            result["graph"] = _run_in_thread(stack, values, secret_keys)
        except BaseException as exc:
            result["error"] = exc

    worker = threading.Thread(target=target, name=f"k8tre-offline-{stack.stack}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise EngineError(f"the program did not finish within {timeout:.0f}s (an Output that never resolves?)")
    if "error" in result:
        error = result["error"]
        raise EngineError(f"the program failed under the offline engine: {error}") from error
    graph: Graph = result["graph"]
    return graph


def _engine_config(values: dict[str, Any], secret_keys: set[str]) -> dict[str, str]:
    # The engine hands every value to the program as a string, structured ones as JSON.
    config: dict[str, str] = {}
    for key, value in values.items():
        if key in secret_keys:
            config[key] = f"offline-placeholder-for-{key}"
        elif isinstance(value, str):
            config[key] = value
        else:
            config[key] = json.dumps(value)
    return config


def _close(loop: asyncio.AbstractEventLoop) -> None:
    # A program that failed leaves RPCs in flight; finish them here so none outlives this run.
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()


def _run_in_thread(stack: StackFile, values: dict[str, Any], secret_keys: set[str]) -> Graph:
    import pulumi.runtime as runtime
    from pulumi.runtime import config as runtime_config
    from pulumi.runtime import settings
    from pulumi.runtime.stack import run_in_stack
    from pulumi.runtime.sync_await import _sync_await

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    runtime_config.set_all_config(_engine_config(values, secret_keys), sorted(secret_keys))
    monitor = RecordingMonitor(K8treMocks())
    runtime.set_mocks(K8treMocks(), project=PROJECT, stack=stack.stack, preview=False, monitor=monitor)
    # set_mocks made and closed a root stack of its own; run the program in a fresh one as the CLI does.
    settings.ROOT.set(None)
    program = stack.program

    def run_program() -> None:
        runpy.run_path(str(program), run_name="__main__")

    try:
        _sync_await(run_in_stack(run_program))
    finally:
        _close(loop)
    return Graph(
        project=PROJECT,
        stack=stack.stack,
        resources=list(monitor.recorded.values()),
        invokes=list(monitor.invokes),
        outputs=dict(monitor.stack_outputs),
    )
