"""Building kubeconfig documents for clusters whose cloud does not hand one out."""

from __future__ import annotations

from typing import Any

import yaml


def exec_kubeconfig(*, name: str, endpoint: str, ca_data: str, command: str, args: list[str]) -> str:
    """A kubeconfig whose user fetches a short-lived token by running ``command``.

    Used for EKS: no long-lived credential is stored in the state, only the CA.
    """
    user: dict[str, Any] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": command,
            "args": args,
            "interactiveMode": "Never",
        }
    }
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }
    return yaml.safe_dump(document, sort_keys=False)


def point_at(kubeconfig: str, server: str) -> str:
    """Rewrite every cluster's server URL: K3s writes ``https://127.0.0.1:6443`` for local use."""
    document = yaml.safe_load(kubeconfig)
    for entry in document.get("clusters", []):
        entry["cluster"]["server"] = server
    return yaml.safe_dump(document, sort_keys=False)
