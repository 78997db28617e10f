"""The offline engine: faithful mocks, recorded options, secrets kept secret, bad config stops early."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from conftest import ROOT, graph_of
from k8tre.chart_lock import chart_name
from k8tre.config import ConfigError
from k8tre.offline import engine
from k8tre.offline.graph import Secret
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


def test_mock_outputs_follow_the_inputs() -> None:
    graph = graph_of("dev")
    (cluster,) = managed_clusters(graph)
    (cilium,) = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if chart_name(r.inputs["chart"]) == "cilium"]
    host = cilium.inputs["values"]["k8sServiceHost"]
    # The API server name AKS gives: the cluster's DNS prefix, in the cluster's region.
    assert host.startswith(cluster.inputs["dnsPrefix"] + "-") and f".{cluster.inputs['location']}.azmk8s.io" in host
    eks = graph_of("aws-dev")
    (eks_cilium,) = [r for r in eks.of_type("kubernetes:helm.sh/v3:Release") if chart_name(r.inputs["chart"]) == "cilium"]
    region = engine.read(engine.resolve("aws-dev", ROOT)).values["aws:region"]
    assert eks_cilium.inputs["values"]["k8sServiceHost"].endswith(f".{region}.eks.amazonaws.com")
    subnets = [s for s in eks.of_type("aws:ec2/subnet:Subnet") if "internal-elb" in str(s.inputs.get("tags"))]
    zones = [s.inputs["availabilityZone"] for s in subnets]
    assert len(set(zones)) == len(zones) >= 2 and all(zone.startswith(region) for zone in zones)


def test_dependencies_and_depends_on_are_recorded() -> None:
    graph = graph_of("dev")
    (issuer,) = [
        r for r in graph.of_type("kubernetes:cert-manager.io/v1:ClusterIssuer") if r.inputs["metadata"]["name"] == "selfsigned"
    ]
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


def test_render_reads_and_validates_the_stack_file_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from k8tre import cli
    from k8tre.offline import render

    calls = {"read": 0, "build": 0}
    real_read, real_build = engine.read_stack_file, engine.build

    def counting_read(*args: object) -> object:
        calls["read"] += 1
        return real_read(*args)  # type: ignore[arg-type]

    def counting_build(*args: object, **kwargs: object) -> object:
        calls["build"] += 1
        return real_build(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "read_stack_file", counting_read)
    monkeypatch.setattr(engine, "build", counting_build)
    monkeypatch.setattr(render, "write", lambda graph, target: None)
    monkeypatch.setattr(cli, "_expand_to", lambda *args: None, raising=False)
    config, graph, _ = cli._render_to("dev", tmp_path)
    assert calls == {"read": 1, "build": 1}
    assert config.environment == "dev" and graph.stack == "dev"
