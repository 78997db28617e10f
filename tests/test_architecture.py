"""The shape the code must keep: one direction of imports, docstrings, small modules, no import-time resources."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import k8tre

PACKAGE = Path(k8tre.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 300


def _imports(path: Path) -> set[str]:
    """Absolute names of the k8tre modules a file imports."""
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith("k8tre")}


def _files(sub: str) -> list[Path]:
    return sorted((PACKAGE / sub).rglob("*.py"))


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("config", ("k8tre.infrastructure", "k8tre.agnostics", "k8tre.applications", "k8tre.offline")),
        ("infrastructure", ("k8tre.agnostics", "k8tre.applications", "k8tre.offline")),
        (
            "agnostics",
            (
                "k8tre.applications",
                "k8tre.infrastructure.azure",
                "k8tre.infrastructure.aws",
                "k8tre.infrastructure.k3s",
                "k8tre.offline",
            ),
        ),
        (
            "applications",
            (
                "k8tre.infrastructure.azure",
                "k8tre.infrastructure.aws",
                "k8tre.infrastructure.k3s",
                "k8tre.infrastructure.cilium",
                "k8tre.offline",
            ),
        ),
    ],
)
def test_imports_run_one_way(layer: str, forbidden: tuple[str, ...]) -> None:
    files = _files(layer)
    assert files
    for path in files:
        bad = sorted(name for name in _imports(path) if name.startswith(forbidden))
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_import_checker_sees_relative_imports() -> None:
    # The rule above is only as good as the parser: prove it resolves "from ..x import y".
    names = _imports(PACKAGE / "agnostics" / "layer.py")
    assert "k8tre.infrastructure" in names and "k8tre.config" in names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_are_small_and_documented(path: Path) -> None:
    source = path.read_text()
    assert len(source.splitlines()) <= MAX_LINES, f"{path.name} is over {MAX_LINES} lines: split it"
    tree = ast.parse(source)
    assert ast.get_docstring(tree), f"{path.name} has no module docstring"
    for node in _public_definitions(tree):
        assert ast.get_docstring(node) or _is_override(node), f"{path.name}: {node.name} has no docstring"


def _public_definitions(tree: ast.Module) -> list[ast.FunctionDef | ast.ClassDef]:
    """Module-level and class-level definitions without a leading underscore (nested helpers are private)."""
    found: list[ast.FunctionDef | ast.ClassDef] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            found.append(node)
            if isinstance(node, ast.ClassDef):
                found += [item for item in node.body if isinstance(item, ast.FunctionDef) and not item.name.startswith("_")]
    return found


def _is_override(node: ast.FunctionDef | ast.ClassDef) -> bool:
    return isinstance(node, ast.FunctionDef) and node.name[0].isupper()  # gRPC methods documented upstream


_IMPORT_PROBE = """
import asyncio, importlib, pkgutil, sys, pulumi
from k8tre.offline.mocks import K8treMocks
from k8tre.offline.monitor import RecordingMonitor

def drain():
    # Registration is asynchronous: a resource made at import time reaches the monitor only
    # when the event loop runs, so run it until nothing is pending.
    loop = asyncio.get_event_loop()
    for _ in range(1000):
        pending = asyncio.all_tasks(loop)
        if not pending:
            return
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    raise SystemExit("the event loop never went quiet")

package_name, *path = sys.argv[1:]
sys.path[:0] = path
asyncio.set_event_loop(asyncio.new_event_loop())
monitor = RecordingMonitor(K8treMocks())
pulumi.runtime.set_mocks(K8treMocks(), project="k8tre", stack="probe", preview=False, monitor=monitor)
drain()
before = set(monitor.recorded)
package = importlib.import_module(package_name)
for module in pkgutil.walk_packages(package.__path__, prefix=package_name + "."):
    importlib.import_module(module.name)
drain()
print(sorted(set(monitor.recorded) - before))
"""


def _created_at_import(package: str, *path: Path) -> str:
    # In a process of its own: Pulumi's mock runtime in the test process would outlive the test.
    command = [sys.executable, "-c", _IMPORT_PROBE, package, *map(str, path)]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=300)
    return result.stdout.strip()


def test_importing_every_module_creates_no_resource() -> None:
    assert _created_at_import("k8tre") == "[]"


def test_the_import_check_sees_a_resource_created_at_import_time(tmp_path: Path) -> None:
    planted = tmp_path / "planted"
    planted.mkdir()
    (planted / "__init__.py").write_text("")
    (planted / "harmless.py").write_text("import pulumi\n")
    (planted / "bad.py").write_text('import pulumi_kubernetes as k8s\nk8s.core.v1.Namespace("import-time")\n')
    assert "kubernetes:core/v1:Namespace::import-time" in _created_at_import("planted", tmp_path)


def test_component_type_tokens_name_their_layer() -> None:
    tokens = set()
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("k8tre:"):
                parts = node.value.split(":")
                if len(parts) == 3 and parts[2][:1].isupper():
                    tokens.add(node.value)
    assert tokens
    for token in tokens:
        assert token.split(":")[1] in ("infrastructure", "agnostics", "applications"), token
