"""Loading the ``k8tre:`` configuration and turning failures into one clear message.

Two sources give the same model: a stack file on disk (``Pulumi.<stack>.yaml``,
used by the CLI and the offline engine) and the running Pulumi program's config.
``secure:`` values never reach the model: they become :class:`SecretRef` names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from .model import K8treConfig
from .namespaces import NAMESPACE, top_level_issues
from .secrets import SECRET_KEYS, SecretRef
from .stack_yaml import parse
from .validation import validate

_SECRETS_HINT = (
    "secrets are top-level `k8tre:<key>: {secure: ...}` values set with `pulumi config set --secret k8tre:<key>`"
    f" (the secret settings: {', '.join(f'k8tre:{key}' for key in sorted(SECRET_KEYS))})"
)


class ConfigError(Exception):
    """A stack's configuration is wrong; ``str()`` is the message for the operator."""

    def __init__(self, source: str, issues: list[tuple[str, str]], notes: list[str] | None = None) -> None:
        self.source = source
        self.issues = issues
        self.notes = notes or []
        count = f"{len(issues)} problem{'s' if len(issues) != 1 else ''}"
        lines = [f"{source}: {count} in the k8tre configuration:"]
        lines += [f"  - {key}: {message}" for key, message in issues]
        lines += [f"  note: {note}" for note in self.notes]
        super().__init__("\n".join(lines))


def read_stack_file(path: Path) -> tuple[dict[str, Any], set[str]]:
    """Return a stack file's ``config`` map and the keys that hold ``secure:`` values.

    Secure values are replaced by an opaque placeholder: they cannot be decrypted
    offline and must never be printed. A key given twice is an error (YAML forbids it and
    Pulumi would keep one silently): it is reported together with every other problem.
    """
    try:
        document, duplicates = parse(path.read_text(encoding="utf-8"))
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
    if duplicates:
        issues = [
            (dup.path, f"is given twice (lines {dup.first_line} and {dup.line}); YAML allows a key once: keep one")
            for dup in duplicates
        ]
        try:
            build(values, secret_keys, source=str(path))
        except ConfigError as others:
            raise ConfigError(str(path), issues + others.issues, others.notes) from None
        raise ConfigError(str(path), issues)
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
    """Validate ``k8tre:``-namespaced values into the model; raise :class:`ConfigError` naming every bad key.

    Other namespaces belong to their providers, except for misspelt ``k8tre`` namespaces
    and plaintext credentials (:mod:`.namespaces`).
    """
    plain = {key: value for key, value in values.items() if key not in secret_keys}
    issues = list(top_level_issues(values, plain))
    reported = {key for key, _ in issues}
    document: dict[str, Any] = {}
    secrets: dict[str, SecretRef] = {}
    prefix = f"{NAMESPACE}:"
    for key, value in values.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :]
        if key in secret_keys and name in SECRET_KEYS:
            secrets[name] = SecretRef(name)
        elif key in secret_keys:
            issues.append((key, f"is a `secure:` value, but this setting is not a secret: give its plain value; {_SECRETS_HINT}"))
        elif name in SECRET_KEYS:
            issues.append((key, "must be a secret: set it with `pulumi config set --secret`"))
        elif name == "secrets":
            issues.append((key, f"is not a setting: {_SECRETS_HINT}"))
        else:
            for where in _nested_secure(value, name):
                issues.append(
                    (f"{prefix}{where}", f"holds a `secure:` value inside k8tre:{name}, where none belongs: {_SECRETS_HINT}")
                )
            document[name] = _without_secure(value)
    reported |= {key for key, _ in issues}
    document["secrets"] = secrets
    config, problems, notes = validate(document)
    # A key already reported here (a misplaced secret) is not reported again as missing or unknown.
    issues += [issue for issue in problems if issue[0] not in reported]
    if issues or config is None:
        raise ConfigError(source, issues, notes)
    return config


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _nested_secure(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}"
            if _is_secure(item):
                yield child
            else:
                yield from _nested_secure(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if _is_secure(item):
                yield f"{path}[{index}]"
            else:
                yield from _nested_secure(item, f"{path}[{index}]")


def _without_secure(value: Any) -> Any:
    # The misplaced secret is reported once, above; validating it too would add a contradictory "must be a string".
    if isinstance(value, dict):
        return {key: _without_secure(item) for key, item in value.items() if not _is_secure(item)}
    if isinstance(value, list):
        return [_without_secure(item) for item in value if not _is_secure(item)]
    return value
