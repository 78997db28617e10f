"""Removing a machine, run for real in a stubbed sandbox: a server drains itself and leaves etcd; K3s is uninstalled."""

from __future__ import annotations

import shlex
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import graph_of
from k8tre.infrastructure.k3s import k3s

STUBS = {
    "k3s": '#!/bin/sh\necho "k3s $*" >>"$SANDBOX/log"\n[ "$FAIL_DRAIN" != 1 ] || [ "$2" != drain ] || exit 1\n',
    "ip": '#!/bin/sh\nif [ "$2" = show ]; then [ "$3" = cilium_host ] || exit 1; exit 0; fi\necho "ip $*" >>"$SANDBOX/log"\n',
}
UNINSTALLERS = ("k3s-uninstall.sh", "k3s-agent-uninstall.sh")


def _executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    (tmp_path / "bin").mkdir()
    for name, text in STUBS.items():
        _executable(tmp_path / "bin" / name, text)
    local = tmp_path / "root/usr/local/bin"
    local.mkdir(parents=True)
    for name in UNINSTALLERS:
        _executable(local / name, f'#!/bin/sh\necho "{name}" >>"$SANDBOX/log"\n')
    (tmp_path / "log").write_text("")
    return tmp_path


def _remove(sandbox: Path, role: str, *, fail_drain: bool = False) -> subprocess.CompletedProcess[str]:
    script = f"K3S_ROLE={role}\nNODE_NAME=node-1\nK3S_ROOT={shlex.quote(str(sandbox / 'root'))}\n{k3s.REMOVE_SCRIPT}"
    env = {"PATH": f"{sandbox / 'bin'}:/usr/bin:/bin", "SANDBOX": str(sandbox), "FAIL_DRAIN": "1" if fail_drain else "0"}
    return subprocess.run(["sh", "-c", script], capture_output=True, text=True, env=env, check=False)


def _log(sandbox: Path) -> list[str]:
    return (sandbox / "log").read_text().splitlines()


def test_a_server_drains_leaves_etcd_then_uninstalls(sandbox: Path) -> None:
    assert _remove(sandbox, "server").returncode == 0
    log = _log(sandbox)
    assert log[0].startswith("k3s kubectl drain node-1 ")
    assert log[1].startswith("k3s kubectl delete node node-1"), "deleting the Node removes its etcd member"
    assert log[2] == "k3s-uninstall.sh"
    assert log[3] == "ip link delete cilium_host", "Cilium's leftovers are cleaned up"


def test_nothing_is_uninstalled_when_the_drain_fails(sandbox: Path) -> None:
    result = _remove(sandbox, "server", fail_drain=True)
    assert result.returncode != 0
    assert "k3s-uninstall.sh" not in _log(sandbox)


def test_an_agent_is_uninstalled_with_the_agent_uninstaller(sandbox: Path) -> None:
    assert _remove(sandbox, "agent").returncode == 0
    assert _log(sandbox)[0] == "k3s-agent-uninstall.sh"


def test_every_machine_removes_itself_when_it_leaves_the_stack() -> None:
    installs = [c for c in graph_of("k3s-dev").of_type("command:remote:Command") if c.inputs["create"] == "sudo sh -s"]
    assert installs
    for install in installs:
        delete = install.inputs["delete"]
        role = "server" if "K3S_ROLE=server\n" in install.inputs["stdin"] else "agent"
        assert delete.startswith("sudo sh -c "), install.name
        assert f"K3S_ROLE={role}" in delete and "remove" in k3s.REMOVE_SCRIPT
        # No triggers: a changed setting is an in-place update that runs the install script, never delete then create.
        assert "triggers" not in install.inputs, install.name
