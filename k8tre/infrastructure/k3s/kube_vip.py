"""kube-vip on the K3s servers: the API's virtual IP, announced by ARP, moving to another server on failure.

K3s starts its first server without a load balancer in front, so kube-vip does not need to be a
static pod: like kube-vip's K3s guide (https://kube-vip.io/docs/usage/k3s/), each server writes a
DaemonSet and its RBAC into K3s's auto-deploy directory, and kube-vip runs on every server with
host networking. Its leader (a Lease in kube-system) holds the address and answers ARP for it;
when the leader's server fails, another wins the lease and announces the address with gratuitous
ARP (kube-vip docs, "ARP": https://kube-vip.io/docs/modes/arp/; settings from "Flags and
Environment Variables": https://kube-vip.io/docs/installation/flags/). The address is also in
every server's certificate (``tls-san``) and is Cilium's ``k8sServiceHost``.

The pods must start before Cilium makes the nodes Ready, so they tolerate every taint. No
service load balancing here: Cilium's L2 announcements serve LoadBalancer services.
"""

from __future__ import annotations

from typing import Any, Final

import yaml

IMAGE: Final = "ghcr.io/kube-vip/kube-vip:v1.1.2"
"""kube-vip's release image (v1.1.2, https://github.com/kube-vip/kube-vip/releases/tag/v1.1.2)."""
MANIFEST: Final = "/var/lib/rancher/k3s/server/manifests/k8tre-kube-vip.yaml"
"""Where each server writes it; K3s applies it and re-applies it when it changes."""
NAME: Final = "kube-vip"


def manifests(address: str, interface: str, port: int) -> list[dict[str, Any]]:
    """The service account, its permissions (the leader lease; nodes, read), and the DaemonSet on the servers."""
    labels = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/managed-by": "k8tre"}
    env = {
        "address": address,
        "port": str(port),
        "vip_interface": interface,
        "vip_cidr": "32",
        "vip_arp": "true",
        "cp_enable": "true",
        "cp_namespace": "kube-system",
        "vip_leaderelection": "true",
        "vip_leasename": "plndr-cp-lock",
        "vip_leaseduration": "5",
        "vip_renewdeadline": "3",
        "vip_retryperiod": "1",
        "svc_enable": "false",
    }
    container = {
        "name": NAME,
        "image": IMAGE,
        "imagePullPolicy": "IfNotPresent",  # the API may be unreachable while it starts: use the cached image
        "args": ["manager"],
        "env": [{"name": key, "value": value} for key, value in env.items()],
        # Adding an address and sending ARP need these two capabilities and nothing else.
        "securityContext": {
            "capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN", "NET_RAW"]},
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
        },
        "resources": {"requests": {"cpu": "20m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
    }
    meta = {"name": NAME, "namespace": "kube-system", "labels": labels}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": meta,
            "rules": [
                {
                    "apiGroups": ["coordination.k8s.io"],
                    "resources": ["leases"],
                    "verbs": ["get", "list", "watch", "create", "update"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": NAME},
            "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": "kube-system"}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": NAME, "labels": labels},
            "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch"]}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": NAME, "labels": labels},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
            "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": "kube-system"}],
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": meta,
            "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": NAME,
                        "hostNetwork": True,
                        "nodeSelector": {"node-role.kubernetes.io/control-plane": "true"},
                        "tolerations": [{"operator": "Exists"}],
                        "priorityClassName": "system-node-critical",
                        "containers": [container],
                    },
                },
            },
        },
    ]


def render_manifests(address: str, interface: str, port: int) -> str:
    """The file's text, stable so an unchanged setting is byte-identical."""
    return yaml.safe_dump_all(manifests(address, interface, port), sort_keys=True, default_flow_style=False)


def announced_address(text: str) -> str | None:
    """The address a rendered kube-vip manifest announces (what the preflight rule compares with tls-san)."""
    for document in yaml.safe_load_all(text):
        if isinstance(document, dict) and document.get("kind") == "DaemonSet":
            for container in document["spec"]["template"]["spec"]["containers"]:
                for variable in container.get("env") or []:
                    if variable.get("name") == "address":
                        return str(variable.get("value"))
    return None
