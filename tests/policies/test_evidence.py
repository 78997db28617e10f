"""Judging an existing render (`k8tre check DIR`) and the CrossGuard pack through pulumi-policy's own classes."""

from __future__ import annotations

import inspect
import json
import runpy
from pathlib import Path
from typing import Any

import pulumi_policy
import pulumi_policy.policy as policy_module
import pytest
import yaml
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE
from typer.testing import CliRunner

from conftest import ROOT, graph_of
from k8tre.cli import app
from k8tre.offline.graph import Graph, Secret
from k8tre.offline.load import load
from k8tre.offline.render import write
from k8tre.policies.crossguard import _HOOKED, NOT_EVIDENCED_POLICY
from k8tre.policies.facts import Unknown
from k8tre.policies.registry import RULES, evaluate_all

runner = CliRunner()


def _statuses(graph: Graph) -> dict[str, str]:
    return {f.rule.id: f.status for f in evaluate_all(graph)}


# --- k8tre check DIR ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "aws-dev", "k3s-dev"])
def test_a_reloaded_render_is_judged_like_the_program(stack: str, tmp_path: Path) -> None:
    write(graph_of(stack), tmp_path)
    reloaded = _statuses(load(tmp_path))
    for rule_id, status in _statuses(graph_of(stack)).items():
        # graph.json redacts secrets: a rule may see less (not evidenced), never more, and never a false failure.
        assert reloaded[rule_id] in (status, "not-evidenced"), rule_id


def test_redacted_secrets_stay_secret_when_reloaded(tmp_path: Path) -> None:
    write(graph_of("k3s-dev"), tmp_path)
    graph = load(tmp_path)
    provider = graph.of_type("pulumi:providers:kubernetes")[0]
    assert isinstance(provider.inputs["kubeconfig"], Secret) and isinstance(provider.inputs["kubeconfig"].value, Unknown)
    findings = {f.rule.id: f for f in evaluate_all(graph)}
    assert findings["no-plaintext-secrets"].status == "pass"
    # The install script carries no secret (the tokens go to their own command), so what it configures is
    # judged on the reloaded render too; the token writer's input stays secret.
    assert findings["security-logs"].status == "pass"
    writers = [c for c in graph.of_type("command:remote:Command") if c.name.endswith("-tokens")]
    assert writers and all(isinstance(w.inputs["stdin"], Secret) for w in writers)


def _render(tmp_path: Path, stack: str = "dev") -> Path:
    write(graph_of(stack), tmp_path)
    return tmp_path


def test_check_dir_passes_an_unchanged_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["check", str(_render(tmp_path)), "--out", str(tmp_path / "report")])
    assert "FAIL tls-on-every-route" not in result.output, result.output
    # The realm file is in the render: the rule judges it (and passes the realm as written).
    assert "ok   mfa-required" in result.output, result.output
    data = json.loads((tmp_path / "report" / "check.json").read_text())
    assert {e["rule"]: e["status"] for e in data["rules"]}["mfa-required"] == "pass"


