"""Admission guard rails: the rendered policies admit every real pod of every stack, and refuse harmful ones.

No CEL library is in the locked environment (``uv pip list``: no cel-python, no celpy), so the policies
are judged twice: through each rule's Python twin (:mod:`k8tre.agnostics.admission_rules`, what
``k8tre check`` uses), and by running the rendered CEL text itself through a small interpreter of the
subset it uses (``cel_subset.py``); the two must agree on every pod. Namespace labels, the bindings'
selectors and the allow-list are read from the render itself.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from typing import Any

import pytest
from cel_subset import CelError, evaluate

from conftest import ALL_STACKS, expanded_graph_of, graph_of
from k8tre.agnostics.admission import EXISTING_NAMESPACES, VALIDATION_ACTIONS
from k8tre.agnostics.admission_rules import RULES, allowed_registries_of, from_allowed_registry, selects
from k8tre.config.layers import ALLOWED_REGISTRIES, AdmissionSettings, JupyterHubSettings
from k8tre.offline.graph import Graph
from k8tre.offline.schemas import validate_manifest
from k8tre.offline.workloads import ExpandedRelease
from k8tre.workload_checks.admission import check_admission, check_namespace_labels, namespace_labels
from k8tre.workload_checks.images import images_in
from k8tre.workload_checks.pods import pod_template
from k8tre.workload_checks.run import check_workloads

KUBERNETES = "1.35"


def _kind(graph: Graph, kind: str) -> list[dict[str, Any]]:
    return [m for m in graph.manifests() if m.get("kind") == kind]


def _with_release(graph: Graph, namespace: str, pod_spec: dict[str, Any]) -> Graph:
    """The graph plus one release whose Deployment has ``pod_spec``, in ``namespace``."""
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "intruder", "namespace": namespace},
        "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": {"metadata": {"labels": {"app": "x"}}, "spec": pod_spec}},
    }
    release = ExpandedRelease("intruder", namespace, "intruder", "1.0.0", "helm-release", "urn:x", objects=(deployment,))
    return dataclasses.replace(graph, workloads=[*graph.workloads, release])


def _pod_spec_of(graph: Graph, namespace: str) -> dict[str, Any]:
    """A copy of a real pod spec the render runs in ``namespace``."""
    for release in graph.workloads:
        for obj in release.objects:
            if (
                obj.get("kind") in ("Deployment", "StatefulSet")
                and (obj["metadata"].get("namespace") or release.namespace) == namespace
            ):
                return copy.deepcopy(obj["spec"]["template"]["spec"])
    raise AssertionError(f"no workload in {namespace}")


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_every_real_pod_is_admitted_and_every_namespace_is_labelled(stack: str) -> None:
    graph = expanded_graph_of(stack)
    manifests = graph.manifests()
    assert {p["metadata"]["name"] for p in _kind(graph, "ValidatingAdmissionPolicy")} == {r.name for r in RULES}
    assert check_admission(graph.workloads, manifests) == []
    assert check_namespace_labels(graph.workloads, manifests) == []
    # And through `k8tre check`'s own entry point, spawned notebook images included.
    report = check_workloads(graph, KUBERNETES)
    assert [f for f in report.errors if f.check in ("admission", "pod-security-label")] == []
    assert report.examined["admission"] == len(RULES)
    assert report.examined["pod-security-label"] >= len(EXISTING_NAMESPACES) + 2


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _cel_verdicts(graph: Graph, workloads: list[ExpandedRelease]) -> list[tuple[str, str, bool, bool, str]]:
    """``(policy, pod, admitted by the CEL, admitted by the twin, CEL message)`` for each pod each binding selects."""
    manifests = graph.manifests()
    labels = namespace_labels([*manifests, *(o for r in workloads for o in r.objects)])
    policies = {p["metadata"]["name"]: p for p in _kind(graph, "ValidatingAdmissionPolicy")}
    twins = {rule.name: rule for rule in RULES}
    pods = [
        (f"{r.name}/{o['kind']}/{o['metadata']['name']}", o["metadata"].get("namespace") or r.namespace, pod)
        for r in workloads
        for o in r.objects
        if (pod := pod_template(o)) is not None
    ]
    verdicts = []
    for binding in _kind(graph, "ValidatingAdmissionPolicyBinding"):
        name = binding["spec"]["policyName"]
        spec = policies[name]["spec"]
        registries = allowed_registries_of(spec.get("variables") or [])
        for subject, namespace, pod in pods:
            if not selects(binding["spec"]["matchResources"]["namespaceSelector"], labels.get(namespace, {})):
                continue
            # As the API server stores it: a field rendered as null (``initContainers:`` with nothing under it) is
            # absent from the object admission sees.
            obj = _without_nulls(
                {"apiVersion": "v1", "kind": "Pod", "metadata": {**pod.metadata, "namespace": namespace}, "spec": pod.spec}
            )
            (validation,) = spec["validations"]
            admitted = evaluate(validation["expression"], obj, spec.get("variables") or [])
            message = "" if admitted else evaluate(validation["messageExpression"], obj, spec.get("variables") or [])
            verdicts.append((name, subject, admitted, not twins[name].refuse(pod.spec, registries), message))
    return verdicts


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_the_real_cel_admits_every_real_pod_and_agrees_with_its_twin(stack: str) -> None:
    graph = expanded_graph_of(stack)
    verdicts = _cel_verdicts(graph, graph.workloads)
    assert {v[0] for v in verdicts} == {r.name for r in RULES}, "every policy judged at least one real pod"
    assert [v for v in verdicts if not (v[2] and v[3])] == []


def test_the_cel_subset_refuses_what_it_does_not_know() -> None:
    with pytest.raises(CelError):
        evaluate("object.spec.containers.size() > 0", {"spec": {"containers": []}}, [])
    with pytest.raises(CelError, match="no such key"):
        evaluate("object.spec.volumes.all(v, true)", {"spec": {}}, [])
    assert evaluate("'x/a:b'.substring('x/a:b'.lastIndexOf('/') + 1)", {}, []) == "a:b"
    assert evaluate("['a', 'b'].filter(i, i != 'a').join(', ')", {}, []) == "b"


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_policies_and_bindings_are_valid_kubernetes_objects(stack: str) -> None:
    graph = graph_of(stack)
    for kind in ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"):
        for obj in _kind(graph, kind):
            assert obj["apiVersion"] == "admissionregistration.k8s.io/v1"
            assert validate_manifest(obj, KUBERNETES) == []
    for policy in _kind(graph, "ValidatingAdmissionPolicy"):
        assert policy["spec"]["failurePolicy"] == "Fail"
    for binding in _kind(graph, "ValidatingAdmissionPolicyBinding"):
        assert binding["spec"]["validationActions"] == list(VALIDATION_ACTIONS) == ["Deny", "Audit"]
        assert "namespaceSelector" in binding["spec"]["matchResources"]


def test_the_default_allow_list_is_exactly_what_the_stacks_run() -> None:
    """Every allowed prefix is used by some stack, and every image of every stack is from one of them."""
    images = {i for stack in ALL_STACKS for i in images_in(expanded_graph_of(stack).workloads, graph_of(stack).manifests())}
    images.add(JupyterHubSettings().singleuser_image + ":" + JupyterHubSettings().singleuser_tag)  # spawned at run time
    assert all(from_allowed_registry(i, ALLOWED_REGISTRIES) for i in images)
    assert all(any(i.startswith(prefix + "/") for i in images) for prefix in ALLOWED_REGISTRIES)


@pytest.mark.parametrize(
    ("namespace", "change", "rule"),
    [
        ("project-genomics-demo", {"volumes": [{"name": "host", "hostPath": {"path": "/"}}]}, "k8tre-no-host-path"),
        ("jupyterhub", {"volumes": [{"name": "host", "hostPath": {"path": "/var/run"}}]}, "k8tre-no-host-path"),
        ("jupyterhub", {"image": "docker.io/library/alpine:3.20"}, "k8tre-allowed-registries"),
        ("argocd", {"image": "quay.io/someone-else/argocd:v3.4.4"}, "k8tre-allowed-registries"),
        ("argocd", {"image": "quay.io/argoproj-fork/argocd:v3.4.4"}, "k8tre-allowed-registries"),
        ("cert-manager", {"image": "alpine:3.20"}, "k8tre-allowed-registries"),
        ("argocd", {"image": "quay.io/argoproj/argocd"}, "k8tre-pinned-images"),
        ("argocd", {"image": "quay.io/argoproj/argocd:latest"}, "k8tre-pinned-images"),
        ("cert-manager", {"privileged": True}, "k8tre-no-privileged"),
        ("default", {"privileged": True}, "k8tre-no-privileged"),
        ("unlabelled-by-anyone", {"privileged": True}, "k8tre-no-privileged"),
    ],
)
def test_a_harmful_pod_is_refused(namespace: str, change: dict[str, Any], rule: str) -> None:
    graph = expanded_graph_of("dev")
    spec = _pod_spec_of(graph, "jupyterhub" if namespace.startswith(("project-", "unlabelled", "default")) else namespace)
    if "volumes" in change:
        spec["volumes"] = [*(spec.get("volumes") or []), *change["volumes"]]
    if "image" in change:
        spec["containers"][0]["image"] = change["image"]
    if change.get("privileged"):
        spec["containers"][0].setdefault("securityContext", {})["privileged"] = True
    mutated = _with_release(graph, namespace, spec)
    findings = check_admission(mutated.workloads, graph.manifests())
    assert findings and {f.message.split(" in ")[0] for f in findings} == {rule}, findings
    # The policy's own CEL refuses it too, and says why.
    refused = [v for v in _cel_verdicts(graph, mutated.workloads) if v[1].startswith("intruder/")]
    assert [(v[0], v[2], v[3]) for v in refused if not v[2]] == [(rule, False, False)]
    assert all(v[2] == v[3] for v in refused)
    (message,) = [v[4] for v in refused if not v[2]]
    assert message.startswith(("images", "hostPath", "privileged")) and ("host" in message or ":" in message)


def test_host_path_and_privileged_stay_possible_where_reviewed() -> None:
    """kube-system (reviewed as privileged) runs Cilium's privileged, hostPath agent: the rules leave it alone."""
    graph = expanded_graph_of("dev")
    agent = next(o for r in graph.workloads for o in r.objects if o["kind"] == "DaemonSet" and o["metadata"]["name"] == "cilium")
    spec = agent["spec"]["template"]["spec"]
    assert any("hostPath" in v for v in spec["volumes"])
    assert check_admission(_with_release(graph, "kube-system", copy.deepcopy(spec)).workloads, graph.manifests()) == []


