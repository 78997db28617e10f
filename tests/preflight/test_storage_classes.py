"""Preflight rules for the storage behind the platform's classes, on the real renders and on broken ones."""

from __future__ import annotations

import copy
import datetime

from conftest import graph_of
from k8tre.offline.graph import Graph
from k8tre.preflight.registry import PreflightContext
from k8tre.preflight.storage_classes import azure_files_nfs, efs_mount_targets

TODAY = PreflightContext(datetime.date(2026, 11, 25))


def test_the_azure_nfs_class_is_premium_and_private() -> None:
    result = azure_files_nfs(graph_of("dev"), TODAY)
    assert result.examined and not result.violations


def test_a_standard_or_public_nfs_class_is_refused() -> None:
    for key, value in (("skuName", "Standard_LRS"), ("networkEndpointType", "")):
        graph: Graph = copy.deepcopy(graph_of("dev"))
        (rwx,) = [r for r in graph.kubernetes_objects() if r.inputs.get("metadata", {}).get("name") == "rwx-default"]
        rwx.inputs["parameters"][key] = value
        assert azure_files_nfs(graph, TODAY).violations, key


def test_efs_has_a_mount_target_in_every_node_subnet() -> None:
    result = efs_mount_targets(graph_of("aws-dev"), TODAY)
    assert result.examined and not result.violations


def test_a_node_subnet_without_a_mount_target_is_refused() -> None:
    graph: Graph = copy.deepcopy(graph_of("aws-dev"))
    first = next(r for r in graph.resources if r.type == "aws:efs/mountTarget:MountTarget")
    graph.resources.remove(first)
    assert efs_mount_targets(graph, TODAY).violations
