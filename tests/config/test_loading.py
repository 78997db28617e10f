"""The loader reads what Pulumi reads, refuses what Pulumi or a provider would, and guard rails can be accepted on record."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pulumi_aws
import pulumi_azure_native
import pytest
import yaml

from k8tre.config import ConfigError, build, load_file
from k8tre.config.guardrails import GUARD_RAIL_IDS, GUARD_RAILS
from k8tre.config.namespaces import PROVIDER_SECRETS
from k8tre.config.stack_yaml import parse

HERE = Path(__file__).parent


def test_yaml_is_read_with_the_yaml_1_2_core_schema() -> None:
    document, duplicates = parse("a: yes\nb: on\nc: 2025-10-20\nd: true\ne: 0x10\nf: 1:20\ng: 010\n")
    assert document == {"a": "yes", "b": "on", "c": "2025-10-20", "d": True, "e": 16, "f": "1:20", "g": 10}
    assert duplicates == []
    assert yaml.safe_load("a: yes") == {"a": True}, "PyYAML's own loader is left as it was"


def test_duplicate_keys_are_found_with_both_lines_at_any_depth() -> None:
    _, duplicates = parse("config:\n  k8tre:x: {a: 1}\n  k8tre:y:\n    - {n: 1, n: 2}\n  k8tre:x: 2\n")
    assert [(d.path, d.first_line, d.line) for d in duplicates] == [("k8tre:y[0].n", 4, 4), ("k8tre:x", 2, 5)]


@pytest.mark.parametrize("sdk", [pulumi_azure_native, pulumi_aws], ids=lambda m: m.__name__)
def test_every_credential_the_provider_schema_marks_secret_is_refused_in_plain_text(sdk: object) -> None:
    # The generated provider class wraps each schema-secret config input in Output.secret.
    source = (Path(str(sdk.__file__)).parent / "provider.py").read_text()  # type: ignore[attr-defined]
    secret_inputs = re.findall(r'__props__\.__dict__\["(\w+)"\] = None if \w+ is None else pulumi\.Output\.secret', source)
    assert secret_inputs, "the SDK no longer marks secrets this way: read the provider schema again"
    namespace = "azure-native" if sdk is pulumi_azure_native else "aws"
    camel = {re.sub(r"_(\w)", lambda m: m.group(1).upper(), name) for name in secret_inputs}
    assert camel <= PROVIDER_SECRETS[namespace]


ALERTING_SECRET = "k8tre:alertingDefaultSecret"
"""The prod base's alert receiver's credential: a secret (``secure:``) key, passed as such to ``build``."""


def _prod(**overrides: object) -> dict[str, object]:
    cluster = {
        "provider": "azure",
        "location": "uksouth",
        "kubernetesVersion": "1.33",
        "apiServer": {"adminGroupObjectIds": ["3f2504e0-4f89-41d3-9a0c-0305e82c3301"]},
        "nodePools": [{"name": "system", "mode": "System", "count": 3}],
    }
    agnostics: dict[str, object] = {
        "certManager": {"issuer": "letsencrypt", "acmeEmail": "ops@example.org"},
        "alerting": {"default": {"kind": "webhook", "host": "alerts.example.org"}},
    }
    values: dict[str, object] = {
        "k8tre:environment": "prod",
        "k8tre:domain": "tre.example.org",
        ALERTING_SECRET: "offline-placeholder",
    }
    for key, value in overrides.items():
        section, _, field = key.partition("__")
        target = cluster if section == "cluster" else agnostics
        target[field] = value
    return values | {"k8tre:cluster": cluster, "k8tre:agnostics": agnostics}


_TRIPS = {
    "prod-acme-staging": ("agnostics__certManager", {"issuer": "letsencrypt-staging", "acmeEmail": "ops@example.org"}),
    "prod-no-auto-upgrade": ("cluster__upgradeChannel", "none"),
    "prod-single-zone": ("cluster__nodePools", [{"name": "system", "mode": "System", "count": 3, "zones": ["2"]}]),
    "prod-argocd-not-ha": ("agnostics__argocd", {"highAvailability": False}),
    "prod-kube-proxy-alongside": ("cluster__kubeProxy", "cilium-alongside"),
    "prod-no-admin-groups": ("cluster__apiServer", {"adminGroupObjectIds": []}),
}


def test_the_guard_rails_are_exactly_the_ids_an_accepted_risk_may_name() -> None:
    assert set(GUARD_RAILS) == set(GUARD_RAIL_IDS) == set(_TRIPS)


def test_the_prod_base_passes() -> None:
    assert build(_prod(), {ALERTING_SECRET}, source="prod").accepted_risks == ()


@pytest.mark.parametrize("rule", sorted(_TRIPS))
def test_each_guard_rail_refuses_prod_until_the_risk_is_accepted(rule: str) -> None:
    key, value = _TRIPS[rule]
    values = _prod(**{key: value})
    with pytest.raises(ConfigError) as caught:
        build(values, {ALERTING_SECRET}, source="prod")
    assert rule in str(caught.value)
    risk = {"rule": rule, "reason": "a reason", "approvedBy": "the owner"}
    config = build(values | {"k8tre:acceptedRisks": [risk]}, {ALERTING_SECRET}, source="prod")
    assert [(r.rule, r.reason, r.approved_by) for r in config.accepted_risks] == [(rule, "a reason", "the owner")]
    # The same setting outside prod trips nothing, so accepting it there is refused as a false record.
    dev = values | {"k8tre:environment": "dev", "k8tre:acceptedRisks": [risk]}
    with pytest.raises(ConfigError, match="prod only"):
        build(dev, set(), source="dev")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [("count", "2", "nodePools[0].count"), ("count", True, "nodePools[0].count"), ("count", 2.0, "nodePools[0].count")],
)
def test_the_running_program_gets_the_same_strict_types(key: str, value: object, expected: str) -> None:
    # Under `pulumi up` structured values arrive as JSON text; the model refuses the same wrong types.
    cluster = json.loads(json.dumps(_prod()["k8tre:cluster"]))
    cluster["nodePools"][0][key] = value
    with pytest.raises(ConfigError) as caught:
        build({**_prod(), "k8tre:cluster": cluster}, {ALERTING_SECRET}, source="Pulumi.prod.yaml")
    assert any(k.endswith(expected) for k, _ in caught.value.issues)


def test_the_accepted_risk_fixture_exposes_its_decision() -> None:
    config = load_file(HERE / "azure-prod-accepted-risk.ok.yaml")
    assert [risk.rule for risk in config.accepted_risks] == ["prod-acme-staging"]