def test_a_spawned_notebook_from_a_foreign_registry_is_refused() -> None:
    graph = expanded_graph_of("dev")
    findings = check_admission(
        graph.workloads, graph.manifests(), [("jupyterhub", "docker.io/jupyter/scipy-notebook:2025-10-20")]
    )
    assert [f.message.split(" in ")[0] for f in findings] == ["k8tre-allowed-registries"]


def test_a_policy_without_a_twin_cannot_pass_unjudged() -> None:
    graph = graph_of("dev")
    extra = copy.deepcopy(_kind(graph, "ValidatingAdmissionPolicy")[0])
    extra["metadata"]["name"] = "k8tre-new-rule"
    findings = check_admission([], [*graph.manifests(), extra])
    assert [f.subject for f in findings] == ["ValidatingAdmissionPolicy/-/k8tre-new-rule"]


def test_kubernetes_own_namespaces_are_labelled_and_kube_system_is_reasoned() -> None:
    graph = graph_of("dev")
    patches = {r.inputs["metadata"]["name"]: r.inputs["metadata"] for r in graph.of_type("kubernetes:core/v1:NamespacePatch")}
    assert set(patches) == set(EXISTING_NAMESPACES) >= {"default", "kube-system"}
    assert patches["default"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert patches["kube-system"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert patches["kube-system"]["annotations"]["k8tre.io/pod-security-reason"].strip()


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda m: m["metadata"]["labels"].pop("pod-security.kubernetes.io/enforce"), id="program-namespace"),
    ],
)
def test_a_namespace_without_an_enforce_label_is_caught(mutate: Any) -> None:
    graph = expanded_graph_of("dev")
    manifests = graph.manifests()
    jupyterhub = next(m for m in manifests if m["kind"] == "Namespace" and m["metadata"]["name"] == "jupyterhub")
    mutate(jupyterhub)
    assert [f.subject for f in check_namespace_labels(graph.workloads, manifests)] == ["Namespace/-/jupyterhub"]


