"""Loading the ``k8tre:`` configuration and turning failures into one clear message.

Two sources give the same model: a stack file on disk (``Pulumi.<stack>.yaml``,
used by the CLI and the offline engine) and the running Pulumi program's config.
``secure:`` values never reach the model: they become :class:`SecretRef` names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .model import ConfigRuleError, K8treConfig
from .secrets import SECRET_KEYS, SecretRef

NAMESPACE = "k8tre"
_UNION_TAGS = frozenset({"azure", "aws", "k3s", "create", "existing", "stack"})
"""Values of discriminators (cluster.provider, cluster.hub.mode): pydantic puts them in error paths."""
_UNION_FIELDS = frozenset({"cluster", "hub"})


class ConfigError(Exception):
    """A stack's configuration is wrong; ``str()`` is the message for the operator."""

    def __init__(self, source: str, issues: list[tuple[str, str]]) -> None:
        self.source = source
        self.issues = issues
        count = f"{len(issues)} problem{'s' if len(issues) != 1 else ''}"
        lines = [f"{source}: {count} in the k8tre configuration:"]
        lines += [f"  - {key}: {message}" for key, message in issues]
        super().__init__("\n".join(lines))


def read_stack_file(path: Path) -> tuple[dict[str, Any], set[str]]:
    """Return a stack file's ``config`` map and the keys that hold ``secure:`` values.

    Secure values are replaced by an opaque placeholder: they cannot be decrypted
    offline and must never be printed.
    """
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), [("file", "does not exist")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(str(path), [("file", f"is not valid YAML: {exc}")]) from None
    if document is None:
        document = {}
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise ConfigError(str(path), [("config", "must be a mapping of config keys to values")])
    raw: dict[str, Any] = document.get("config") or {}
    values: dict[str, Any] = {}
    secret_keys: set[str] = set()
    for key, value in raw.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            secret_keys.add(key)
            values[key] = "[secret]"
        else:
            values[key] = value
    return values, secret_keys


def load_file(path: Path) -> K8treConfig:
    """Validate a stack file's ``k8tre:`` keys; raise :class:`ConfigError` naming every bad key."""
    values, secret_keys = read_stack_file(path)
    return build(values, secret_keys, source=str(path))


def load_running_stack() -> K8treConfig:
    """Validate the config of the Pulumi program that is running now."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    values: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = {key for key in values if runtime_config.is_config_secret(key)}
    secret_keys |= set(runtime_config.get_config_secret_keys_env())
    parsed = {key: _parse_engine_value(value) for key, value in values.items()}
    return build(parsed, secret_keys, source=f"Pulumi.{pulumi.get_stack()}.yaml")


def _parse_engine_value(value: Any) -> Any:
    # The engine hands structured config to the program as JSON text.
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def build(values: Mapping[str, Any], secret_keys: set[str], *, source: str) -> K8treConfig:
    """Validate ``k8tre:``-namespaced values into the model (other namespaces are ignored)."""
    document: dict[str, Any] = {}
    secrets: dict[str, SecretRef] = {}
    issues: list[tuple[str, str]] = []
    prefix = f"{NAMESPACE}:"
    for key, value in values.items():
        if not key.startswith(prefix):
            continue  # provider settings such as azure-native:location belong to their providers
        name = key[len(prefix) :]
        if key in secret_keys:
            secrets[name] = SecretRef(name)
        elif name in SECRET_KEYS:
            issues.append((key, "must be a secret: set it with `pulumi config set --secret`"))
        elif name == "secrets":
            issues.append((key, "is not a setting: secrets are top-level secure keys"))
        else:
            document[name] = value
    document["secrets"] = secrets
    try:
        config = K8treConfig.model_validate(document)
    except ValidationError as exc:
        # A key already reported by the loader (a plaintext secret) is not reported again as missing.
        reported = {key for key, _ in issues}
        issues += [issue for issue in _issues(exc) if issue[0] not in reported]
        raise ConfigError(source, issues) from None
    if issues:
        raise ConfigError(source, issues)
    return config


def _issues(exc: ValidationError) -> list[tuple[str, str]]:
    issues: list[tuple[str, str]] = []
    for error in exc.errors(include_url=False):
        ctx_error = (error.get("ctx") or {}).get("error")
        if isinstance(ctx_error, ConfigRuleError):
            issues += [(f"{NAMESPACE}:{path}", message) for path, message in ctx_error.issues]
            continue
        loc = list(error["loc"])
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc.append(str((error.get("ctx") or {}).get("discriminator", "provider")).strip("'"))
        issues.append((_dotted(loc), _message(error)))
    return issues


def _dotted(loc: list[int | str]) -> str:
    if loc[:1] == ["secrets"]:
        loc = loc[1:]  # secrets are top-level keys in the stack file
    # A discriminated union's tag is pydantic's detail, not a key in the file.
    loc = [part for i, part in enumerate(loc) if not (i > 0 and loc[i - 1] in _UNION_FIELDS and part in _UNION_TAGS)]
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return f"{NAMESPACE}:{path}" if path else f"{NAMESPACE}:<root>"


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "is not a known setting (check its spelling and indentation)"
    if kind == "missing":
        return "is required"
    if kind == "union_tag_invalid":
        expected = (error.get("ctx") or {}).get("expected_tags", "")
        return f"must be one of {expected} (got {error['ctx'].get('tag')!r})"
    if kind == "union_tag_not_found":
        return "is required"
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if isinstance(value, (str, int, float, bool)) and kind != "value_error":
        message += f" (got {value!r})"
    return message
