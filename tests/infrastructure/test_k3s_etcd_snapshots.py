"""etcd snapshots on a schedule, copied off the machines; the store's keys only as secret, unlogged input."""

from __future__ import annotations

import base64
import re
import stat
import subprocess
from pathlib import Path

import yaml

from conftest import ROOT, graph_of
from k8tre.infrastructure.k3s.etcd_snapshots import WRITE_SCRIPT
from k8tre.offline.graph import Secret, contains_secret

PROD = yaml.safe_load((ROOT / "examples/Pulumi.k3s-prod.yaml").read_text())["config"]["k8tre:cluster"]["etcdSnapshots"]


def _config(command: object) -> dict[str, object]:
    match = re.search(r"^K3S_CONFIG_B64=(\S+)$", command.inputs["stdin"], re.M)  # type: ignore[attr-defined]
    assert match
    return yaml.safe_load(base64.b64decode(match.group(1)))


def test_servers_snapshot_on_schedule_to_the_store_without_credentials_in_their_config() -> None:
    commands = {c.name: c for c in graph_of("k3s-prod").of_type("command:remote:Command")}
    servers = [
        c for c in commands.values() if c.inputs.get("create") == "sudo sh -s" and "K3S_ROLE=server\n" in c.inputs["stdin"]
    ]
    assert len(servers) == 3
    for server in servers:
        config = _config(server)
        assert config["etcd-snapshot-schedule-cron"] == PROD["schedule"]
        assert config["etcd-snapshot-retention"] == PROD["retention"]
        assert config["etcd-s3"] is True
        assert (config["etcd-s3-endpoint"], config["etcd-s3-bucket"]) == (PROD["s3"]["endpoint"], PROD["s3"]["bucket"])
        assert not any("key" in key for key in config), "no credential in the rendered config.yaml"
        writer = commands[f"{server.name}-etcd-s3"]
        assert isinstance(writer.inputs["stdin"], Secret) and writer.inputs["logging"] == "none"
        assert not contains_secret(writer.inputs["create"])
        assert writer.urn in server.options.depends_on, "the keys are in place before K3s (re)starts"
    agents = [c for c in commands.values() if c.name.startswith("k8tre-infra-k3s-agent-") and c.name.endswith("-etcd-s3")]
    assert agents == [], "agents run no etcd"


def test_dev_keeps_k3s_default_local_snapshots_and_writes_no_keys() -> None:
    commands = graph_of("k3s-dev").of_type("command:remote:Command")
    assert not [c for c in commands if c.name.endswith("-etcd-s3")]
    (server,) = [c for c in commands if c.inputs.get("create") == "sudo sh -s" and "K3S_ROLE=server\n" in c.inputs["stdin"]]
    assert "etcd-s3" not in _config(server)
    assert _config(server)["etcd-snapshot-schedule-cron"] == "0 */6 * * *"


def _write(tmp_path: Path, keys: str, active: bool = True) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    stub = '#!/bin/sh\necho "systemctl $*" >>"$SANDBOX/log"\n' + ("exit 0\n" if active else '[ "$1" != is-active ]\n')
    (bin_dir / "systemctl").write_text(stub)
    (bin_dir / "systemctl").chmod(0o755 | stat.S_IEXEC)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "SANDBOX": str(tmp_path), "K3S_ROOT": str(tmp_path / "root")}
    return subprocess.run(["sh", "-c", WRITE_SCRIPT], input=keys, capture_output=True, text=True, env=env, check=False)


def test_the_key_writer_writes_a_private_drop_in_and_restarts_only_on_change(tmp_path: Path) -> None:
    result = _write(tmp_path, "AKIDEXAMPLE\nse'cret/key+1\n")
    assert result.returncode == 0 and result.stdout == "", "prints nothing"
    drop_in = tmp_path / "root/etc/rancher/k3s/config.yaml.d/90-etcd-s3.yaml"
    assert yaml.safe_load(drop_in.read_text()) == {"etcd-s3-access-key": "AKIDEXAMPLE", "etcd-s3-secret-key": "se'cret/key+1"}
    assert drop_in.stat().st_mode & 0o777 == 0o600
    assert "systemctl restart k3s" in (tmp_path / "log").read_text()
    (tmp_path / "log").write_text("")
    assert _write(tmp_path, "AKIDEXAMPLE\nse'cret/key+1\n").returncode == 0
    assert (tmp_path / "log").read_text() == "", "unchanged keys: no restart"
    assert _write(tmp_path, "AKIDEXAMPLE\n").returncode != 0, "both keys are required"