def test_a_chart_namespace_or_an_unpatched_system_namespace_is_caught() -> None:
    graph = expanded_graph_of("dev")
    # Cilium's chart makes `cilium-secrets`; its labels come from the chart values.
    workloads = copy.deepcopy(graph.workloads)
    for release in workloads:
        for obj in release.objects:
            if obj["kind"] == "Namespace":
                obj["metadata"]["labels"].pop("pod-security.kubernetes.io/enforce")
    # And kube-system, where Cilium runs, loses its patch.
    manifests = [m for m in graph.manifests() if not (m["kind"] == "Namespace" and m["metadata"]["name"] == "kube-system")]
    subjects = [f.subject for f in check_namespace_labels(workloads, manifests)]
    assert subjects == ["Namespace/-/cilium-secrets", "Namespace/-/kube-system"]


def test_selectors_follow_label_selector_semantics() -> None:
    not_in = {"matchExpressions": [{"key": "k", "operator": "NotIn", "values": ["a"]}]}
    assert selects(not_in, {}) and selects(not_in, {"k": "b"}) and not selects(not_in, {"k": "a"})
    exists = {"matchExpressions": [{"key": "k", "operator": "Exists"}]}
    assert selects(exists, {"k": ""}) and not selects(exists, {})
    assert selects({"matchLabels": {"k": "a"}}, {"k": "a"}) and not selects({"matchLabels": {"k": "a"}}, {"k": "b"})


