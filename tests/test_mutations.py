"""The curated mutation list stays applicable: every mutation names code that still exists, exactly once.

The mutation check itself (``scripts/mutation-check.py``) runs the whole suite once per
mutation, so it is not part of the default run; this cheap guard is, so that a refactor
that moves or rewrites guarded code makes the list fail here instead of going stale.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
LIST = ROOT / "tests" / "mutations.yaml"
PROGRAM = ("k8tre/", "stacks/", "policy/")
"""Where mutated code may live: the program, its entry point and the policy pack (the K3s scripts are under k8tre/)."""
KEYS = {"id", "why", "file", "old", "new"}


def _entries() -> list[dict[str, Any]]:
    document = yaml.safe_load(LIST.read_text(encoding="utf-8"))
    assert isinstance(document, dict) and set(document) == {"mutations"}, "the file holds one key, mutations:"
    entries = document["mutations"]
    assert isinstance(entries, list) and entries
    return entries


@functools.cache
def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutation_check", ROOT / "scripts" / "mutation-check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


ENTRIES = _entries()


def test_the_list_is_curated_not_token() -> None:
    # Issue 9 asks for at least 30; the brief for this list, 32.
    assert len(ENTRIES) >= 32


def test_ids_are_unique() -> None:
    repeated = [name for name, n in Counter(str(e.get("id")) for e in ENTRIES).items() if n > 1]
    assert not repeated, f"mutation ids used twice: {repeated}"


@pytest.mark.parametrize("entry", ENTRIES, ids=[str(e.get("id")) for e in ENTRIES])
def test_each_mutation_is_well_formed_and_applies_exactly_once(entry: dict[str, Any]) -> None:
    assert set(entry) == KEYS, f"keys {sorted(entry)}, expected {sorted(KEYS)}"
    for key in KEYS:
        assert isinstance(entry[key], str), f"{key} must be text"
    for key in ("id", "why", "file", "old"):
        assert entry[key].strip(), f"{key} is empty"
    assert entry["old"] != entry["new"], "a mutation that changes nothing proves nothing"
    assert entry["file"].startswith(PROGRAM), f"{entry['file']} is not program code (tests are never mutated)"
    target = ROOT / entry["file"]
    assert target.is_file(), f"{entry['file']} does not exist"
    count = target.read_text(encoding="utf-8").count(entry["old"])
    assert count == 1, f"the original text occurs {count} times in {entry['file']}: update the mutation to the code"


def test_the_script_reads_the_same_list() -> None:
    script = _script()
    loaded = script.load_mutations(LIST)
    assert [m.id for m in loaded] == [e["id"] for e in ENTRIES]
    assert all(script.occurrences(m, ROOT) == 1 for m in loaded)


def test_the_guard_catches_a_stale_mutation(tmp_path: Path) -> None:
    # The same count the guard uses, on a mutation whose code moved: it must not pass for 0 or 2 occurrences.
    script = _script()
    program = tmp_path / "k8tre" / "x.py"
    program.parent.mkdir()
    stale = script.Mutation("stale", "why", "k8tre/x.py", "strict=True,", "strict=False,")
    program.write_text("strict = False\n", encoding="utf-8")
    assert script.occurrences(stale, tmp_path) == 0
    program.write_text("strict=True,\nstrict=True,\n", encoding="utf-8")
    assert script.occurrences(stale, tmp_path) == 2
