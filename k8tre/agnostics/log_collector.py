"""fluent-bit's values: what every node ships to the log store, and how it runs.

Keys are the fluent-bit chart's (0.58.1 ``values.yaml``); the pipeline is fluent-bit's
classic configuration format (fluent-bit docs, "Configuration file"). The output follows
VictoriaLogs' own guide for fluent-bit: HTTP JSON lines to ``/insert/jsonline`` with the
message, time and stream fields named in the query string
(https://docs.victoriametrics.com/victorialogs/data-ingestion/fluentbit/).
"""

from __future__ import annotations

from typing import Any, Final

from ..infrastructure.cilium import HUBBLE_EXPORT_FILE
from .monitoring_values import resources
from .observability_network import LOG_STORE_PORT, STORE_HOST

HUBBLE_LOG: Final = HUBBLE_EXPORT_FILE
"""Cilium's file of denied flows on each node (``infrastructure/cilium.py``)."""
HUBBLE_DIR: Final = HUBBLE_LOG.rsplit("/", 1)[0]
STATE_DIR: Final = "/var/lib/k8tre-fluent-bit"
"""Host directory for read positions and the buffer: a restarted collector resumes where it stopped and
loses nothing buffered while the store was unreachable."""
FREE_FORM_VALUES: Final = ("podSecurityContext", "securityContext")
"""fluent-bit's security contexts, passed through with toYaml (``templates/_pod.tpl``): Kubernetes fields,
checked strictly where they land."""
_STREAMS = "source,kubernetes_namespace_name,kubernetes_pod_name,kubernetes_container_name"


def _tail(tag: str, path: str, parser: str, db: str) -> str:
    return (
        "[INPUT]\n"
        "    Name tail\n"
        f"    Tag {tag}\n"
        f"    Path {path}\n"
        f"    {parser}\n"
        f"    DB {STATE_DIR}/{db}.db\n"
        "    storage.type filesystem\n"
        "    Mem_Buf_Limit 16MB\n"
        "    Skip_Long_Lines On\n"
    )


def _inputs(audit_log: str) -> str:
    """Container logs, Cilium's denied flows and, where the cluster keeps it on its nodes, the API audit log."""
    text = _tail("kube.*", "/var/log/containers/*.log", "multiline.parser cri, docker", "containers")
    text += _tail("hubble", HUBBLE_LOG, "Parser json", "hubble")
    if audit_log:
        text += _tail("audit", audit_log, "Parser json", "audit")
    return text


def _filters() -> str:
    """Pod metadata on container logs, and a ``source`` on every record so each stream is easy to find."""
    return (
        "[FILTER]\n    Name kubernetes\n    Match kube.*\n    Merge_Log On\n    Keep_Log Off\n"
        "    Labels On\n    Annotations Off\n"
        "[FILTER]\n    Name nest\n    Match kube.*\n    Operation lift\n    Nested_under kubernetes\n    Add_prefix kubernetes_\n"
        "[FILTER]\n    Name modify\n    Match kube.*\n    Add source container\n"
        "[FILTER]\n    Name modify\n    Match hubble\n    Add source hubble-denied-flow\n"
        "[FILTER]\n    Name modify\n    Match audit\n    Add source kube-apiserver-audit\n"
    )


def _outputs() -> str:
    """Everything to the store; retried without limit, buffered on the host meanwhile."""
    return (
        "[OUTPUT]\n"
        "    Name http\n"
        "    Match *\n"
        f"    Host {STORE_HOST}\n"
        f"    Port {LOG_STORE_PORT}\n"
        "    Compress gzip\n"
        f"    URI /insert/jsonline?_stream_fields={_STREAMS}&_msg_field=log,message&_time_field=date\n"
        "    Format json_lines\n"
        "    Json_date_key date\n"
        "    Json_date_format iso8601\n"
        "    Retry_Limit False\n"
        "    storage.total_limit_size 2G\n"
    )


def _service() -> str:
    return (
        "[SERVICE]\n"
        "    Daemon Off\n"
        "    Flush 1\n"
        "    Log_Level info\n"
        "    Parsers_File /fluent-bit/etc/parsers.conf\n"
        "    HTTP_Server On\n"
        "    HTTP_Listen 0.0.0.0\n"
        "    HTTP_Port 2020\n"
        "    Health_Check On\n"
        f"    storage.path {STATE_DIR}/buffer\n"
        "    storage.sync normal\n"
        "    storage.backlog.mem_limit 16MB\n"
    )


def _host_paths(audit_log: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The host paths the collector reads (read-only) and the one it writes (its own state)."""
    paths = {"varlog": ("/var/log", True), "hubble": (HUBBLE_DIR, True), "state": (STATE_DIR, False)}
    if audit_log:
        paths["audit"] = (audit_log.rsplit("/", 1)[0], True)
    volumes = [
        # The hubble and audit directories may not exist yet (or ever, on a K3s agent): created empty then.
        {"name": name, "hostPath": {"path": path, "type": "Directory" if name == "varlog" else "DirectoryOrCreate"}}
        for name, (path, read_only) in paths.items()
    ]
    mounts = [{"name": name, "mountPath": path, "readOnly": read_only} for name, (path, read_only) in paths.items()]
    return volumes, mounts


def collector_values(audit_log: str) -> dict[str, Any]:
    """fluent-bit as a DaemonSet on every node (tolerating every taint: a node without it keeps no record)."""
    volumes, mounts = _host_paths(audit_log)
    return {
        "image": {"pullPolicy": "Always"},
        "testFramework": {"enabled": False},
        "resources": resources("50m", "64Mi", "500m", "256Mi"),
        "tolerations": [{"operator": "Exists"}],
        # Root reads the kubelet's root-owned log files as their owner; no capability is needed for that.
        "podSecurityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": {
            "runAsUser": 0,
            "runAsNonRoot": False,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "daemonSetVolumes": volumes,
        "daemonSetVolumeMounts": mounts,
        "config": {
            "service": _service(),
            "inputs": _inputs(audit_log),
            "filters": _filters(),
            "outputs": _outputs(),
        },
    }