def test_cel_and_twin_name_the_same_fields() -> None:
    """A guard on drift between the CEL and its twin: each rule's CEL reads the pod fields its twin reads."""
    fields = {
        "k8tre-allowed-registries": {"image", "allowedRegistries"},
        "k8tre-pinned-images": {"image", "lastIndexOf", "latest"},
        "k8tre-no-host-path": {"volumes", "hostPath"},
        "k8tre-no-privileged": {"securityContext", "privileged"},
    }
    for rule in RULES:
        cel = " ".join([rule.expression, *(e for _, e in rule.variables)])
        assert all(word in cel for word in fields[rule.name]), rule.name
        # Every variable the expression reads is declared (the registry list is added by the component).
        used = set(re.findall(r"variables\.(\w+)", rule.expression + rule.message)) - {"allowedRegistries"}
        assert used <= {name for name, _ in rule.variables}, rule.name


@pytest.mark.parametrize("bad", [(), ("https://quay.io",), ("quay.io/",), ("Quay.io",)])
def test_a_bad_allow_list_is_refused(bad: tuple[str, ...]) -> None:
    """(The loader's message naming the key is covered by tests/config/any.bad.registry-url.yaml.)"""
    with pytest.raises(ValueError):
        AdmissionSettings.model_validate({"allowedRegistries": bad})
    assert AdmissionSettings.model_validate({"allowedRegistries": ("registry.example:5000/mirror",)})
