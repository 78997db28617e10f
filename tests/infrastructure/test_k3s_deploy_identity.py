"""Pulumi deploys to K3s as its own short-lived, revocable service account, never with the admin kubeconfig.

Judged on the prod HA example (three servers, two agents, a VIP): the provider's kubeconfig carries a
service-account token and no client certificate, no command reads K3s's admin kubeconfig, the identity is
bound to its own role (not ``cluster-admin``, no ``*`` or ``impersonate``), and the rule ``no-shared-admin``
fails when any of that is undone. The token script runs in a sandbox with ``k3s kubectl`` stubbed.
"""

from __future__ import annotations

import base64
import copy
import re
import shlex
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import graph_of
from k8tre.infrastructure.k3s import deploy_identity, k3s
from k8tre.offline.graph import Graph, RecordedResource, Secret
from k8tre.policies.registry import RULES, evaluate_all

STACK = "k3s-prod"


def _no_shared_admin(graph: Graph) -> list[str]:
    (finding,) = [f for f in evaluate_all(graph) if f.rule.id == "no-shared-admin"]
    return [v.message for v in finding.evaluation.violations]


def _server_installs(graph: Graph) -> list[RecordedResource]:
    return [
        c
        for c in graph.of_type("command:remote:Command")
        if c.inputs.get("create") == "sudo sh -s" and "K3S_ROLE=server\n" in c.inputs["stdin"]
    ]


def _with_deployer(graph: Graph, documents: list[dict[str, object]]) -> None:
    """Every server's install script hands K3s these manifests instead of the program's."""
    encoded = base64.b64encode(yaml.safe_dump_all(documents).encode()).decode()
    for install in _server_installs(graph):
        install.inputs["stdin"] = re.sub(r"K3S_DEPLOYER_B64=\S+", f"K3S_DEPLOYER_B64={encoded}", install.inputs["stdin"])


def test_the_prod_example_passes_no_shared_admin() -> None:
    graph = graph_of(STACK)
    assert len(_server_installs(graph)) == 3
    assert _no_shared_admin(graph) == []
    assert "no-shared-admin" in {r.id for r in RULES}


def test_the_provider_deploys_with_a_service_account_token() -> None:
    (provider,) = graph_of(STACK).of_type("pulumi:providers:kubernetes")
    kubeconfig = provider.inputs["kubeconfig"]
    assert isinstance(kubeconfig, Secret), "the kubeconfig is a Pulumi secret"
    (user,) = yaml.safe_load(kubeconfig.value)["users"]
    assert user["name"] == deploy_identity.SERVICE_ACCOUNT
    assert set(user["user"]) == {"token"}, "a token, never the admin's client certificate"
    assert user["user"]["token"].startswith("eyJ")


def test_no_command_reads_the_admin_kubeconfig() -> None:
    for command in graph_of(STACK).of_type("command:remote:Command"):
        create = command.inputs["create"]
        text = create.value if isinstance(create, Secret) else create
        assert "/etc/rancher/k3s/k3s.yaml" not in text, command.name


def test_the_token_command_logs_nothing_and_is_reissued_by_window() -> None:
    (token,) = [c for c in graph_of(STACK).of_type("command:remote:Command") if c.name.endswith("-deploy-token")]
    assert token.inputs["logging"] == "none"
    assert "stdout" in token.options.additional_secret_outputs
    assert len(token.inputs["triggers"]) == 1
    half = deploy_identity.TOKEN_HOURS * 3600 // 2
    assert deploy_identity.token_window(0) == deploy_identity.token_window(half - 1)
    assert deploy_identity.token_window(half) == deploy_identity.token_window(0) + 1


def test_the_identity_is_bound_to_its_own_bounded_role() -> None:
    documents = deploy_identity.manifests()
    (binding,) = [d for d in documents if d["kind"] == "ClusterRoleBinding"]
    assert binding["roleRef"]["name"] == deploy_identity.ROLE != "cluster-admin"
    (role,) = [d for d in documents if d["kind"] == "ClusterRole"]
    verbs = {verb for rule in role["rules"] for verb in rule["verbs"]}
    assert not verbs & {"*", "impersonate", "approve", "sign"}
    (account,) = [d for d in documents if d["kind"] == "ServiceAccount"]
    assert account["automountServiceAccountToken"] is False


