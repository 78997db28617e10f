"""Secrets rule: no credential travels or is kept in plain text (SATRE 2.8.01), judged on values, not only key names.

A value the engine marked secret (a Pulumi secret: encrypted in state, hidden in logs) is
never flagged. Everything else is read for what it contains: known credential formats
anywhere, literal values under credential-named keys, and high-entropy strings in the
places credentials are passed (environment values, Secret data, command lines).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from ...offline.graph import Graph, Secret
from ..facts import Unknown
from ..registry import Evaluation, rule

SECRET_KEY = re.compile(
    r"(password|passwd|secret|token|private_?key|kubeconfig|credentials?|client_?key|access_?key|api_?key)$", re.IGNORECASE
)
NOT_SECRET = frozenset({"secretName", "existingSecret", "secretRef", "secretKeyRef", "privateKeySecretRef", "tokenUrl"})
"""Keys that name a secret (a Kubernetes Secret's name) rather than hold one."""

# Known credential formats, each from the issuer's documentation of its format.
CREDENTIAL_FORMATS: dict[str, re.Pattern[str]] = {
    # RFC 7468 textual encoding: PKCS#8 "PRIVATE KEY", and the RSA/EC/OPENSSH variants.
    "a PEM private key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
    # AWS IAM docs, "Manage access keys": access key IDs start AKIA (long-term) or ASIA (temporary).
    "an AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    # Azure Storage docs, "Configure a connection string": AccountKey=<base64 key>.
    "an Azure storage account key": re.compile(r"AccountKey=[A-Za-z0-9+/]{20,}={0,2}"),
    # GitHub docs, "About authentication to GitHub": token prefixes ghp_, gho_, ghu_, ghs_, ghr_ and github_pat_.
    "a GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b"),
    # RFC 7519: a JWS compact serialisation whose header is base64url JSON ("eyJ" is '{"').
    "a JSON Web Token": re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    # A shell assignment of a token or password to a literal (K3S_TOKEN=..., FOO_PASSWORD='...'), not to a reference.
    "a token or password assigned in a script": re.compile(
        r"(?m)^\s*(?:export\s+)?[A-Z0-9_]*(?:TOKEN|PASSWORD|SECRET|PASSWD)=(?!['\"]?\$)['\"]?[^\s'\"$]{8,}"
    ),
    # A kubeconfig that embeds a client key or a bearer token.
    "a kubeconfig credential": re.compile(r"(?m)^\s*(?:client-key-data|token):\s*[A-Za-z0-9+/=_.-]{16,}\s*$"),
}
MIN_ENTROPY_LENGTH = 20
MIN_ENTROPY_BITS = 4.0
"""Shannon entropy per character above which a long token in a credential place is taken for a secret
(random base64 of this length scores about 4.3-5; English words and paths about 3-3.5)."""
# DNS names are case-insensitive (RFC 4343): EKS endpoints carry an upper-case hex label.
_HOSTNAME = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)+\.?$", re.IGNORECASE)
_IDENTIFIER = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+){2,}")
_REFERENCE = re.compile(r"^\$\(|^\$\{|\{\{")


def entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def looks_random(value: str) -> bool:
    """A long, high-entropy token with digits and letters: the shape of a generated key or password."""
    return (
        len(value) >= MIN_ENTROPY_LENGTH
        and entropy(value) >= MIN_ENTROPY_BITS
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and "://" not in value
        and not value.startswith(("/", "./", "$"))  # a file path or a shell reference names a place, holds no value
        and not value.startswith("--")  # a command-line flag's name (--s3files-cloudwatch-metrics-enabled) is no value
        and not _IDENTIFIER.fullmatch(value)  # an upper-case constant (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) is a name
        and not ("/" in value and _HOSTNAME.match(value.split("/", 1)[0]))  # an API group/version, an image path
        and not _HOSTNAME.match(value)  # a DNS name carrying a GUID (the AKS API server's FQDN) is an address
        # An anchored regular expression (node-exporter's `--collector.filesystem.fs-types-exclude=^(...)$`) is a filter.
        and not (value.startswith("^(") and value.endswith(")$"))
    )


