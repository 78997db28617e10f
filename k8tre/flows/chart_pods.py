"""Pods of the charts the program installs, for renders whose charts were not expanded.

The chart expansion (``k8tre.offline.expand``) gives the real pods; this table stands in
only for a release that has no expansion in the graph. Each entry is read from the
chart's own templates, vendored in ``../shared/charts``:

- jupyterhub 4.x: ``templates/hub/deployment.yaml`` and ``templates/proxy/deployment.yaml``
  (``jupyterhub.matchLabelsLegacyAndModern`` plus the ``hub.jupyter.org/network-access-*``
  labels; ports ``http`` 8081 on the hub, ``http`` 8000 and ``api`` 8001 on the proxy);
- argo-cd 10.x: ``argo-cd.selectorLabels`` in ``templates/_common.tpl``
  (``app.kubernetes.io/name: argocd-<component>``) and each component's container ports;
- cert-manager v1.21: ``templates/deployment.yaml``, ``webhook-deployment.yaml``,
  ``cainjector-deployment.yaml`` (``app.kubernetes.io/name`` per component; the webhook
  serves on ``https`` 10250);
- kube-prometheus-stack 88.x, victoria-logs-single 0.13, fluent-bit 0.58, opencost 2.5: each chart's
  selector labels (``app.kubernetes.io/name`` and ``instance``; the operator's ``app`` label) and
  ports; Prometheus and Alertmanager as the Prometheus Operator labels their pods
  (``k8tre.agnostics.observability_network``). node-exporter runs on the host network, outside
  any pod policy, so it has no pod here.
- external-secrets 2.x: ``external-secrets*.selectorLabels`` in ``templates/_helpers.tpl``
  (``app.kubernetes.io/name`` ``external-secrets``, ``-webhook``, ``-cert-controller``; the webhook
  serves on ``webhook`` 10250, ``webhook.port``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from .model import Pod

_ModelPod = tuple[str, dict[str, str], dict[str, int]]

_ARGO_COMPONENTS: Final[dict[str, dict[str, int]]] = {
    "server": {"server": 8080},
    "repo-server": {"repo-server": 8081},
    "application-controller": {"metrics": 8082},
    "redis": {"redis": 6379},
    "applicationset-controller": {"webhook": 7000},
    "notifications-controller": {"metrics": 9001},
}


def _jupyterhub(release: str) -> list[_ModelPod]:
    def labels(component: str) -> dict[str, str]:
        return {
            "component": component,
            "app": "jupyterhub",
            "release": release,
            "app.kubernetes.io/component": component,
            "app.kubernetes.io/name": "jupyterhub",
            "app.kubernetes.io/instance": release,
        }

    access = {"hub.jupyter.org/network-access-singleuser": "true"}
    hub = {**labels("hub"), **access, **{f"hub.jupyter.org/network-access-proxy-{p}": "true" for p in ("api", "http")}}
    proxy = {**labels("proxy"), **access, "hub.jupyter.org/network-access-hub": "true"}
    return [("hub", hub, {"http": 8081}), ("proxy", proxy, {"http": 8000, "api": 8001})]


def _argocd(release: str) -> list[_ModelPod]:
    return [
        (
            f"{release}-{component}",
            {
                "app.kubernetes.io/name": f"argocd-{component}",
                "app.kubernetes.io/instance": release,
                "app.kubernetes.io/component": component,
                "app.kubernetes.io/part-of": "argocd",
            },
            ports,
        )
        for component, ports in _ARGO_COMPONENTS.items()
    ]


def _cert_manager(release: str) -> list[_ModelPod]:
    parts = {
        "cert-manager": ("controller", {"http-metrics": 9402}),
        "webhook": ("webhook", {"https": 10250}),
        "cainjector": ("cainjector", {}),
    }
    return [
        (
            name if name == "cert-manager" else f"cert-manager-{name}",
            {
                "app": name,
                "app.kubernetes.io/name": name,
                "app.kubernetes.io/instance": release,
                "app.kubernetes.io/component": component,
            },
            ports,
        )
        for name, (component, ports) in parts.items()
    ]


def _kube_prometheus_stack(release: str) -> list[_ModelPod]:
    def chart(name: str) -> dict[str, str]:
        return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": release}

    return [
        (f"{release}-grafana", chart("grafana"), {"grafana": 3000}),
        (f"{release}-kube-state-metrics", chart("kube-state-metrics"), {"http": 8080}),
        (f"{release}-operator", {"app": f"{release}-operator", "release": release}, {"https": 10250}),
        (f"prometheus-{release}-prometheus-0", {"app.kubernetes.io/name": "prometheus"}, {"http-web": 9090}),
        (f"alertmanager-{release}-alertmanager-0", {"app.kubernetes.io/name": "alertmanager"}, {"http-web": 9093}),
    ]


def _single(chart: str, suffix: str, ports: dict[str, int]) -> Callable[[str], list[_ModelPod]]:
    def model(release: str) -> list[_ModelPod]:
        return [(f"{release}{suffix}", {"app.kubernetes.io/name": chart, "app.kubernetes.io/instance": release}, ports)]

    return model


def _velero(release: str) -> list[_ModelPod]:
    # velero 12.x: templates/deployment.yaml and node-agent-daemonset.yaml (``app.kubernetes.io/name: velero``,
    # metrics port ``http-monitoring`` 8085).
    common = {"app.kubernetes.io/name": "velero", "app.kubernetes.io/instance": release}
    return [
        ("velero", {**common, "name": "velero"}, {"http-monitoring": 8085}),
        ("node-agent", {**common, "name": "node-agent"}, {}),
    ]


def _seaweedfs(release: str) -> list[_ModelPod]:
    # seaweedfs 4.x: each component's template (``app.kubernetes.io/component``); the S3 gateway serves on 8333.
    common = {"app.kubernetes.io/name": "seaweedfs", "app.kubernetes.io/instance": release}
    parts = {"master": {"http": 9333}, "volume": {"http": 8080}, "filer": {"http": 8888}, "s3": {"http": 8333}}
    return [(f"{release}-{part}", {**common, "app.kubernetes.io/component": part}, ports) for part, ports in parts.items()]


def _external_secrets(release: str) -> list[_ModelPod]:
    parts = {"": {"metrics": 8080}, "-webhook": {"webhook": 10250}, "-cert-controller": {"metrics": 8080}}
    return [
        (
            f"{release}{suffix}",
            {"app.kubernetes.io/name": f"external-secrets{suffix}", "app.kubernetes.io/instance": release},
            ports,
        )
        for suffix, ports in parts.items()
    ]


def _keycloakx(release: str) -> list[_ModelPod]:
    # keycloakx 7.x: ``keycloak.selectorLabels`` in ``templates/_helpers.tpl``; http 8080, management 9000.
    labels = {"app.kubernetes.io/name": "keycloakx", "app.kubernetes.io/instance": release}
    return [(f"{release}-keycloakx", labels, {"http": 8080, "http-internal": 9000})]


_CHARTS: Final = {
    "jupyterhub": _jupyterhub,
    "argo-cd": _argocd,
    "cert-manager": _cert_manager,
    "kube-prometheus-stack": _kube_prometheus_stack,
    "victoria-logs-single": _single("victoria-logs-single", "-victoria-logs-single-server", {"http": 9428}),
    "fluent-bit": _single("fluent-bit", "", {"http": 2020}),
    "opencost": _single("opencost", "", {"http": 9003}),
    "velero": _velero,
    "seaweedfs": _seaweedfs,
    "external-secrets": _external_secrets,
    "keycloakx": _keycloakx,
}


def modelled_pods(chart: str, release: str, namespace: str, namespaces: Mapping[str, Mapping[str, str]]) -> list[Pod]:
    """The pods a known chart runs (empty for a chart this table does not know)."""
    model = _CHARTS.get(chart)
    if model is None:
        return []
    return [
        Pod(name, namespace, labels, dict(namespaces.get(namespace, {})), ports=ports, origin=f"modelled from chart {chart}")
        for name, labels, ports in model(release)
    ]