def _bound_to_cluster_admin(graph: Graph) -> None:
    documents = copy.deepcopy(deploy_identity.manifests())
    for document in documents:
        if document["kind"] == "ClusterRoleBinding":
            document["roleRef"]["name"] = "cluster-admin"
    _with_deployer(graph, documents)


def _wildcard_verbs(graph: Graph) -> None:
    documents = copy.deepcopy(deploy_identity.manifests())
    for document in documents:
        if document["kind"] == "ClusterRole":
            document["rules"] = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
    _with_deployer(graph, documents)


def _admin_kubeconfig_behind_the_provider(graph: Graph) -> None:
    (token,) = [c for c in graph.of_type("command:remote:Command") if c.name.endswith("-deploy-token")]
    token.inputs["create"] = "sudo cat /etc/rancher/k3s/k3s.yaml"
    (provider,) = graph.of_type("pulumi:providers:kubernetes")
    assert token.urn in provider.dependencies


@pytest.mark.parametrize(
    "mutate",
    [_bound_to_cluster_admin, _wildcard_verbs, lambda g: _with_deployer(g, []), _admin_kubeconfig_behind_the_provider],
    ids=["cluster-admin", "wildcard-verbs", "no-identity", "admin-kubeconfig"],
)
def test_no_shared_admin_fails_when_the_identity_is_undone(mutate: object) -> None:
    graph = copy.deepcopy(graph_of(STACK))
    mutate(graph)  # type: ignore[operator]
    assert _no_shared_admin(graph), "the rule must report it"


STUB = (
    "#!/bin/sh\n"
    'echo "$*" >>"$SANDBOX/log"\n'
    'case "$*" in\n'
    '*"get serviceaccount"*) n=$(cat "$SANDBOX/polls" 2>/dev/null || echo 0); echo $((n + 1)) >"$SANDBOX/polls"; '
    '[ "$n" -ge 1 ] ;;\n'
    '*"create token"*) echo eyJhbGciOiJSUzI1NiJ9.payload.signature ;;\n'
    "esac\n"
)


def test_the_token_script_waits_for_the_account_then_prints_token_and_ca(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in {"k3s": STUB, "sleep": "#!/bin/sh\n"}.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755 | stat.S_IEXEC)
    ca = tmp_path / "root/var/lib/rancher/k3s/server/tls/server-ca.crt"
    ca.parent.mkdir(parents=True)
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    settings = {"DEPLOY_NAMESPACE": "k8tre-deploy", "DEPLOY_ACCOUNT": "pulumi-deployer", "DEPLOY_HOURS": "24"}
    script = "".join(f"{k}={shlex.quote(v)}\n" for k, v in settings.items()) + k3s.DEPLOY_TOKEN_SCRIPT
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "SANDBOX": str(tmp_path), "K3S_ROOT": str(tmp_path / "root")}
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    log = (tmp_path / "log").read_text().splitlines()
    assert log[-1] == "kubectl -n k8tre-deploy create token pulumi-deployer --duration=24h"
    assert len([line for line in log if "get serviceaccount" in line]) == 2, "it waited for the account"
    kubeconfig = yaml.safe_load(deploy_identity.deploy_kubeconfig(result.stdout, "https://192.0.2.5:6443"))
    assert kubeconfig["users"][0]["user"] == {"token": "eyJhbGciOiJSUzI1NiJ9.payload.signature"}
    assert base64.b64decode(kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"]) == ca.read_bytes()


@pytest.mark.parametrize(
    "printed",
    [
        "",
        "apiVersion: v1\nclusters:\n- cluster:\n    server: https://127.0.0.1:6443\n",  # the admin kubeconfig
        "eyJtoken\nLS0tCA\nclient-key-data: LS0t\n",
    ],
)
def test_anything_but_a_token_and_ca_is_refused(printed: str) -> None:
    with pytest.raises(ValueError, match="service-account token"):
        deploy_identity.deploy_kubeconfig(printed, "https://192.0.2.5:6443")
