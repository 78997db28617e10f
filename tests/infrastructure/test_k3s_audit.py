"""The K3s API server's audit policy, judged by what it would record for real requests.

A small evaluator of the audit policy semantics in the Kubernetes docs ("Auditing",
https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/, and the audit.k8s.io/v1
Policy reference): rules are tried in order and the first match decides the level; a rule
without verbs or resources matches every verb or resource; ``pods`` matches the resource
only, ``pods/log`` one subresource, ``pods/*`` every subresource of pods, ``*`` everything.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from k8tre.infrastructure.k3s import k3s
from k8tre.infrastructure.k3s.node_config import ClusterShape, node_config

LEVELS = ("None", "Metadata", "Request", "RequestResponse")


def _policy(script: str) -> dict[str, Any]:
    match = re.search(r"<<'POLICY'\n(.*?)\nPOLICY\n", script, re.S)
    assert match, "the install script writes an audit policy"
    policy: dict[str, Any] = yaml.safe_load(match.group(1))
    return policy


def _resource_matches(pattern: str, resource: str, subresource: str) -> bool:
    if pattern == "*":
        return True
    name, _, sub = pattern.partition("/")
    if not sub:
        return not subresource and name == resource
    if name == "*":
        return sub == subresource
    return name == resource and bool(subresource) and sub in ("*", subresource)


def level_for(policy: dict[str, Any], verb: str, group: str, resource: str, subresource: str = "") -> str:
    """The level the policy records a request at (``None`` when no rule matches)."""
    for rule in policy["rules"]:
        if rule.get("verbs") and verb not in rule["verbs"]:
            continue
        kinds = rule.get("resources")
        if kinds and not any(
            entry.get("group", "") == group
            and (not entry.get("resources") or any(_resource_matches(p, resource, subresource) for p in entry["resources"]))
            for entry in kinds
        ):
            continue
        return str(rule["level"])
    return "None"


POLICY = _policy(k3s.INSTALL_SCRIPT)

# (verb, group, resource, subresource): requests whose bodies carry credentials.
CREDENTIAL_REQUESTS = [
    ("create", "", "serviceaccounts", "token"),  # TokenRequest: the response is a service-account token
    ("create", "", "secrets", ""),
    ("patch", "", "secrets", ""),
    ("update", "", "configmaps", ""),
    ("create", "authentication.k8s.io", "tokenreviews", ""),  # the request body is a bearer token
    ("create", "certificates.k8s.io", "certificatesigningrequests", ""),
    ("update", "certificates.k8s.io", "certificatesigningrequests", "approval"),
]


@pytest.mark.parametrize("request_", CREDENTIAL_REQUESTS, ids=lambda r: f"{r[0]}-{r[2]}{'/' + r[3] if r[3] else ''}")
def test_credentials_are_logged_without_their_bodies(request_: tuple[str, str, str, str]) -> None:
    assert level_for(POLICY, *request_) == "Metadata"


@pytest.mark.parametrize(
    "request_",
    [
        ("create", "", "pods", ""),
        ("delete", "rbac.authorization.k8s.io", "clusterrolebindings", ""),
        ("patch", "apps", "deployments", ""),
    ],
)
def test_other_changes_are_logged_in_full(request_: tuple[str, str, str, str]) -> None:
    assert level_for(POLICY, *request_) == "RequestResponse"


def test_every_request_is_audited_at_least_at_metadata() -> None:
    assert LEVELS.index(level_for(POLICY, "get", "", "pods", "log")) >= LEVELS.index("Metadata")
    assert LEVELS.index(level_for(POLICY, "list", "", "secrets")) >= LEVELS.index("Metadata")


def test_the_evaluator_sees_a_token_leak() -> None:
    """The policy K3s used to ship: writes at RequestResponse first, so TokenRequest responses were logged."""
    leaky = {
        "rules": [
            {"level": "Metadata", "resources": [{"group": "", "resources": ["secrets", "configmaps"]}]},
            {"level": "RequestResponse", "verbs": ["create", "update", "patch", "delete"]},
            {"level": "Metadata"},
        ]
    }
    assert level_for(leaky, "create", "", "serviceaccounts", "token") == "RequestResponse"
    assert level_for(leaky, "patch", "", "secrets", "") == "Metadata"


def test_service_account_tokens_are_not_silently_extended() -> None:
    # K3s CIS hardening guide: service-account-extend-token-expiration=false.
    shape = ClusterShape(api_host="192.0.2.1", pod_cidrs=("10.42.0.0/16",), service_cidr="10.43.0.0/16", audit_max_age_days=30)
    assert "service-account-extend-token-expiration=false" in node_config("server", "s1", shape, None)["kube-apiserver-arg"]
