"""The realm as code and the ``mfa-required`` judgement: each way a realm can let a user in without OTP is caught."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from conftest import graph_of
from k8tre.applications.jupyterhub import OAUTH_SECRET, jupyterhub_values
from k8tre.applications.keycloak_realm import (
    BROWSER_FLOW,
    CLIENTS,
    DIRECT_GRANT_FLOW,
    FORMS_FLOW,
    REALM_LABEL,
    placeholder,
    realm,
)
from k8tre.config.layers import JupyterHubSettings, KeycloakRealmSettings
from k8tre.policies.realm_mfa import mfa_gaps
from k8tre.policies.registry import evaluate_all
from k8tre.policies.rules.access import REALM_LABEL as RULE_REALM_LABEL
from k8tre.policies.rules.secrets import looks_random
from k8tre.stage import Stage

Realm = dict[str, Any]


def _realm() -> Realm:
    return realm(KeycloakRealmSettings(), "dev.example", ("project-alpha", "project-beta"))


def _flow(r: Realm, alias: str) -> Realm:
    return next(f for f in r["authenticationFlows"] if f["alias"] == alias)


def _otp(r: Realm) -> Realm:
    return next(e for e in _flow(r, FORMS_FLOW)["authenticationExecutions"] if e["authenticator"] == "auth-otp-form")


def _set(target: Callable[[Realm], Realm], **values: Any) -> Callable[[Realm], None]:
    return lambda r: target(r).update(values)


def _client(r: Realm) -> Realm:
    return r["clients"][0]


def _cookie_only_flow(r: Realm) -> None:
    r["authenticationFlows"].append(
        {
            "alias": "cookie",
            "topLevel": True,
            "authenticationExecutions": [{"authenticator": "auth-cookie", "requirement": "ALTERNATIVE"}],
        }
    )


def _password_only_flow(r: Realm) -> None:
    r["authenticationFlows"].append(
        {
            "alias": "password only",
            "topLevel": True,
            "authenticationExecutions": [{"authenticator": "auth-username-password-form", "requirement": "REQUIRED"}],
        }
    )
    _client(r)["authenticationFlowBindingOverrides"] = {"browser": "password only"}


def _alternative_password_path(r: Realm) -> None:
    _flow(r, BROWSER_FLOW)["authenticationExecutions"].append(
        {"authenticator": "auth-username-password-form", "requirement": "ALTERNATIVE", "priority": 30}
    )


def _conditional_otp(r: Realm) -> None:
    # Keycloak's built-in shape: OTP in a CONDITIONAL subflow, asked only of users who configured it.
    forms = _flow(r, FORMS_FLOW)["authenticationExecutions"]
    forms[:] = [e for e in forms if e["authenticator"] != "auth-otp-form"]
    forms.append({"flowAlias": "conditional otp", "authenticatorFlow": True, "requirement": "CONDITIONAL"})
    r["authenticationFlows"].append(
        {
            "alias": "conditional otp",
            "authenticationExecutions": [
                {"authenticator": "conditional-user-configured", "requirement": "REQUIRED"},
                {"authenticator": "auth-otp-form", "requirement": "REQUIRED"},
            ],
        }
    )


def _direct_otp(r: Realm) -> Realm:
    flow = _flow(r, DIRECT_GRANT_FLOW)["authenticationExecutions"]
    return next(e for e in flow if e["authenticator"] == "direct-grant-validate-otp")


def _password_only_direct_grant(r: Realm) -> None:
    _password_only_flow(r)
    _client(r)["authenticationFlowBindingOverrides"] = {"direct_grant": "password only"}


BYPASSES: dict[str, Callable[[Realm], None]] = {
    "OTP set-up is no default action": lambda r: r["requiredActions"][0].update(defaultAction=False),
    "OTP set-up disabled": lambda r: r["requiredActions"][0].update(enabled=False),
    "no required actions": lambda r: r.update(requiredActions=[]),
    "OTP form optional (alternative)": _set(_otp, requirement="ALTERNATIVE"),
    "OTP form disabled": _set(_otp, requirement="DISABLED"),
    "OTP form conditional": _conditional_otp,
    "browser flow is Keycloak's built-in": lambda r: r.update(browserFlow="browser"),
    "browser flow is a cookie alone": lambda r: (_cookie_only_flow(r), r.update(browserFlow="cookie")),
    "a password-only alternative": _alternative_password_path,
    "a client overrides the browser flow": _password_only_flow,
    "password grant flow is Keycloak's built-in": lambda r: r.update(directGrantFlow="direct grant"),
    "password grant flow unset": lambda r: r.pop("directGrantFlow"),
    "password grant's OTP check optional": _set(_direct_otp, requirement="ALTERNATIVE"),
    "a client's password grant bound to a flow without OTP": _password_only_direct_grant,
    "a brokered sign-in": lambda r: r.update(identityProviders=[{"alias": "github", "providerId": "github", "enabled": True}]),
    "forms subflow missing": lambda r: r.update(authenticationFlows=[_flow(r, BROWSER_FLOW)]),
}


def test_the_realm_as_written_requires_a_second_factor() -> None:
    assert mfa_gaps(_realm()) == []


@pytest.mark.parametrize("bypass", sorted(BYPASSES))
def test_each_way_to_skip_otp_is_a_gap(bypass: str) -> None:
    r = _realm()
    BYPASSES[bypass](r)
    assert mfa_gaps(r), f"{bypass}: not caught"


def test_clients_are_confidential_with_placeholder_secrets_and_exact_redirects() -> None:
    r = _realm()
    assert {c["clientId"] for c in r["clients"]} == {"jupyterhub", "argocd", "grafana"}
    for client in r["clients"]:
        assert client["publicClient"] is False and client["clientAuthenticatorType"] == "client-secret"
        assert client["directAccessGrantsEnabled"] is False and client["implicitFlowEnabled"] is False
        assert re.fullmatch(r"\$\{K8TRE_CLIENT_[A-Z_]+_SECRET\}", client["secret"]), client["secret"]
        assert all("*" not in uri and uri.startswith("https://") for uri in client["redirectUris"])
        assert any(m["protocolMapper"] == "oidc-group-membership-mapper" for m in client["protocolMappers"])


def test_realm_groups_and_policies() -> None:
    r = _realm()
    assert {g["name"] for g in r["groups"]} >= {"tre-admins", "researchers", "project-alpha", "project-beta"}
    assert r["bruteForceProtected"] is True and r["permanentLockout"] is False and r["failureFactor"] == 5
    assert "length(14)" in r["passwordPolicy"] and r["registrationAllowed"] is False
    assert r["ssoSessionIdleTimeout"] == 1800 and r["sslRequired"] == "all"


def test_jupyterhub_contract() -> None:
    """The hub reads the Secret this program delivers, and asks the realm this program imports."""
    hub_client = next(c for c in CLIENTS if c.client_id == "jupyterhub")
    assert hub_client.secret_name == OAUTH_SECRET
    stage = Stage("dev", "k8tre", "dev.example")
    oauth = jupyterhub_values(JupyterHubSettings(), stage)["hub"]["config"]["GenericOAuthenticator"]
    client = next(c for c in _realm()["clients"] if c["clientId"] == oauth["client_id"])
    assert oauth["oauth_callback_url"] in client["redirectUris"]
    assert oauth["token_url"].startswith("https://keycloak.dev.example/realms/k8tre/")


def _realm_config_map(graph: Any) -> Any:
    (found,) = [
        r
        for r in graph.kubernetes_objects()
        if r.inputs.get("kind") == "ConfigMap" and REALM_LABEL in r.inputs["metadata"].get("labels", {})
    ]
    return found


def test_rendered_realm_holds_placeholders_only() -> None:
    assert RULE_REALM_LABEL == REALM_LABEL
    config_map = _realm_config_map(graph_of("dev"))
    (text,) = config_map.inputs["data"].values()
    rendered = json.loads(text)
    assert [c["secret"] for c in rendered["clients"]] == [placeholder(c) for c in CLIENTS]
    strings: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            strings.append(value)

    walk(rendered)
    # Generated secrets are letters and digits (generated_secret): a long random token without spaces.
    assert not [s for s in strings if " " not in s and looks_random(s)], "a secret-looking literal in the realm file"


def _mfa(graph: Any) -> Any:
    return next(f for f in evaluate_all(graph) if f.rule.id == "mfa-required")


def test_mfa_rule_judges_the_rendered_realm_and_fails_a_mutated_one() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    assert _mfa(graph).status == "pass"
    config_map = _realm_config_map(graph)
    key = next(iter(config_map.inputs["data"]))
    mutated = json.loads(config_map.inputs["data"][key])
    BYPASSES["OTP form optional (alternative)"](mutated)
    config_map.inputs["data"][key] = json.dumps(mutated)
    finding = _mfa(graph)
    assert finding.status == "fail" and finding.blocks


def test_mfa_rule_examines_nothing_without_a_realm() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    graph.resources.remove(_realm_config_map(graph))
    assert _mfa(graph).status == "not-evidenced"


def _keycloak_state(graph: Any) -> list[Any]:
    """Keycloak's database cluster and its generated database password (the data and what opens it)."""
    return [
        r
        for r in graph.resources
        if (r.inputs.get("kind") == "Cluster" and r.inputs["metadata"].get("name") == "keycloak-db")
        or (r.type == "random:index/randomPassword:RandomPassword" and "keycloak-db-app-user" in r.name)
    ]


@pytest.mark.parametrize(("stack", "protected"), [("prod", True), ("dev", False)])
def test_keycloak_database_is_protected_in_prod_only(stack: str, protected: bool) -> None:
    state = _keycloak_state(graph_of(stack))
    assert len(state) == 2, [r.name for r in state]
    assert all(r.options.protect is protected for r in state)


def test_a_store_entry_name_is_no_credential_but_a_literal_beside_it_is() -> None:
    from k8tre.policies.rules.secrets import plaintext_secrets

    entry = {"data": [{"secretKey": "client-secret", "remoteRef": {"key": "k8tre-dev/keycloak-jupyterhub-oauth"}}]}
    assert list(plaintext_secrets(entry)) == []
    leaked = {"data": [{"secretKey": "client-secret", "value": "q8ZrT2vLx9NwK4sJ7mB3cH6pD1fG5yA0"}]}
    assert list(plaintext_secrets(leaked))
