"""Alertmanager's receivers and routes from ``k8tre:agnostics.alerting``, and the one way out they get.

Alertmanager's configuration file names each credential by path (``url_file``, ``api_url_file``,
``webhook_url_file``, ``auth_password_file``: prometheus/alertmanager ``docs/configuration.md``),
so the configuration in the chart values and in the render carries no secret. The files come from
the Secret ``alertmanager-receivers``, filled from the stack secrets through the cloud's secret store
(``provided_secret``) and mounted by the Prometheus Operator at ``/etc/alertmanager/secrets/<name>/``
(kube-prometheus-stack ``alertmanager.alertmanagerSpec.secrets``).

Routes by severity: ``critical`` to the critical receiver when there is one, everything else to the
default receiver. Only the two always-firing housekeeping alerts (``Watchdog``, ``InfoInhibitor``) and
``severity: info`` go to the silent ``null`` receiver; the root route is never silent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from ..config.alerting import AlertingSettings, AlertReceiver
from ..flows.expect import EXFILTRATION_NAME, Expect, FlowContext, PodsOf, allow, deny
from ..flows.model import Fqdn
from .network_policy import NAMESPACE_LABEL, dns_egress_rule
from .observability_network import ALERTMANAGER, MONITORING

RECEIVER_SECRET: Final = "alertmanager-receivers"  # noqa: S105 - the Secret's name, not its content
"""The Secret holding each receiver's credential under its role (``default``, ``critical``)."""
SECRET_DIR: Final = f"/etc/alertmanager/secrets/{RECEIVER_SECRET}"
"""Where the operator mounts it in the Alertmanager pods (prometheus-operator: ``/etc/alertmanager/secrets/<name>``)."""
RECEIVERS_ANNOTATION: Final = "k8tre.io/alert-receivers"
"""On Alertmanager's pods: the ``host:port`` endpoints its receivers send to, which the flows check its policy against."""
SILENT: Final = "null"


def _receiver(role: str, receiver: AlertReceiver) -> dict[str, Any]:
    credential = f"{SECRET_DIR}/{role}"
    match receiver.kind:
        case "webhook":
            return {"name": role, "webhook_configs": [{"url_file": credential, "send_resolved": True}]}
        case "slack":
            return {"name": role, "slack_configs": [{"api_url_file": credential, "send_resolved": True}]}
        case "msteams":
            # Teams Workflows webhooks take the v2 message format (Office 365 connectors are retired).
            return {"name": role, "msteamsv2_configs": [{"webhook_url_file": credential, "send_resolved": True}]}
        case "email":
            return {
                "name": role,
                "email_configs": [
                    {
                        "to": receiver.email_to,
                        "from": receiver.email_from,
                        "smarthost": f"{receiver.host}:{receiver.port}",
                        "auth_username": receiver.smtp_username,
                        "auth_password_file": credential,
                        "require_tls": True,
                        "send_resolved": True,
                    }
                ],
            }


def receivers(settings: AlertingSettings) -> dict[str, AlertReceiver]:
    """The configured receivers by role, default first."""
    return {role: r for role, r in (("default", settings.default), ("critical", settings.critical)) if r is not None}


def alertmanager_config(settings: AlertingSettings) -> dict[str, Any] | None:
    """The chart's ``alertmanager.config`` overrides (Helm merges them into the chart's; lists replace), or None."""
    configured = receivers(settings)
    if not configured:
        return None  # dev without a receiver: the chart's configuration, alerts visible in Alertmanager only
    routes: list[dict[str, Any]] = [
        {"receiver": SILENT, "matchers": ['alertname = "Watchdog"']},  # always firing: proves the pipeline, not news
        {"receiver": SILENT, "matchers": ['alertname = "InfoInhibitor"']},
        {"receiver": SILENT, "matchers": ['severity = "info"']},
    ]
    if "critical" in configured:
        routes.append({"receiver": "critical", "matchers": ['severity = "critical"']})
    return {
        "route": {
            "receiver": "default",
            "group_by": ["namespace", "alertname"],
            "group_wait": settings.group_wait,
            "repeat_interval": settings.repeat_interval,
            "routes": routes,
        },
        "receivers": [{"name": SILENT}, *(_receiver(role, r) for role, r in configured.items())],
    }


def endpoints(settings: AlertingSettings) -> list[str]:
    """``host:port`` of each receiver, in role order."""
    return [f"{r.host}:{r.port}" for r in receivers(settings).values()]


def receiver_targets(values: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    """(host, port) Alertmanager sends to, read from a rendered kube-prometheus-stack release's values."""
    spec = (values.get("alertmanager") or {}).get("alertmanagerSpec") or {}
    declared = str(((spec.get("podMetadata") or {}).get("annotations") or {}).get(RECEIVERS_ANNOTATION, ""))
    targets = []
    for endpoint in filter(None, declared.split(",")):
        host, _, port = endpoint.rpartition(":")
        targets.append((host, int(port)))
    return tuple(targets)


def alertmanager_policy(targets: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """Alertmanager's egress to its receivers' hosts, each on its own port, and nowhere else outside the cluster."""
    egress: list[dict[str, Any]] = [dns_egress_rule([host for host, _ in targets])]
    egress += [
        {"toFQDNs": [{"matchName": host}], "toPorts": [{"ports": [{"port": str(port), "protocol": "TCP"}]}]}
        for host, port in targets
    ]
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": "alertmanager-receivers", "namespace": MONITORING, "labels": {"k8tre.io/policy": "service"}},
        "spec": {
            "description": "Alertmanager notifies its configured receivers",
            "endpointSelector": {"matchLabels": {NAMESPACE_LABEL: MONITORING, **ALERTMANAGER}},
            "egress": egress,
        },
    }


def alerting_flows(context: FlowContext) -> list[Expect]:
    """Alertmanager reaches each receiver; no other internet name, and no project reaches Alertmanager."""
    alertmanager = PodsOf(MONITORING, ALERTMANAGER, "alertmanager")
    flows = [allow(alertmanager, Fqdn(host), port, "notify a configured receiver") for host, port in context.alert_receivers]
    flows.append(deny(alertmanager, Fqdn(EXFILTRATION_NAME), 443, "alerts carry platform details: receivers only"))
    for project in context.projects:
        workload = PodsOf(project.namespace, {}, f"{project.namespace} workloads")
        flows.append(deny(workload, alertmanager, 9093, "a project can neither read nor silence the platform's alerts"))
    return flows