def test_check_dir_fails_a_listener_switched_to_http(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    render = _render(tmp_path)
    # The reviewer's YAML is what is judged: edit the Gateway the way a harmful change would.
    path = render / "manifests" / "gateway-gateway-system-k8tre.yaml"
    gateway = yaml.safe_load(path.read_text())
    https = next(listener for listener in gateway["spec"]["listeners"] if listener["protocol"] == "HTTPS")
    https.update(protocol="HTTP", port=8080)
    https.pop("tls")
    path.write_text(yaml.safe_dump(gateway))
    result = runner.invoke(app, ["check", str(render), "--out", str(tmp_path / "report")])
    assert result.exit_code == 1
    assert "FAIL tls-on-every-route" in result.output and "HTTPRoute::" in result.output


def test_check_dir_fails_a_plaintext_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    render = _render(tmp_path)
    data = json.loads((render / "graph.json").read_text())
    data["outputs"]["joinCommand"] = "K3S_TOKEN=K10c0ffee4b1d2a3f4e5d6c7b8a9::server:s3cr3tvalue"
    (render / "graph.json").write_text(json.dumps(data))
    result = runner.invoke(app, ["check", str(render), "--out", str(tmp_path / "report")])
    assert result.exit_code == 1 and "FAIL no-plaintext-secrets" in result.output


def test_check_refuses_a_directory_that_is_no_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 2 and "not a render directory" in result.output


# --- CrossGuard, through pulumi-policy's own deserializer, proxies and servicer --------------------------------


def _wire(value: Any) -> Any:
    # What the engine sends (analyzer_plugin.go AnalyzeStack: KeepSecrets, KeepUnknowns): secrets as signed objects.
    if isinstance(value, Secret):
        return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": _wire(value.value)}
    if isinstance(value, Unknown):
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {str(k): _wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    return value


def _request(graph: Graph) -> analyzer_pb2.AnalyzeStackRequest:
    request = analyzer_pb2.AnalyzeStackRequest()
    for resource in graph.resources:
        properties = struct_pb2.Struct()
        json_format.ParseDict(_wire(resource.inputs), properties)
        request.resources.append(
            analyzer_pb2.AnalyzerResource(
                type=resource.type,
                urn=resource.urn,
                name=resource.name,
                properties=properties,
                options=analyzer_pb2.AnalyzerResourceOptions(protect=resource.options.protect),
                parent=resource.parent,
                dependencies=list(resource.dependencies),
            )
        )
    return request


def _pack() -> inspect.BoundArguments:
    """What ``policy/__main__.py`` hands to ``PolicyPack``, by running it as the Pulumi CLI does, without serving.

    Running the pack's own entry point means its hooks (``keep_secrets``) are the ones in force, so the
    tests below judge the pack that ``pulumi preview --policy-pack policy`` loads, not a copy of it.
    """
    signature = inspect.signature(pulumi_policy.PolicyPack.__init__)
    made: list[inspect.BoundArguments] = []

    def capture(*args: Any, **kwargs: Any) -> None:
        made.append(signature.bind(None, *args, **kwargs))

    real = pulumi_policy.PolicyPack
    pulumi_policy.PolicyPack = capture  # type: ignore[assignment,misc]
    try:
        runpy.run_path(str(ROOT / "policy" / "__main__.py"), run_name="__main__")
    finally:
        pulumi_policy.PolicyPack = real  # type: ignore[misc]
    (pack,) = made
    pack.apply_defaults()
    return pack


def _analyze(graph: Graph) -> list[Any]:
    hooked = getattr(policy_module, _HOOKED)
    try:
        pack = _pack().arguments
        servicer = _PolicyAnalyzerServicer(pack["name"], "0.0.1", pack["policies"], pack["enforcement_level"])
        return list(servicer.AnalyzeStack(_request(graph), None).diagnostics)
    finally:
        setattr(policy_module, _HOOKED, hooked)


def test_the_policy_pack_blocks_on_every_mandatory_rule() -> None:
    # What pulumi-policy enforces: a policy's own level, else the pack's. An advisory rule reports but never
    # stops `pulumi up`, so every mandatory SATRE rule must come out MANDATORY.
    pack = _pack().arguments
    effective = {p.name: p.enforcement_level or pack["enforcement_level"] for p in pack["policies"]}
    mandatory = {r.id for r in RULES if r.severity == "mandatory"}
    assert mandatory and {name: effective.get(name) for name in mandatory} == dict.fromkeys(mandatory, EnforcementLevel.MANDATORY)


@pytest.mark.parametrize("stack", ["dev", "k3s-dev"])
def test_crossguard_reports_nothing_on_a_compliant_stack(stack: str) -> None:
    # The old adapter failed project-isolation on every stack with projects (list proxies) and flagged the
    # kubeconfig as plain text (unwrapped secrets); the real classes must now report no mandatory violation.
    mandatory = [d for d in _analyze(graph_of(stack)) if d.enforcementLevel == analyzer_pb2.MANDATORY]
    offline_failures = {f.rule.id for f in evaluate_all(graph_of(stack)) if f.blocks}
    assert {d.policyName for d in mandatory} == offline_failures


def test_crossguard_catches_a_plaintext_token() -> None:
    import copy

    graph = copy.deepcopy(graph_of("k3s-dev"))
    command = next(r for r in graph.of_type("command:remote:Command") if "stdin" in r.inputs)
    command.inputs["stdin"] = command.inputs["stdin"].value  # the script, with K3S_TOKEN=..., no longer secret
    names = {(d.policyName, d.urn) for d in _analyze(graph) if d.enforcementLevel == analyzer_pb2.MANDATORY}
    assert ("no-plaintext-secrets", command.urn) in names


def test_crossguard_judges_what_is_known_during_preview() -> None:
    import copy

    graph = copy.deepcopy(graph_of("dev"))
    settings = graph.of_type("azure-native:monitor:DiagnosticSetting")
    setting = next(r for r in settings if "managedClusters" in r.inputs["resourceUri"])
    setting.inputs["resourceUri"] = Unknown("cluster id")  # computed by Azure: unknown in a first preview
    gateway = next(
        r for r in graph.kubernetes_objects() if r.inputs.get("kind") == "Gateway" and r.inputs["metadata"]["name"] == "k8tre"
    )
    https = next(listener for listener in gateway.inputs["spec"]["listeners"] if listener["protocol"] == "HTTPS")
    https.pop("tls")  # a known violation elsewhere in the same preview
    diagnostics = _analyze(graph)
    mandatory = {d.policyName for d in diagnostics if d.enforcementLevel == analyzer_pb2.MANDATORY}
    advisory = [d for d in diagnostics if d.policyName == NOT_EVIDENCED_POLICY]
    assert "tls-on-every-route" in mandatory  # the unknown value did not turn every rule into a skip
    assert "security-logs" not in mandatory  # nor into a false failure
    assert any("security-logs" in d.message for d in advisory)
    assert not any("can't run policy" in d.message for d in diagnostics)
