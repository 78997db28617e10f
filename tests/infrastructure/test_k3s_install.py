"""The K3s install script run for real in a sandbox: commands stubbed, no network, a scratch root.

What it proves: a first run installs; a run with nothing changed touches nothing; a changed
setting reaches the machine (file rewritten, K3s restarted, not reinstalled); a new version
reinstalls, matched exactly (``+k3s1`` is not ``+k3s12``); tokens never reach the installer's
environment or a command line.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shlex
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from k8tre.infrastructure.k3s import deploy_identity, k3s
from k8tre.infrastructure.k3s.node_config import KERNEL_DEFAULTS, ClusterShape, admission_configuration, node_config, render

SHAPE = ClusterShape(api_host="192.0.2.10", pod_cidrs=("10.42.0.0/16",), service_cidr="10.43.0.0/16", audit_max_age_days=30)
SYSCTL = "".join(f"{key} = {value}\n" for key, value in KERNEL_DEFAULTS.items())
SERVER_TOKEN = "server-secret-abc"
AGENT_TOKEN = "agent-secret-xyz"

BINARY = "the k3s binary"
BINARY_SHA256 = hashlib.sha256(BINARY.encode()).hexdigest()

STUBS = {
    # `k3s --version` answers with whatever the fake installer last installed.
    "k3s": (
        '#!/bin/sh\nif [ "$1" = kubectl ]; then echo "$*" >>"$SANDBOX/log"; exit 0; fi\n'
        '[ -f "$SANDBOX/installed" ] || exit 1\necho "k3s version $(cat "$SANDBOX/installed") (abc123)"\n'
    ),
    "systemctl": '#!/bin/sh\necho "systemctl $*" >>"$SANDBOX/log"\n',
    "sysctl": '#!/bin/sh\ncp "$2" "$SANDBOX/sysctl-applied"\n',
    "uname": "#!/bin/sh\necho x86_64\n",
    # curl "downloads" by URL: the release's binary (tampered when $SANDBOX/tampered exists), its checksum list,
    # and an installer that records its arguments and environment, then "installs".
    "curl": (
        '#!/bin/sh\nwhile [ $# -gt 0 ]; do case "$1" in -o) out=$2; shift ;; http*) url=$1 ;; esac; shift; done\n'
        'echo "$url" >>"$SANDBOX/fetched"\n'
        'case "$url" in\n'
        "*/install.sh) cat >\"$out\" <<'EOF'\n"
        'echo "installer $* version=$INSTALL_K3S_VERSION" >>"$SANDBOX/log"\n'
        'env >"$SANDBOX/installer-env"\n'
        'printf %s "$INSTALL_K3S_VERSION" >"$SANDBOX/installed"\n'
        "EOF\n;;\n"
        f'*/sha256sum-amd64.txt) printf "%s  k3s\\n" {BINARY_SHA256} >"$out" ;;\n'
        '*) if [ -f "$SANDBOX/tampered" ]; then echo evil >"$out"; else printf %s "$BINARY" >"$out"; fi ;;\n'
        "esac\n"
    ),
}


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in STUBS.items():
        stub = bin_dir / name
        stub.write_text(text)
        stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "root").mkdir()
    (tmp_path / "log").write_text("")
    return tmp_path


def _run(
    sandbox: Path,
    *,
    version: str = "v1.34.2+k3s1",
    shape: ClusterShape = SHAPE,
    role: str = "server",
    ok: bool = True,
    extra: dict[str, str] | None = None,
) -> str:
    """Write the tokens as Pulumi does (standard input), then run the install script."""
    env = {
        "PATH": f"{sandbox / 'bin'}:/usr/bin:/bin",
        "SANDBOX": str(sandbox),
        "K3S_ROOT": str(sandbox / "root"),
        "BINARY": BINARY,
    }
    tokens = f"{SERVER_TOKEN}\n{AGENT_TOKEN}\n" if role == "server" else f"{AGENT_TOKEN}\n"
    written = subprocess.run(["sh", "-c", k3s.WRITE_TOKENS_SCRIPT], input=tokens, capture_output=True, text=True, env=env)
    assert written.returncode == 0, written.stderr
    assert written.stdout == "", "the token writer prints nothing"
    config = render(node_config(role, "node-1", shape, None if role == "server" else "https://192.0.2.10:6443"))
    settings = {
        "K3S_ROLE": role,
        "K3S_VERSION": version,
        "NODE_NAME": "node-1",
        "K3S_CONFIG_B64": base64.b64encode(config.encode()).decode(),
        "K3S_SYSCTL_B64": base64.b64encode(SYSCTL.encode()).decode(),
        "K3S_ROOT": str(sandbox / "root"),
        "K3S_INSTALL_MODE": "download",
        **(extra or {}),
    }
    if role == "server":
        settings["K3S_ADMISSION_B64"] = base64.b64encode(render(admission_configuration()).encode()).decode()
        settings["K3S_DEPLOYER_B64"] = base64.b64encode(deploy_identity.render_manifests().encode()).decode()
    script = "".join(f"{key}={shlex.quote(value)}\n" for key, value in settings.items()) + k3s.INSTALL_SCRIPT
    result = subprocess.run(["sh", "-s"], input=script, capture_output=True, text=True, env=env, check=False)
    assert (result.returncode == 0) == ok, result.stderr
    return result.stdout + result.stderr


def _log(sandbox: Path) -> list[str]:
    lines = (sandbox / "log").read_text().splitlines()
    (sandbox / "log").write_text("")
    return lines


def test_first_run_installs_with_the_rendered_configuration(sandbox: Path) -> None:
    _run(sandbox)
    assert _log(sandbox) == ["installer server version=v1.34.2+k3s1"]
    written = yaml.safe_load((sandbox / "root/etc/rancher/k3s/config.yaml").read_text())
    assert written == node_config("server", "node-1", SHAPE, None)
    assert (sandbox / "root/etc/rancher/k3s/token").read_text().strip() == SERVER_TOKEN
    assert oct((sandbox / "root/etc/rancher/k3s/token").stat().st_mode & 0o777) == "0o600"


def test_a_second_identical_run_changes_nothing(sandbox: Path) -> None:
    _run(sandbox)
    _log(sandbox)
    before = (sandbox / "root/etc/rancher/k3s/config.yaml").stat().st_mtime_ns
    assert "unchanged" in _run(sandbox)
    assert _log(sandbox) == []
    assert (sandbox / "root/etc/rancher/k3s/config.yaml").stat().st_mtime_ns == before


def test_a_changed_setting_reaches_the_machine_and_restarts_k3s(sandbox: Path) -> None:
    _run(sandbox)
    _log(sandbox)
    changed = ClusterShape(SHAPE.api_host, SHAPE.pod_cidrs, SHAPE.service_cidr, audit_max_age_days=90)
    _run(sandbox, shape=changed)
    assert _log(sandbox) == ["systemctl restart k3s"]
    assert "audit-log-maxage=90" in (sandbox / "root/etc/rancher/k3s/config.yaml").read_text()


def test_a_new_version_reinstalls_and_the_match_is_exact(sandbox: Path) -> None:
    _run(sandbox, version="v1.34.2+k3s12")
    _log(sandbox)
    # "v1.34.2+k3s1" is a substring of "v1.34.2+k3s12": a substring match would skip this install.
    _run(sandbox, version="v1.34.2+k3s1")
    assert "installer server version=v1.34.2+k3s1" in _log(sandbox)


def test_a_server_upgrade_drains_the_node_first_and_uncordons_it_after(sandbox: Path) -> None:
    _run(sandbox, version="v1.33.6+k3s1")
    _log(sandbox)
    _run(sandbox, version="v1.34.2+k3s1")
    log = _log(sandbox)
    assert log[0].startswith("kubectl drain node-1 ")
    assert log[1] == "installer server version=v1.34.2+k3s1"
    assert log[-1] == "kubectl uncordon node-1"


@pytest.mark.parametrize(("start", "target"), [("v1.32.9+k3s1", "v1.34.2+k3s1"), ("v1.34.2+k3s1", "v1.33.6+k3s1")])
def test_skipping_a_minor_version_or_going_back_is_refused(sandbox: Path, start: str, target: str) -> None:
    _run(sandbox, version=start)
    _log(sandbox)
    message = _run(sandbox, version=target, ok=False)
    assert "one minor version at a time" in message
    assert _log(sandbox) == [], "nothing was drained or installed"


def test_tokens_stay_out_of_the_installers_environment(sandbox: Path) -> None:
    _run(sandbox)
    environment = (sandbox / "installer-env").read_text()
    assert SERVER_TOKEN not in environment
    assert AGENT_TOKEN not in environment


def test_an_agent_holds_only_the_agent_token(sandbox: Path) -> None:
    _run(sandbox, role="agent")
    assert _log(sandbox) == ["installer agent version=v1.34.2+k3s1"]
    files = {p.name: p.read_text() for p in (sandbox / "root/etc/rancher/k3s").iterdir()}
    assert files["token"].strip() == AGENT_TOKEN
    assert not any(SERVER_TOKEN in text for text in files.values())
    assert not (sandbox / "root/var/lib/rancher/k3s/server").exists()


def test_the_server_configuration_turns_off_what_cilium_replaces() -> None:
    config = node_config("server", "s1", SHAPE, None)
    assert config["flannel-backend"] == "none"
    assert config["disable-network-policy"] is True
    assert config["disable-kube-proxy"] is True
    assert set(config["disable"]) >= {"traefik", "servicelb"}
    assert config["secrets-encryption"] is True
    assert config["cluster-init"] is True
    assert "token" not in config, "no secret in the rendered file"
    joining = node_config("server", "s2", SHAPE, "https://192.0.2.10:6443")
    assert "cluster-init" not in joining
    assert joining["server"] == "https://192.0.2.10:6443"


def test_the_install_script_refuses_to_run_without_a_token(sandbox: Path) -> None:
    settings = "K3S_ROLE=agent\nK3S_VERSION=v1.34.2+k3s1\nNODE_NAME=n\nK3S_CONFIG_B64=e30K\nK3S_SYSCTL_B64=e30K\n"
    settings += "K3S_INSTALL_MODE=download\n"
    env = {"PATH": f"{sandbox / 'bin'}:/usr/bin:/bin", "SANDBOX": str(sandbox), "K3S_ROOT": str(sandbox / "root")}
    result = subprocess.run(["sh", "-s"], input=settings + k3s.INSTALL_SCRIPT, capture_output=True, text=True, env=env)
    assert result.returncode != 0
    assert "write-tokens.sh must run first" in result.stderr
    assert _log(sandbox) == [], "nothing installed"


def test_the_script_is_posix_sh() -> None:
    assert os.path.basename(k3s.INSTALL_SCRIPT.splitlines()[0]) == "sh"


def test_the_kernel_settings_the_kubelet_protects_are_applied_before_k3s_starts(sandbox: Path) -> None:
    _run(sandbox, role="agent")
    assert (sandbox / "sysctl-applied").read_text() == SYSCTL
    config = yaml.safe_load((sandbox / "root/etc/rancher/k3s/config.yaml").read_text())
    assert config["protect-kernel-defaults"] is True, "agents too: every machine runs a kubelet"


def test_a_server_gets_its_admission_configuration(sandbox: Path) -> None:
    _run(sandbox)
    written = yaml.safe_load((sandbox / "root/var/lib/rancher/k3s/server/admission.yaml").read_text())
    assert written == admission_configuration()
    config = yaml.safe_load((sandbox / "root/etc/rancher/k3s/config.yaml").read_text())
    args = config["kube-apiserver-arg"]
    assert "admission-control-config-file=/var/lib/rancher/k3s/server/admission.yaml" in args
    assert "enable-admission-plugins=NodeRestriction,EventRateLimit" in args


def test_unlabelled_namespaces_default_to_restricted_pod_security() -> None:
    (pod_security,) = [p for p in admission_configuration()["plugins"] if p["name"] == "PodSecurity"]
    defaults = pod_security["configuration"]["defaults"]
    assert defaults["enforce"] == defaults["audit"] == defaults["warn"] == "restricted"
    assert pod_security["configuration"]["exemptions"]["namespaces"] == ["kube-system"]
