"""The identity Pulumi deploys with on K3s: a dedicated service account, never K3s's built-in admin.

K3s's admin kubeconfig (``/etc/rancher/k3s/k3s.yaml``) holds a client certificate of the shared
``system:admin`` user in ``system:masters``: it cannot be revoked short of rotating the cluster CA,
and it lives a year (K3s docs, "Cluster Access"; "Certificate Management"). Instead every server
writes these manifests into K3s's auto-deploy directory (K3s docs, "Managing Packaged Components":
https://docs.k3s.io/installation/packaged-components#auto-deploying-manifests-addons), and Pulumi
asks the first server for a short-lived token of the service account (TokenRequest through
``k3s kubectl create token``; Kubernetes docs, "kubectl create token"). The admin credential
never leaves the server.

Revoking: delete the service account (``k3s kubectl -n k8tre-deploy delete serviceaccount
pulumi-deployer``). Every token issued for it stops working at once, since a bound token names the
account's UID; K3s recreates the account from the manifest, and the next ``pulumi up`` issues a
token for the new one.

What it may do: what a deployment of the platform does, which is nearly everything: create and change
objects of any kind (``*`` resources also match subresources such as ``pods/exec``: kubernetes
pkg/apis/rbac/v1/evaluation_helpers.go, ``ResourceMatches``), and RBAC roles for the charts, which
needs ``escalate`` and ``bind`` because charts such as Argo CD grant more than the deployer itself
holds (Kubernetes docs, "Using RBAC Authorization", privilege escalation prevention). It is not
bound to ``cluster-admin`` and holds no ``impersonate``, ``approve`` or ``sign`` verb. This is not
least privilege: what it gains over the admin certificate is that it is Pulumi's alone (the audit
log names it), short-lived, and revocable in one command. A role it writes to widen itself is an
RBAC write, which the audit policy records in full (``RequestResponse``) under its name.
"""

from __future__ import annotations

from typing import Any, Final

import yaml

NAMESPACE: Final = "k8tre-deploy"
"""Holds the deploy identity alone: nothing else runs there."""
SERVICE_ACCOUNT: Final = "pulumi-deployer"
"""The service account Pulumi deploys as."""
ROLE: Final = "k8tre-deployer"
"""Its ClusterRole and ClusterRoleBinding."""
MANIFEST: Final = "/var/lib/rancher/k3s/server/manifests/k8tre-deployer.yaml"
"""Where each server writes the manifests; K3s applies files in this directory and re-applies them on change."""
TOKEN_HOURS: Final = 24
"""Lifetime of one deploy token; a new one is requested at least every half of it (see ``token_window``)."""

WRITE_VERBS: Final = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
"""The verbs a deployment uses on objects; not ``*``, which would include ``impersonate``, ``approve`` and ``sign``."""


def manifests() -> list[dict[str, Any]]:
    """The namespace, service account, ClusterRole and its binding, in the order K3s applies them."""
    labels = {"app.kubernetes.io/managed-by": "k8tre", "app.kubernetes.io/name": ROLE}
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            # Nothing runs here; restricted, like every namespace the program makes.
            "metadata": {"name": NAMESPACE, "labels": {**labels, "pod-security.kubernetes.io/enforce": "restricted"}},
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": SERVICE_ACCOUNT, "namespace": NAMESPACE, "labels": labels},
            # Tokens come only from TokenRequest; no pod mounts one.
            "automountServiceAccountToken": False,
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": ROLE, "labels": labels},
            "rules": [
                # Every kind: the charts' CRDs are many and change with each chart version.
                {"apiGroups": ["*"], "resources": ["*"], "verbs": list(WRITE_VERBS)},
                {
                    "apiGroups": ["rbac.authorization.k8s.io"],
                    "resources": ["clusterroles", "roles"],
                    "verbs": ["escalate", "bind"],
                },
                {"nonResourceURLs": ["/version", "/api", "/api/*", "/apis", "/apis/*", "/openapi/*"], "verbs": ["get"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": ROLE, "labels": labels},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": ROLE},
            "subjects": [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE}],
        },
    ]


def render_manifests() -> str:
    """The manifest file's text, stable so that an unchanged identity is byte-identical on every run."""
    return yaml.safe_dump_all(manifests(), sort_keys=True, default_flow_style=False)


def token_window(now_seconds: float) -> int:
    """The half-lifetime window ``now`` falls in: the token command's trigger.

    A new window replaces the command, which requests a new token; so the token Pulumi holds at the
    start of any run has at least half of ``TOKEN_HOURS`` left.
    """
    return int(now_seconds // (TOKEN_HOURS * 3600 // 2))


def deploy_kubeconfig(printed: str, server: str) -> str:
    """The kubeconfig Pulumi uses, from what the token command printed: the token, then the CA in base64.

    Refuses anything else, so a changed command cannot slip another credential (such as the admin kubeconfig)
    through as the deploy identity.
    """
    lines = printed.strip().splitlines()
    if len(lines) != 2 or not lines[0].startswith("eyJ") or " " in lines[0] or not lines[1].startswith("LS0t"):
        raise ValueError("expected a service-account token and the cluster CA (base64 PEM) from the deploy-token command")
    token, ca_data = lines
    name = SERVICE_ACCOUNT
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "k3s", "cluster": {"server": server, "certificate-authority-data": ca_data}}],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": "k3s", "user": name}}],
        "current-context": name,
    }
    return yaml.safe_dump(document, sort_keys=False)
