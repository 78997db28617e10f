"""Typed helpers for Pulumi Outputs."""

from __future__ import annotations

import pulumi


def secret_text(value: pulumi.Input[str]) -> pulumi.Output[str]:
    """Mark text (a kubeconfig, a script carrying a token) as a Pulumi secret.

    ``pulumi.Output.secret`` is generic in a way mypy cannot infer from an
    ``Output[str]``; this wrapper states the type once.
    """
    result: pulumi.Output[str] = pulumi.Output.secret(value)
    return result
