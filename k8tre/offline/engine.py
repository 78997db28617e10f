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
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
import yaml

from ..config import ConfigError, K8treConfig, build, read_stack_file
from .declared import Declarations
from .graph import Graph, RecordedResource
from .mocks import K8treMocks
from .monitor import RecordingMonitor, RegistrationRefused
from .sdk_private import clear_root_stack, outputs_as_text_raise

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
        return self.project_dir / str(self._project_file().get("main", ".")) / "__main__.py"

    @property
    def project(self) -> str:
        """The project's name, from ``name:`` in ``Pulumi.yaml`` (part of every URN)."""
        return str(self._project_file().get("name", PROJECT))

    def _project_file(self) -> dict[str, Any]:
        document = yaml.safe_load((self.project_dir / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
        return document if isinstance(document, dict) else {}


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


@dataclass(frozen=True)
class LoadedStack:
    """A stack file read and validated once: the config for the CLI, the raw values for the program."""

    stack: StackFile
    config: K8treConfig
    values: dict[str, Any]
    secret_keys: frozenset[str]


def read(stack: StackFile) -> LoadedStack:
    """Read and validate the stack file; raises :class:`ConfigError` before any resource exists."""
    values, secret_keys = read_stack_file(stack.path)
    config = build(values, secret_keys, source=str(stack.path))
    return LoadedStack(stack, config, values, frozenset(secret_keys))


def load(stack: StackFile) -> K8treConfig:
    """Validate the stack file; raises :class:`ConfigError` before any resource exists."""
    return read(stack).config


References = Mapping[str, Mapping[str, Any]]
"""Outputs of other stacks, by the name a StackReference uses (``org/project/stack``)."""


def run(stack: StackFile | LoadedStack, *, timeout: float = DEFAULT_TIMEOUT, references: References | None = None) -> Graph:
    """Validate the config (unless already read), then run the program under mocks and return its graph."""
    loaded = stack if isinstance(stack, LoadedStack) else read(stack)  # a bad file stops here: nothing is registered
    return execute(loaded.stack, loaded.values, set(loaded.secret_keys), timeout=timeout, references=references)


def execute(
    stack: StackFile,
    values: dict[str, Any],
    secret_keys: set[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    references: References | None = None,
) -> Graph:
    """Run the program with these config values as the Pulumi CLI would: no validation in front."""
    result: dict[str, Any] = {}

    def target() -> None:
        # A fresh thread starts with fresh context variables: no state leaks between runs.
        try:
            result["graph"] = _run_in_thread(stack, values, secret_keys, dict(references or {}))
        except BaseException as exc:
            result["error"] = exc

    worker = threading.Thread(target=target, name=f"k8tre-offline-{stack.stack}", daemon=True)
    with outputs_as_text_raise():
        worker.start()
        worker.join(timeout)
    if worker.is_alive():
        raise EngineError(f"the program did not finish within {timeout:.0f}s (an Output that never resolves?)")
    if "error" in result:
        error = result["error"]
        raise EngineError(f"the program failed under the offline engine: {explain(error)}") from error
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


def _drain(loop: asyncio.AbstractEventLoop) -> None:
    pending = asyncio.all_tasks(loop)
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _close(loop: asyncio.AbstractEventLoop) -> None:
    # A program that failed leaves RPCs in flight; finish them here so none outlives this run.
    for task in asyncio.all_tasks(loop):
        task.cancel()
    _drain(loop)
    loop.close()


def _run_in_thread(stack: StackFile, values: dict[str, Any], secret_keys: set[str], references: References) -> Graph:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # Fresh settings in this thread's context: the SDK otherwise falls back to bookkeeping shared
    # by every thread (pending outputs of an earlier failed run would be awaited on a closed loop).
    project = stack.project
    pulumi.runtime.reset_options(project=project, stack=stack.stack, preview=False)
    config = _engine_config(values, secret_keys)
    pulumi.runtime.set_all_config(config, sorted(secret_keys))
    mocks = K8treMocks(config, references)
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack.stack, preview=False, monitor=monitor)
    # set_mocks registered a root stack of its own: let it finish, forget it, and run the program
    # in a root stack of its own as the CLI does (the real engine sees one stack, not two).
    _drain(loop)
    monitor.forget()
    clear_root_stack()
    declared = Declarations()
    program = stack.program

    def run_program() -> None:
        pulumi.runtime.register_stack_transformation(declared.observe)
        runpy.run_path(str(program), run_name="__main__")

    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(run_program))
        depends_on = loop.run_until_complete(declared.depends_on())
    except BaseException as error:
        refused = _refusal(error)
        if refused is not None:
            raise _with_sites(refused, declared) from error
        raise
    finally:
        _close(loop)
    return Graph(
        project=project,
        stack=stack.stack,
        resources=[_as_declared(r, depends_on) for r in monitor.recorded.values()],
        invokes=list(monitor.invokes),
        outputs=dict(monitor.stack_outputs),
    )


def _as_declared(resource: RecordedResource, depends_on: dict[str, tuple[str, ...]]) -> RecordedResource:
    declared = depends_on.get(resource.urn, ())
    return replace(resource, options=replace(resource.options, depends_on=declared)) if declared else resource


def _refusal(error: BaseException | None) -> RegistrationRefused | None:
    # The SDK re-raises an RPC failure as the cause or context of whatever awaited it.
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, RegistrationRefused):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def _with_sites(refused: RegistrationRefused, declared: Declarations) -> RegistrationRefused:
    sites = declared.sites(refused.type, refused.name)
    if not sites:
        return refused
    where = " and again at ".join(sites) if len(sites) > 1 else sites[0]
    return RegistrationRefused(f"{refused} (constructed at {where})", urn=refused.urn, type_=refused.type, name=refused.name)


def explain(error: BaseException) -> str:
    """One line for a failed run: the engine's refusal, or the program's error and where it was raised."""
    refused = _refusal(error)
    if refused is not None:
        return str(refused)
    site = _program_frame(error)
    return f"{error} (at {site})" if site else str(error)


def _program_frame(error: BaseException) -> str:
    # The innermost frame of the program (not the SDK, not this engine, not the standard library).
    frames = [f for f in traceback.extract_tb(error.__traceback__) if _is_program_file(f.filename)]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""


def _is_program_file(filename: str) -> bool:
    return "site-packages" not in filename and "/k8tre/offline/" not in filename and "/lib/python" not in filename
