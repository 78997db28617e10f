#!/usr/bin/env python3
"""Mutation check: harmful, security-relevant changes to the code that the test suite must catch.

Each mutation in ``tests/mutations.yaml`` replaces one exact piece of code with a harmful
variant (a default deny widened to ``all``, a firewall allowlist of ``*``, ...). The script
applies each to a scratch copy of the working tree and runs the whole test suite there; the
mutation is *killed* when the suite fails, and *survives* when it passes, which means no test
guards that behaviour. A mutation whose original text is no longer in its file exactly once is
*stale* and counts as a failure too, so the list cannot silently rot as the code changes.

    uv run --frozen python scripts/mutation-check.py               # every mutation
    uv run --frozen python scripts/mutation-check.py --only ID ...  # some of them
    uv run --frozen python scripts/mutation-check.py --jobs 2       # two scratch copies in parallel

It exits 0 only when every mutation is killed (a score of 100%), and writes the results to
``build/mutation-check.json``. It is not part of the default test run (a full run takes a
suite run per mutation); run it before resolving an issue that touches security, and record
the score in ``docs/testing.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
MUTATIONS = ROOT / "tests" / "mutations.yaml"
SUITE_TIMEOUT = 1800  # seconds for one suite run; a hang counts as caught only if the suite says so
SNAPSHOT_TESTS = (
    "tests/flows/test_docs.py::test_networking_doc_shows_the_current_dev_matrix",
    "tests/policies/test_reporting.py::test_compliance_doc_is_current",
    "tests/preflight/test_check_command.py::test_docs_list_every_preflight_rule_as_generated",
    "tests/agnostics/test_catalogue.py::test_agnostics_doc_shows_each_service_as_each_cloud_renders_it",
)
LIST_GUARD = "tests/test_mutations.py"
"""The guard that every mutation's text is in place: a mutated copy fails it by construction, so it is not run."""
"""Tests that fail on any change to a generated document. They would 'kill' every mutation that touches what the
documents show without judging whether the change is harmful, so the mutation check leaves them out: a mutation
counts as caught only when a test of behaviour fails."""


@dataclass(frozen=True)
class Mutation:
    """One harmful change: in ``file``, the single occurrence of ``old`` becomes ``new``."""

    id: str
    why: str
    file: str
    old: str
    new: str


def load_mutations(path: Path = MUTATIONS) -> list[Mutation]:
    """The curated list, in file order."""
    entries: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))["mutations"]
    return [Mutation(e["id"], e["why"], e["file"], e["old"], e["new"]) for e in entries]


def occurrences(mutation: Mutation, root: Path) -> int:
    """How often the mutation's original text occurs in its file under ``root`` (it must be exactly once)."""
    target = root / mutation.file
    return target.read_text(encoding="utf-8").count(mutation.old) if target.is_file() else 0


def _tracked_files() -> list[str]:
    # Tracked and new-but-not-ignored files: the working tree as it would be committed.
    listing = subprocess.run(  # noqa: S603 - fixed arguments, no outside input
        [shutil.which("git") or "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [name for name in listing.split("\0") if name and (ROOT / name).is_file()]


def _scratch_copy(destination: Path) -> None:
    for name in _tracked_files():
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)


def _suite_env() -> dict[str, str]:
    env = dict(os.environ)
    # The scratch copy is not beside ../shared: point at the real schemas and specification.
    shared = ROOT.parent / "shared"
    env.setdefault("K8TRE_SCHEMA_DIR", str(shared / "schemas"))
    env.setdefault("K8TRE_SATRE_SPEC", str(shared / "satre" / "specification-v2.yaml"))
    env.setdefault("K8TRE_SHARED_DIR", str(shared))
    return env


EXTRA_DESELECTED: list[str] = []
"""Further tests to leave out (``--deselect``), e.g. to see which behavioural test catches a mutation after another."""


def _pytest(scratch: Path) -> subprocess.CompletedProcess[str]:
    left_out = (*SNAPSHOT_TESTS, *EXTRA_DESELECTED)
    deselect = [arg for test in left_out for arg in ("--deselect", test)] + ["--ignore", LIST_GUARD]
    return subprocess.run(  # noqa: S603 - this interpreter running pytest, fixed arguments
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header", *deselect],
        cwd=scratch,
        env=_suite_env(),
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT,
        check=False,
    )


def run_one(mutation: Mutation, scratch: Path) -> dict[str, Any]:
    """Apply ``mutation`` in ``scratch``, run the suite, restore the file; return the verdict."""
    target = scratch / mutation.file
    count = occurrences(mutation, scratch)
    if count != 1:
        return {"id": mutation.id, "verdict": "stale", "detail": f"original text found {count} times in {mutation.file}"}
    original = target.read_text(encoding="utf-8")
    target.write_text(original.replace(mutation.old, mutation.new), encoding="utf-8")
    started = time.monotonic()
    try:
        result = _pytest(scratch)
        lines = [line for line in result.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
        verdict = "killed" if result.returncode != 0 else "survived"
        detail = lines[0] if lines else result.stdout.strip().splitlines()[-1:]
    except subprocess.TimeoutExpired:
        verdict, detail = "timeout", f"the suite ran over {SUITE_TIMEOUT} s"
    finally:
        target.write_text(original, encoding="utf-8")
    return {"id": mutation.id, "verdict": verdict, "seconds": round(time.monotonic() - started, 1), "detail": detail}


def main() -> int:
    """Run the selected mutations and report the score."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", default=None, help="mutation ids to run (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="scratch copies run in parallel")
    parser.add_argument("--deselect", nargs="*", default=[], help="pytest node ids to leave out as well")
    args = parser.parse_args()
    EXTRA_DESELECTED.extend(args.deselect)
    mutations = load_mutations()
    if args.only:
        unknown = set(args.only) - {m.id for m in mutations}
        if unknown:
            parser.error(f"unknown mutation ids: {', '.join(sorted(unknown))}")
        mutations = [m for m in mutations if m.id in args.only]
    jobs = max(1, min(args.jobs, len(mutations)))
    with tempfile.TemporaryDirectory(prefix="k8tre-mutation-") as tmp:
        # Each copy sits beside a link to ../shared, as the working tree does, so nothing needs pointing elsewhere.
        scratches = [Path(tmp) / f"copy{i}" / ROOT.name for i in range(jobs)]
        for scratch in scratches:
            _scratch_copy(scratch)
            (scratch.parent / "shared").symlink_to(ROOT.parent / "shared")
        # The unmutated copy must pass first: otherwise every mutation would look caught.
        baseline = _pytest(scratches[0])
        if baseline.returncode != 0:
            print("the unmutated suite fails in the scratch copy; nothing can be judged:", file=sys.stderr)
            print(baseline.stdout[-3000:], file=sys.stderr)
            return 2
        print(f"baseline: {(baseline.stdout.strip().splitlines() or [''])[-1]}", flush=True)
        batches = [mutations[i::jobs] for i in range(jobs)]

        def run_batch(index: int) -> list[dict[str, Any]]:
            results = []
            for mutation in batches[index]:
                result = run_one(mutation, scratches[index])
                print(f"{result['verdict']:8} {mutation.id}: {result.get('detail', '')}", flush=True)
                results.append(result)
            return results

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = [r for batch in pool.map(run_batch, range(jobs)) for r in batch]
    killed = sum(r["verdict"] == "killed" for r in results)
    score = f"{killed}/{len(results)} mutations killed ({100 * killed // max(1, len(results))}%)"
    print(score)
    out = ROOT / "build" / "mutation-check.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"score": score, "results": results}, indent=2) + "\n", encoding="utf-8")
    return 0 if killed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
