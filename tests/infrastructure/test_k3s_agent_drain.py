"""Agents are drained from the first server before an upgrade, and drained and deleted before K3s leaves them."""

from __future__ import annotations

import shlex
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import graph_of
from k8tre.infrastructure.k3s import agent_drain
from k8tre.offline.graph import Secret

# `k3s kubectl` on the server: the node exists (unless $SANDBOX/absent), running $SANDBOX/running's release.
STUB = (
    "#!/bin/sh\n"
    'echo "$*" >>"$SANDBOX/log"\n'
    'case "$*" in\n'
    '*"-o jsonpath"*) cat "$SANDBOX/running" ;;\n'
    '"kubectl get node "*) [ ! -f "$SANDBOX/absent" ] ;;\n'
    "esac\n"
)


def _run(tmp_path: Path, action: str, version: str = "v1.35.8+k3s1") -> list[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "k3s").write_text(STUB)
    (bin_dir / "k3s").chmod(0o755 | stat.S_IEXEC)
    (tmp_path / "log").write_text("")
    create = agent_drain._run(action, "tre-agent-1", version if action == "drain" else None)
    script = shlex.split(create)[-1]
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "SANDBOX": str(tmp_path)}
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    return [line for line in (tmp_path / "log").read_text().splitlines() if not line.startswith("kubectl get node")]


def test_an_agent_on_another_release_is_drained_before_its_install(tmp_path: Path) -> None:
    (tmp_path / "running").write_text("v1.34.5+k3s1")
    assert _run(tmp_path, "drain") == ["kubectl drain tre-agent-1 --ignore-daemonsets --delete-emptydir-data --timeout=10m"]


def test_an_agent_already_on_the_release_is_not_drained(tmp_path: Path) -> None:
    (tmp_path / "running").write_text("v1.35.8+k3s1")
    assert _run(tmp_path, "drain") == []


def test_a_new_agent_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "absent").write_text("")
    assert _run(tmp_path, "drain") == []
    assert _run(tmp_path, "remove") == []


def test_removal_drains_then_deletes_the_node(tmp_path: Path) -> None:
    (tmp_path / "running").write_text("v1.35.8+k3s1")
    assert _run(tmp_path, "remove") == [
        "kubectl drain tre-agent-1 --ignore-daemonsets --delete-emptydir-data --timeout=10m",
        "kubectl delete node tre-agent-1 --wait=true",
    ]
    assert _run(tmp_path, "uncordon")[-1] == "kubectl uncordon tre-agent-1"


@pytest.mark.parametrize("stack", ["k3s-dev", "k3s-prod"])
def test_each_agent_is_drained_from_the_first_server_around_its_install(stack: str) -> None:
    graph = graph_of(stack)
    commands = {c.name: c for c in graph.of_type("command:remote:Command")}
    installs = [c for c in commands.values() if c.inputs.get("create") == "sudo sh -s"]
    first_server = installs[0]

    def host(command: object) -> str:
        connection = command.inputs["connection"]  # type: ignore[attr-defined]
        return (connection.value if isinstance(connection, Secret) else connection)["host"]

    agents = [c for c in installs if "K3S_ROLE=agent\n" in c.inputs["stdin"]]
    assert agents
    for agent in agents:
        drain, uncordon = commands[f"{agent.name}-drain"], commands[f"{agent.name}-uncordon"]
        assert host(drain) == host(uncordon) == host(first_server), "the server drains: the agent has no credentials"
        assert "ACTION=drain\n" in drain.inputs["create"] and "K3S_VERSION=v1.35.8+k3s1\n" in drain.inputs["create"]
        tokens = commands[f"{agent.name}-tokens"]
        assert drain.urn in tokens.options.depends_on and tokens.urn in agent.options.depends_on, "drained first"
        assert agent.urn in uncordon.options.depends_on, "uncordoned after, so deleted (drained) before the uninstall"
        assert "ACTION=remove\n" in uncordon.inputs["delete"]
