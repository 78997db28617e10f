"""Agents drained from a server: before an upgrade, and before K3s is uninstalled from one that leaves.

An agent holds no cluster credentials (only its join token), so it cannot drain itself. The first
server does it (``k3s kubectl`` with the admin kubeconfig that stays on the server): one command
before the agent's install (drain, only if the agent runs another release), one after (wait for
Ready, uncordon). The second one's ``delete`` drains the agent and deletes its Node; Pulumi deletes
dependents first, so when an agent leaves the stack this runs before the agent's own ``delete``
uninstalls K3s (K3s docs, "Manual Upgrades": drain before upgrading; Kubernetes docs, "Safely
Drain a Node").
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from importlib import resources as package_files

import pulumi
from pulumi_command import remote

SCRIPT = package_files.files(__package__).joinpath("scripts/agent-from-server.sh").read_text()
"""The shell the first server runs about one agent (checked by shellcheck in the tests)."""


def _run(action: str, node: str, version: str | None = None) -> str:
    settings = {"ACTION": action, "NODE_NAME": node, **({"K3S_VERSION": version} if version else {})}
    script = "".join(f"{key}={shlex.quote(value)}\n" for key, value in settings.items()) + SCRIPT
    return f"sudo sh -c {shlex.quote(script)}"


def drain_before(
    prefix: str, node: str, version: str, server: remote.ConnectionArgs, after: Sequence[pulumi.Resource], parent: pulumi.Resource
) -> remote.Command:
    """Drain the agent from the server if it is about to change release; runs again whenever the version changes."""
    return remote.Command(
        f"{prefix}-drain",
        connection=server,
        create=_run("drain", node, version),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(after)),
    )


def uncordon_after(
    prefix: str, node: str, server: remote.ConnectionArgs, install: remote.Command, parent: pulumi.Resource
) -> remote.Command:
    """Let workloads back once the agent is Ready; on removal, drain it and delete its Node before it is uninstalled."""
    return remote.Command(
        f"{prefix}-uncordon",
        connection=server,
        create=_run("uncordon", node),
        delete=_run("remove", node),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[install]),
    )
