"""Host preparation run for real in a sandbox: the distribution detected (or refused with a clear error),
Longhorn's packages installed only when missing and never fetched in an air gap, modules and inotify limits set."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import graph_of
from k8tre.infrastructure.k3s import k3s

RECORD = '#!/bin/sh\necho "$(basename "$0") $*" >>"$SANDBOX/log"\n'
TOOLS = ("iscsiadm", "mount.nfs4", "cryptsetup")
OS_RELEASE = {
    "ubuntu": 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n',
    "rocky": 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\n',
    "alpine": "NAME=Alpine\nID=alpine\n",
}


def _run(tmp_path: Path, distro: str | None, *, tools: bool = False, mode: str = "download") -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in ("sed", "tr", "mkdir", "basename", "cat"):
        target = shutil.which(name)
        assert target
        (bin_dir / name).unlink(missing_ok=True)
        (bin_dir / name).symlink_to(target)
    for name in ("apt-get", "dnf", "zypper", "systemctl", "modprobe", "sysctl", *(TOOLS if tools else ())):
        (bin_dir / name).write_text(RECORD)
        (bin_dir / name).chmod(0o755 | stat.S_IEXEC)
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True, exist_ok=True)
    if distro:
        (root / "etc/os-release").write_text(OS_RELEASE[distro])
    (tmp_path / "log").write_text("")
    script = f"K3S_INSTALL_MODE={mode}\n{k3s.PREPARE_SCRIPT}"
    env = {"PATH": str(bin_dir), "SANDBOX": str(tmp_path), "K3S_ROOT": str(root)}
    return subprocess.run(["/bin/sh", "-s"], input=script, capture_output=True, text=True, env=env, check=False)


def _log(tmp_path: Path) -> list[str]:
    return (tmp_path / "log").read_text().splitlines()


@pytest.mark.parametrize(
    ("distro", "install"),
    [
        ("ubuntu", "apt-get install -y -q --no-install-recommends open-iscsi nfs-common cryptsetup"),
        ("rocky", "dnf install -y -q iscsi-initiator-utils nfs-utils cryptsetup"),
    ],
)
def test_missing_longhorn_packages_are_installed_for_the_distribution(tmp_path: Path, distro: str, install: str) -> None:
    result = _run(tmp_path, distro)
    assert result.returncode == 0, result.stderr
    log = _log(tmp_path)
    assert install in log
    assert "systemctl enable --now iscsid" in log
    assert {"modprobe iscsi_tcp", "modprobe dm_crypt"} <= set(log)
    limits = (tmp_path / "root/etc/sysctl.d/90-k8tre-limits.conf").read_text()
    assert "fs.inotify.max_user_instances = 8192" in limits and "fs.inotify.max_user_watches = 524288" in limits
    assert (tmp_path / "root/etc/modules-load.d/90-k8tre-longhorn.conf").read_text().split() == ["iscsi_tcp", "dm_crypt"]


def test_nothing_is_installed_when_the_tools_are_there(tmp_path: Path) -> None:
    assert _run(tmp_path, "ubuntu", tools=True).returncode == 0
    assert not [line for line in _log(tmp_path) if line.startswith(("apt-get", "dnf", "zypper"))]


def test_an_air_gap_never_fetches_and_names_what_is_missing(tmp_path: Path) -> None:
    result = _run(tmp_path, "ubuntu", mode="airgap")
    assert result.returncode != 0
    assert "missing on this machine: iscsiadm mount.nfs4 cryptsetup" in result.stderr
    assert "open-iscsi nfs-common cryptsetup" in result.stderr
    assert _log(tmp_path) == []


@pytest.mark.parametrize(
    ("distro", "message"), [("alpine", "unsupported distribution 'alpine'"), (None, "os-release is missing")]
)
def test_an_unknown_distribution_stops_with_a_clear_error(tmp_path: Path, distro: str | None, message: str) -> None:
    result = _run(tmp_path, distro)
    assert result.returncode != 0 and message in result.stderr
    assert _log(tmp_path) == [], "nothing was changed"


def test_every_install_runs_the_preparation_first() -> None:
    installs = [c for c in graph_of("k3s-dev").of_type("command:remote:Command") if c.inputs.get("create") == "sudo sh -s"]
    assert len(installs) == 3
    for install in installs:
        stdin = install.inputs["stdin"]
        assert stdin.index(k3s.PREPARE_SCRIPT) < stdin.index(k3s.INSTALL_SCRIPT), install.name
