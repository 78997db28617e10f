"""Secrets rule: no credential travels or is kept in plain text (SATRE 2.8.01)."""

from __future__ import annotations

import re
from typing import Any

from ...offline.graph import Graph, Secret
from ..registry import Evaluation, rule

SECRET_KEY = re.compile(r"(password|passwd|secret|token|private_?key|kubeconfig|credentials?|client_?key)$", re.IGNORECASE)
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
NOT_SECRET = frozenset({"secretName", "existingSecret", "secretRef", "secretKeyRef", "privateKeySecretRef", "tokenUrl"})
"""Keys that name a secret (a Kubernetes Secret's name) rather than hold one."""


def plaintext_secrets(value: Any, path: str = "") -> list[str]:
    """Paths under ``value`` that hold a credential that is not marked secret."""
    if isinstance(value, Secret):
        return []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if SECRET_KEY.search(str(key)) and str(key) not in NOT_SECRET and isinstance(item, str) and item:
                found.append(where)
            else:
                found += plaintext_secrets(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += plaintext_secrets(item, f"{path}[{index}]")
    elif isinstance(value, str) and _PEM.search(value):
        found.append(path)
    return found


@rule(
    "no-plaintext-secrets",
    "Every credential in any resource input or stack output is a Pulumi secret (encrypted in state, hidden in logs).",
    satre=("2.8.01",),
    severity="mandatory",
)
def no_plaintext(graph: Graph) -> Evaluation:
    """Passwords, tokens, private keys and kubeconfigs are secret Outputs end to end."""
    result = Evaluation()
    for resource in graph.resources:
        if not resource.custom:
            continue
        for path in plaintext_secrets(resource.inputs):
            result.check(resource.urn, False, f"input {path} holds a credential in plain text")
        result.check(resource.urn, True, "")
    for path in plaintext_secrets(graph.outputs):
        result.check(
            f"urn:pulumi:{graph.stack}::{graph.project}::pulumi:pulumi:Stack::outputs",
            False,
            f"stack output {path} holds a credential in plain text",
        )
    return result
