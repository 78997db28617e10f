"""K3s over SSH: no secret reaches Pulumi's logs, and Pulumi talks only to the machines it was told about."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, graph_of
from k8tre.offline.engine import resolve, run
from k8tre.offline.graph import Graph, RecordedResource, Secret, contains_secret

# Files on a K3s server that hold credentials (K3s docs: "Cluster Access", "Token management").
CREDENTIAL_FILES = re.compile(
    r"/etc/rancher/k3s/k3s\.yaml|/var/lib/rancher/k3s/server/(?:token|agent-token|cred/\S+|tls/\S+\.key)\b"
)


def _commands(graph: Graph) -> list[RecordedResource]:
    commands = graph.of_type("command:remote:Command")
    assert commands, "a K3s stack runs commands over SSH"
    return commands


def _prints_a_secret(command: RecordedResource) -> bool:
    create = command.inputs["create"]
    text = create.value if isinstance(create, Secret) else create
    return (
        "stdout" in command.options.additional_secret_outputs
        or bool(CREDENTIAL_FILES.search(text))
        or " create token " in text  # a TokenRequest prints a service-account token
    )


def test_the_deploy_token_command_is_recognised_as_printing_a_secret() -> None:
    printing = [c.name for c in _commands(graph_of("k3s-dev")) if _prints_a_secret(c)]
    assert any(name.endswith("-deploy-token") for name in printing), printing


def test_every_command_that_prints_a_secret_logs_nothing() -> None:
    """pulumi-command logs stdout even when the output is secret (pulumi/pulumi#15912, pulumi-command#401)."""
    for command in _commands(graph_of("k3s-dev")):
        if _prints_a_secret(command):
            assert command.inputs.get("logging") == "none", f"{command.name} prints a secret and would log it"
            assert "stdout" in command.options.additional_secret_outputs, f"{command.name}: stdout must be secret"


def test_every_connection_pins_the_configured_host_key() -> None:
    config = yaml.safe_load((ROOT / "examples/Pulumi.k3s-dev.yaml").read_text())["config"]["k8tre:cluster"]
    expected = {host["address"]: host["hostKey"] for host in config["servers"] + config["agents"]}
    seen = set()
    for command in _commands(graph_of("k3s-dev")):
        connection = command.inputs["connection"]
        connection = connection.value if isinstance(connection, Secret) else connection
        assert connection["hostKey"] == expected[connection["host"]], command.name
        seen.add(connection["host"])
    assert seen == set(expected), "every machine is reached, each with its own key"


@pytest.fixture(scope="module")
def prod_ha() -> Graph:
    return run(resolve(str(Path(__file__).parents[1] / "config" / "k3s-prod-ha.ok.yaml"), ROOT))


def test_prod_servers_are_reached_only_with_their_host_keys(prod_ha: Graph) -> None:
    for command in _commands(prod_ha):
        connection = command.inputs["connection"]
        connection = connection.value if isinstance(connection, Secret) else connection
        assert str(connection.get("hostKey", "")).startswith("ssh-ed25519 "), command.name


def _installs(graph: Graph) -> list[RecordedResource]:
    return [c for c in _commands(graph) if c.inputs["create"] == "sudo sh -s"]


def _before(graph: Graph, command: RecordedResource) -> set[str]:
    """Every command ``command`` waits for, directly or through others."""
    by_urn = {c.urn: c for c in _commands(graph)}
    seen: set[str] = set()
    todo = list(command.options.depends_on)
    while todo:
        urn = todo.pop()
        if urn not in seen and urn in by_urn:
            seen.add(urn)
            todo += by_urn[urn].options.depends_on
    return seen


def test_machines_change_one_at_a_time_servers_first(prod_ha: Graph) -> None:
    """A rolling upgrade restarts one server at a time, so etcd keeps its quorum (K3s docs, "Manual Upgrades")."""
    for graph in (prod_ha, graph_of("k3s-dev"), graph_of("k3s-prod")):
        installs = _installs(graph)
        by_name = {c.name: c for c in _commands(graph)}
        for earlier, later in itertools.pairwise(installs):
            # Each machine's token writer waits for the previous machine (its install, or for an agent, its uncordon).
            writer = by_name[f"{later.name}-tokens"]
            assert writer.urn in later.options.depends_on
            assert earlier.urn in _before(graph, writer), f"{later.name} may run alongside {earlier.name}"
            if f"{earlier.name}-uncordon" in by_name:
                assert by_name[f"{earlier.name}-uncordon"].urn in _before(graph, writer), "the agent is back first"
        roles = ["server" if "K3S_ROLE=server\n" in c.inputs["stdin"] else "agent" for c in installs]
        assert roles == sorted(roles, key=lambda role: role != "server"), "servers before agents"
        assert "agent" in roles or graph is prod_ha


def test_join_tokens_travel_only_as_secret_standard_input() -> None:
    graph = graph_of("k3s-dev")
    writers = [c for c in _commands(graph) if c.name.endswith("-tokens")]
    installs = _installs(graph)
    assert len(writers) == len(installs) == 3
    for writer in writers:
        assert isinstance(writer.inputs["stdin"], Secret), writer.name
        assert writer.inputs.get("logging") == "none", writer.name
        assert not isinstance(writer.inputs["create"], Secret), "the command line holds no secret"
    for install in installs:
        assert not contains_secret(install.inputs["stdin"]), f"{install.name}: the install script needs no secret"
    server_token, agent_token = writers[0].inputs["stdin"].value.splitlines()
    assert not server_token.startswith("K10"), "the first server initialises the cluster: its CA does not exist yet"
    for agent in writers[1:]:
        (line,) = agent.inputs["stdin"].value.splitlines()
        pinned = re.fullmatch(r"K10([0-9a-f]{64})::node:(.+)", line)
        assert pinned, "agents join with the secure token, pinned to the cluster CA's hash"
        assert pinned.group(2) == agent_token, "agents get the agent token alone"


def test_joining_servers_pin_the_cluster_ca_read_from_the_first_server(prod_ha: Graph) -> None:
    writers = [c for c in _commands(prod_ha) if c.name.endswith("-tokens")]
    (ca_hash,) = [c for c in _commands(prod_ha) if c.name.endswith("-ca-hash")]
    first_install = _installs(prod_ha)[0]
    assert ca_hash.options.depends_on == (first_install.urn,), "the hash is read once the first server wrote its CA"
    assert ca_hash.inputs["create"].endswith("/var/lib/rancher/k3s/server/tls/server-ca.crt")
    token, _ = writers[0].inputs["stdin"].value.splitlines()
    hashes = set()
    for joining in writers[1:]:
        line, _agent = joining.inputs["stdin"].value.splitlines()
        pinned = re.fullmatch(r"K10([0-9a-f]{64})::server:(.+)", line)
        assert pinned and pinned.group(2) == token, joining.name
        hashes.add(pinned.group(1))
    assert len(hashes) == 1, "every machine pins the same CA"


@pytest.mark.parametrize("printed", ["", "sha256sum: /var/lib/rancher/k3s/server/tls/server-ca.crt: No such file", "abc  f"])
def test_a_ca_hash_that_is_not_one_stops_the_deployment(printed: str) -> None:
    from k8tre.infrastructure.k3s.k3s import _sha256_field

    with pytest.raises(ValueError, match="SHA-256"):
        _sha256_field(printed)
    assert _sha256_field("ab" * 32 + "  /x\n") == "ab" * 32
