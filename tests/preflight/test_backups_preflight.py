"""Preflight rules for the backup stores, on the real renders and on harmfully changed ones."""

from __future__ import annotations

import copy
import datetime

from conftest import graph_of
from k8tre.chart_lock import chart_name
from k8tre.offline.graph import Graph
from k8tre.preflight.registry import PreflightFinding, run_preflight

TODAY = datetime.date(2026, 11, 25)


def finding(graph: Graph, rule_id: str) -> PreflightFinding:
    return next(f for f in run_preflight(graph, TODAY) if f.rule.id == rule_id)


def velero_values(graph: Graph) -> dict:  # type: ignore[type-arg]
    (release,) = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if chart_name(r.inputs["chart"]) == "velero"]
    return release.inputs["values"]  # type: ignore[no-any-return]


def test_velero_on_azure_has_what_workload_identity_needs() -> None:
    assert finding(graph_of("dev"), "velero-azure-workload-identity").status == "pass"
    unlabelled = copy.deepcopy(graph_of("dev"))
    velero_values(unlabelled)["nodeAgent"]["podLabels"] = {}
    assert finding(unlabelled, "velero-azure-workload-identity").status == "fail"
    renamed = copy.deepcopy(graph_of("dev"))
    velero_values(renamed)["serviceAccount"]["server"]["name"] = "velero-server"
    assert finding(renamed, "velero-azure-workload-identity").status == "fail"
    no_uri = copy.deepcopy(graph_of("dev"))
    del velero_values(no_uri)["configuration"]["backupStorageLocation"][0]["config"]["storageAccountURI"]
    assert finding(no_uri, "velero-azure-workload-identity").status == "fail"


def test_pod_identity_needs_its_agent() -> None:
    graph = graph_of("aws-dev")
    assert finding(graph, "eks-pod-identity-agent").status == "pass"
    without = copy.deepcopy(graph)
    without.resources[:] = [
        r
        for r in without.resources
        if not (r.type == "aws:eks/addon:Addon" and r.inputs["addonName"] == "eks-pod-identity-agent")
    ]
    assert finding(without, "eks-pod-identity-agent").status == "fail"


def test_s3_buckets_block_public_access() -> None:
    graph = graph_of("aws-dev")
    assert finding(graph, "aws-s3-public-access-blocked").status == "pass"
    opened = copy.deepcopy(graph)
    (block,) = opened.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    block.inputs["restrictPublicBuckets"] = False
    assert finding(opened, "aws-s3-public-access-blocked").status == "fail"
