"""etcd snapshots on the K3s servers: the schedule in each server's config.yaml, copies to an off-host object store.

K3s snapshots its embedded etcd on a cron schedule and keeps the newest ``retention`` on the server's disk;
with ``etcd-s3`` it also uploads each one to an S3-compatible store (K3s docs, "k3s etcd-snapshot":
https://docs.k3s.io/cli/etcd-snapshot, S3 options). A snapshot on the same machines is lost with them,
hence the off-host copy. The store's keys are Pulumi secrets: they reach each server only through
standard input of an unlogged command, into a 0600 drop-in file K3s merges into its configuration
(K3s docs, "Configuration File", multiple config files: ``config.yaml.d``); the rendered
``config.yaml`` never holds them. Restoring also needs the server token, which the program keeps
(protected in prod).
"""

from __future__ import annotations

import shlex
from importlib import resources as package_files
from typing import Any

import pulumi
from pulumi_command import remote

from ...config import SecretRef
from ...config.k3s_options import K3sEtcdSnapshots
from ...outputs import secret_text

WRITE_SCRIPT = package_files.files(__package__).joinpath("scripts/write-etcd-s3.sh").read_text()
"""The shell that writes the store's keys from standard input (checked by shellcheck in the tests)."""


def etcd_settings(snapshots: K3sEtcdSnapshots) -> dict[str, Any]:
    """The snapshot keys of a server's ``config.yaml``: schedule, retention and the store (no credentials)."""
    settings: dict[str, Any] = {
        "etcd-snapshot-schedule-cron": snapshots.schedule,
        "etcd-snapshot-retention": snapshots.retention,
    }
    if snapshots.s3 is not None:
        settings.update(
            {
                "etcd-s3": True,
                "etcd-s3-endpoint": snapshots.s3.endpoint,
                "etcd-s3-bucket": snapshots.s3.bucket,
                "etcd-s3-folder": snapshots.s3.folder,
                "etcd-s3-region": snapshots.s3.region,
            }
        )
    return settings


def write_credentials(
    name: str,
    connection: remote.ConnectionArgs,
    keys: tuple[SecretRef, SecretRef],
    after: list[pulumi.Resource],
    parent: pulumi.Resource,
) -> remote.Command:
    """Put the store's keys on one server, before its install; secret input, nothing logged."""
    lines = pulumi.Output.all(keys[0].output(), keys[1].output()).apply(lambda k: f"{k[0]}\n{k[1]}\n")
    return remote.Command(
        name,
        connection=connection,
        create=f"sudo sh -c {shlex.quote(WRITE_SCRIPT)}",
        stdin=secret_text(lines),
        logging=remote.Logging.NONE,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=after),
    )