def plaintext_secrets(value: Any, path: str = "", *, credential_place: bool = False) -> Iterator[str]:
    """``path: why`` for each credential under ``value`` that is not marked secret."""
    if isinstance(value, (Secret, Unknown)):
        return
    if isinstance(value, dict):
        env_name = value.get("name") if isinstance(value.get("name"), str) else None
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            named = str(key) not in NOT_SECRET and bool(SECRET_KEY.search(str(key)))
            if key == "value" and env_name is not None and "valueFrom" not in value:
                named = named or bool(SECRET_KEY.search(env_name))  # an env entry {name: DB_PASSWORD, value: ...}
            if named and isinstance(item, str) and item and not _REFERENCE.search(item):
                yield f"{where}: a literal under a credential name"
                continue
            # Where credentials are passed: env values, Secret data, command lines, a command's standard input.
            place = (key == "value" and env_name is not None) or key in (
                "data",
                "stringData",
                "command",
                "args",
                "create",
                "stdin",
            )
            # A name, or an ExternalSecret's remoteRef (which names a store entry, e.g. k8tre-dev/keycloak-jupyterhub-oauth),
            # holds no value; known credential formats are still caught there.
            inherited = credential_place and key not in ("name", "remoteRef")
            yield from plaintext_secrets(item, where, credential_place=place or inherited)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from plaintext_secrets(item, f"{path}[{index}]", credential_place=credential_place)
    elif isinstance(value, str):
        for what, pattern in CREDENTIAL_FORMATS.items():
            if pattern.search(value):
                yield f"{path}: {what}"
                return
        if credential_place:
            for raw in re.split(r"[\s,;'\"]+", value):
                # NAME=VALUE or --flag=VALUE: the value is what would be the credential (and keeps its base64
                # padding); a flag's name (--rfc2136-tsig-keyname) is not.
                word = raw.split("=", 1)[1] if re.match(r"^(?:[A-Za-z_]\w*|--?[A-Za-z][\w-]*)=", raw) else raw
                decoded = _base64_text(word)
                if decoded is not None:
                    # An encoded file (a K3s config.yaml in a script) is judged by what it says, not by its encoding.
                    yield from plaintext_secrets(decoded, f"{path} (base64)", credential_place=True)
                elif any(looks_random(part) for part in re.split(r"[=:]+", word)):
                    yield f"{path}: a high-entropy string where credentials are passed"
                    return


def _base64_text(word: str) -> str | None:
    """The text a long base64 word encodes, if it is a text file (lines of printable characters), else None."""
    if len(word) < 64 or len(word) % 4:
        return None
    try:
        text = base64.b64decode(word, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    lines = text.splitlines()
    return text if len(lines) > 1 and all(line.isprintable() for line in lines) else None


@rule(
    "no-plaintext-secrets",
    "Every credential in any resource input, rendered workload or stack output is a Pulumi secret "
    "(encrypted in state, hidden in logs).",
    satre=("2.8.01",),
    severity="mandatory",
)
def no_plaintext(graph: Graph) -> Evaluation:
    """Passwords, tokens, private keys and kubeconfigs are secret Outputs end to end."""
    result = Evaluation()
    for resource in graph.resources:
        if not resource.custom:
            continue
        for finding in plaintext_secrets(resource.inputs):
            result.check(resource.urn, False, f"input {finding}")
        result.check(resource.urn, True, "")
    for expanded in graph.workloads:
        for index, obj in enumerate(expanded.objects):
            # What a chart creates in the cluster (its Secrets, its scripts) never enters Pulumi's state or logs;
            # its pod specs are what anyone who may read a workload sees, so those are judged.
            if obj.get("kind") in ("Secret", "ConfigMap"):
                continue
            for finding in plaintext_secrets(_pod_specs(obj), f"{expanded.name}[{index}]"):
                result.check(expanded.owner_urn, False, f"rendered chart object {finding}")
    outputs = f"urn:pulumi:{graph.stack}::{graph.project}::pulumi:pulumi:Stack::outputs"
    for finding in plaintext_secrets(graph.outputs):
        result.check(outputs, False, f"stack output {finding}")
    return result


def _pod_specs(value: Any) -> list[Any]:
    """Every pod spec (a mapping with a ``containers`` list) under ``value``."""
    if isinstance(value, dict):
        if isinstance(value.get("containers"), list):
            return [value]
        return [spec for item in value.values() for spec in _pod_specs(item)]
    if isinstance(value, list):
        return [spec for item in value for spec in _pod_specs(item)]
    return []
