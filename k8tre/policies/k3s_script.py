"""What a K3s install script would really pass to the K3s server: flags, API-server arguments, config file.

Rules read the script the way the shell would, not by searching its text: comments and
heredoc bodies are not arguments, continuation lines are joined, ``$VAR`` is replaced by
the value the script exports. K3s takes the same settings from
``/etc/rancher/k3s/config.yaml`` (K3s docs, "Configuration File": keys are the CLI flags
without leading dashes), so a config file the script writes counts too.
"""

from __future__ import annotations

import base64
import binascii
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..offline.graph import Graph, RecordedResource
from .facts import text

K3S_CONFIG = "/etc/rancher/k3s/config.yaml"
_HEREDOC = re.compile(
    r"(?:>\s*(?P<target>\S+)\s*)?<<-?\s*(?P<quote>['\"]?)(?P<tag>\w+)(?P=quote)(?P<rest>[^\n]*)\n"
    r"(?P<body>.*?)\n(?P=tag)[ \t]*(?:\n|$)",
    re.S,
)
_VARIABLE = re.compile(r"\$\{?(\w+)\}?")
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")


@dataclass(frozen=True)
class K3sScript:
    """The settings one install script gives K3s."""

    exports: dict[str, str]
    """Variables the script sets (the settings Pulumi prepends), exported or not."""
    tokens: list[str]
    """Every word the shell would see, comments and heredoc bodies removed, variables expanded."""
    config: dict[str, Any] = field(default_factory=dict)
    """The K3s config file the script writes, if any."""

    @property
    def is_server(self) -> bool:
        """True when the script installs a K3s server (which runs the API server)."""
        return self.exports.get("K3S_ROLE") == "server"

    def flag(self, name: str) -> bool:
        """A boolean server flag (``--secrets-encryption``) set on the command line or in the config file."""
        on_line = any(token == f"--{name}" or token == f"--{name}=true" for token in self.tokens)
        return on_line or self.config.get(name) is True

    def apiserver_args(self) -> dict[str, str]:
        """``--kube-apiserver-arg`` values (``key=value``), from the command line and the config file."""
        values: list[str] = []
        flag = "--kube-apiserver-arg"
        for index, word in enumerate(self.tokens):
            if word == flag and index + 1 < len(self.tokens):
                values.append(self.tokens[index + 1])
            elif word.startswith(f"{flag}="):
                values.append(word.split("=", 1)[1])
        configured = self.config.get("kube-apiserver-arg") or []
        values += [str(v) for v in (configured if isinstance(configured, list) else [configured])]
        return dict(value.split("=", 1) for value in values if "=" in value)


def parse(script: str) -> K3sScript:
    """Read ``script`` the way ``sh`` would (enough of it for flags, variables and the config file it writes)."""
    config: dict[str, Any] = {}
    for heredoc in _HEREDOC.finditer(script):
        if (heredoc.group("target") or "").strip("'\"") == K3S_CONFIG:
            config = _mapping(heredoc.group("body"))
    without_bodies = _HEREDOC.sub(lambda m: (m.group(0).split("<<", 1)[0]) + "\n", script)
    variables: dict[str, str] = {}
    tokens: list[str] = []
    for line in without_bodies.replace("\\\n", " ").splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue  # an unbalanced quote in a line this reader does not need
        assignment = words[1:2] if words[:1] == ["export"] else words[:1]
        if len(words) == len(assignment) + (words[:1] == ["export"]) and assignment and _ASSIGNMENT.match(assignment[0]):
            key, value = assignment[0].split("=", 1)
            variables[key] = value
        # ``printf '%s' "$CONFIG" | base64 -d >.../config.yaml``: the config file arrives base64-encoded in a variable.
        if "base64" in words and "-d" in words and any(w.lstrip(">").endswith("config.yaml") for w in words):
            for name in _VARIABLE.findall(line):
                config = _mapping(_b64(variables.get(name, ""))) or config
        tokens += words
    expanded = [_VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), token) for token in tokens]
    return K3sScript(variables, expanded, config)


def _mapping(document: str) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(document)
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _b64(value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""


def script_of(command: RecordedResource) -> K3sScript | None:
    """The parsed script a command runs; :class:`UnknownValue` when it cannot be seen (redacted, unknown)."""
    script = text(command.inputs.get("stdin"))
    return None if script is None else parse(script)


def install_commands(graph: Graph) -> list[RecordedResource]:
    """Remote commands that pipe a script into a shell on a K3s machine (``sh -s``: the script is standard input).

    A command that runs its script from the command line and reads data on standard input (the token writer,
    ``sh -c '<script>'``) is not one: its standard input is not a script.
    """
    return [
        c
        for c in graph.of_type("command:remote:Command")
        if "stdin" in c.inputs and str(c.inputs.get("create", "")).split()[-2:] == ["sh", "-s"]
    ]


DEPLOYER_VARIABLE = "K3S_DEPLOYER_B64"
"""The install script's variable holding the deploy identity's manifests (k3s/deploy_identity.py)."""


def deployer_problems(graph: Graph) -> list[tuple[RecordedResource, list[str]]]:
    """What makes a K3s server's deploy identity a shared or unbounded admin, per server install script.

    Read from the manifests each server's install script hands K3s's auto-deploy directory: a binding to
    ``cluster-admin`` (K3s's shared superuser role), or a role granting ``*`` verbs or ``impersonate``
    (which would let the deployer act as anyone, the admin included). A server without the manifests has no
    deploy identity, so Pulumi could only be using the admin kubeconfig.
    """
    found: list[tuple[RecordedResource, list[str]]] = []
    for command in install_commands(graph):
        script = script_of(command)
        if script is None or not script.is_server:
            continue
        problems: list[str] = []
        found.append((command, problems))
        documents = _documents(_b64(script.exports.get(DEPLOYER_VARIABLE, "")))
        bindings = [d for d in documents if d.get("kind") == "ClusterRoleBinding"]
        roles = {d["metadata"]["name"]: d for d in documents if d.get("kind") == "ClusterRole"}
        if not bindings:
            problems.append("installs no deploy identity: Pulumi would need the admin kubeconfig")
        for binding in bindings:
            role_name = (binding.get("roleRef") or {}).get("name")
            role = roles.get(str(role_name))
            if role is None:
                problems.append(f"the deploy identity is bound to {role_name!r}, not a role of its own")
                continue
            for rule in role.get("rules") or []:
                verbs = set(rule.get("verbs") or [])
                if verbs & {"*", "impersonate"}:
                    problems.append(f"the deploy identity's role {role_name} grants {sorted(verbs & {'*', 'impersonate'})}")
    return found


def _documents(text: str) -> list[dict[str, Any]]:
    try:
        return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except yaml.YAMLError:
        return []
