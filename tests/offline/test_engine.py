"""The offline engine: faithful mocks, recorded options, secrets kept secret, bad config stops early."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest
from pulumi.runtime import MockCallArgs

from conftest import ROOT, graph_of
from k8tre.config import ConfigError
from k8tre.offline import engine
from k8tre.offline.graph import Secret
from k8tre.offline.mocks import K8treMocks
from k8tre.policies.facts import managed_clusters


def test_resolve_finds_stacks_examples_and_paths() -> None:
    assert engine.resolve("dev", ROOT).path == ROOT / "Pulumi.dev.yaml"
    example = engine.resolve("aws-dev", ROOT)
    assert example.path == ROOT / "examples" / "Pulumi.aws-dev.yaml"
    assert example.stack == "aws-dev"
    by_path = engine.resolve(str(ROOT / "examples" / "Pulumi.k3s-dev.yaml"), ROOT)
    assert by_path.stack == "k3s-dev"
    assert by_path.program == ROOT / "stacks" / "__main__.py"
    with pytest.raises(ConfigError, match="no stack file"):
        engine.resolve("nosuch", ROOT)


def test_secure_values_become_secret_placeholders() -> None:
    graph = graph_of("k3s-dev")
    commands = graph.of_type("command:remote:Command")
    for command in commands:
        connection = command.inputs["connection"]
        assert isinstance(connection, Secret)
        assert connection.value["privateKey"] == "offline-placeholder-for-k8tre:sshPrivateKey"
    assert "offline-placeholder" not in str(graph.to_json())


def test_mock_outputs_are_realistic() -> None:
    graph = graph_of("dev")
    (cluster,) = managed_clusters(graph)
    (cilium,) = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "cilium"]
    host = cilium.inputs["values"]["k8sServiceHost"]
    assert host.startswith("aks-k8tre-dev-") and host.endswith(".hcp.uksouth.azmk8s.io")
    eks = graph_of("aws-dev")
    (eks_cilium,) = [r for r in eks.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "cilium"]
    assert eks_cilium.inputs["values"]["k8sServiceHost"].endswith(".eks.amazonaws.com")
    subnets = [s for s in eks.of_type("aws:ec2/subnet:Subnet") if "internal-elb" in str(s.inputs.get("tags"))]
    assert sorted(s.inputs["availabilityZone"] for s in subnets) == ["eu-west-2a", "eu-west-2b", "eu-west-2c"]
    assert cluster.inputs["resourceName"] == "aks-k8tre-dev"


def test_an_unmocked_call_is_an_error_not_an_empty_answer() -> None:
    with pytest.raises(NotImplementedError, match="no mock for the call"):
        K8treMocks().call(MockCallArgs("azure-native:keyvault:getVault", {}, ""))


def test_dependencies_and_depends_on_are_recorded() -> None:
    graph = graph_of("dev")
    (issuer,) = graph.of_type("kubernetes:cert-manager.io/v1:ClusterIssuer")
    release = graph.named("k8tre-agnostics-cert-manager-release")
    assert release.urn in issuer.options.depends_on
    assert release.urn in issuer.dependencies


def test_a_bad_stack_file_registers_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "Pulumi.broken.yaml"
    bad.write_text("config:\n  k8tre:environment: qa\n")
    stack = engine.StackFile(path=bad, stack="broken", project_dir=ROOT)
    with pytest.raises(ConfigError) as caught:
        engine.run(stack)
    assert "k8tre:environment" in str(caught.value)


def test_the_program_itself_refuses_bad_config_without_a_traceback() -> None:
    """Under `pulumi up` there is no CLI in front: the program must stop cleanly on its own."""
    values = {"k8tre:environment": "qa", "k8tre:domain": "x.example.org"}
    stack = engine.StackFile(path=ROOT / "Pulumi.dev.yaml", stack="dev", project_dir=ROOT)
    with pytest.raises(engine.EngineError) as caught:
        engine.execute(stack, values, set())
    assert isinstance(caught.value.__cause__, pulumi.RunError)
    message = str(caught.value.__cause__)
    assert "k8tre:environment" in message and "k8tre:cluster" in message


def test_engine_reports_a_program_that_never_finishes(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    never = threading.Event()
    monkeypatch.setattr(engine, "_run_in_thread", lambda *args: never.wait())
    with pytest.raises(engine.EngineError, match="did not finish"):
        engine.run(engine.resolve("dev", ROOT), timeout=0.5)
