"""The workload checks: each rule on a small allowed and a small refused object, then on the real expanded stacks."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from conftest import ALL_STACKS, graph_of
from k8tre.offline.workloads import ExpandedRelease
from k8tre.workload_checks.app_project import check_application, destination_permitted, kind_permitted
from k8tre.workload_checks.chart_values import ChartDefaults, check_chart_values, default_values, undeclared_values
from k8tre.workload_checks.images import check_images, parse_image
from k8tre.workload_checks.pod_security import check_pod_security, namespace_levels, refusals, strictest_level
from k8tre.workload_checks.pods import PodTemplate
from k8tre.workload_checks.schemas import check_schemas

ROOT = Path(__file__).resolve().parents[1]
IN_CLUSTER = "https://kubernetes.default.svc"
RESTRICTED_CONTAINER: dict[str, Any] = {
    "name": "app",
    "image": "registry.example/app:1.2.3@sha256:" + "a" * 64,
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
}


def deployment(namespace: str = "apps", **spec: Any) -> dict[str, Any]:
    pod_spec = {"containers": [copy.deepcopy(RESTRICTED_CONTAINER)], **spec}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec},
        },
    }


def namespace(name: str, level: str, reason: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {"pod-security.kubernetes.io/enforce": level}}
    if reason:
        meta["annotations"] = {"k8tre.io/pod-security-reason": reason}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def release(*objects: dict[str, Any], source: str = "helm-release", project: str | None = None) -> ExpandedRelease:
    return ExpandedRelease("web", "apps", "web", "1.0.0", source, "urn:web", project, tuple(objects))  # type: ignore[arg-type]


def pod(**spec: Any) -> PodTemplate:
    return PodTemplate({}, {"containers": [copy.deepcopy(RESTRICTED_CONTAINER)], **spec})


def container_pod(**context: Any) -> PodTemplate:
    container = copy.deepcopy(RESTRICTED_CONTAINER)
    container["securityContext"].update(context)
    return PodTemplate({}, {"containers": [container]})


# --- Pod Security: each control refuses its harmful value and admits the restricted template ---


def test_a_hardened_pod_meets_restricted() -> None:
    assert refusals(pod(), "restricted", 33) == []
    assert strictest_level(pod(), 33) == "restricted"


@pytest.mark.parametrize(
    ("template", "control"),
    [
        (pod(hostNetwork=True), "Host Namespaces"),
        (pod(hostPID=True), "Host Namespaces"),
        (container_pod(privileged=True), "Privileged Containers"),
        (container_pod(capabilities={"drop": ["ALL"], "add": ["NET_ADMIN"]}), "Capabilities"),
        (pod(volumes=[{"name": "root", "hostPath": {"path": "/"}}]), "HostPath Volumes"),
        (container_pod(procMount="Unmasked"), "/proc Mount Type"),
        (container_pod(seccompProfile={"type": "Unconfined"}), "Seccomp"),
        (container_pod(seLinuxOptions={"type": "spc_t"}), "SELinux"),
        (container_pod(seLinuxOptions={"user": "system_u"}), "SELinux"),
        (container_pod(appArmorProfile={"type": "Unconfined"}), "AppArmor"),
        (container_pod(windowsOptions={"hostProcess": True}), "HostProcess"),
        (pod(securityContext={"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}), "Sysctls"),
    ],
)
def test_each_baseline_control_refuses_its_harmful_value(template: PodTemplate, control: str) -> None:
    reasons = refusals(template, "baseline", 33)
    assert any(reason.startswith(f"{control}:") for reason in reasons), reasons
    assert refusals(template, "privileged", 33) == []


def test_host_ports_are_refused_by_baseline() -> None:
    template = pod()
    template.spec["containers"][0]["ports"] = [{"containerPort": 80, "hostPort": 80}]
    assert any(r.startswith("Host Ports:") for r in refusals(template, "baseline", 33))


def test_host_probes_are_refused_from_kubernetes_1_34() -> None:
    template = pod()
    template.spec["containers"][0]["livenessProbe"] = {"httpGet": {"host": "169.254.169.254", "port": 80}}
    assert not any(r.startswith("Host Probes") for r in refusals(template, "baseline", 33))
    assert any(r.startswith("Host Probes") for r in refusals(template, "baseline", 34))


def test_safe_sysctls_and_baseline_capabilities_are_admitted() -> None:
    template = pod(securityContext={"sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]})
    assert refusals(template, "restricted", 33) == []
    assert refusals(container_pod(capabilities={"drop": ["ALL"], "add": ["CHOWN"]}), "baseline", 33) == []


@pytest.mark.parametrize(
    ("template", "control"),
    [
        (container_pod(allowPrivilegeEscalation=None), "Privilege Escalation"),
        (container_pod(runAsNonRoot=False), "Running as Non-root"),
        (container_pod(runAsNonRoot=None), "Running as Non-root"),
        (container_pod(runAsUser=0), "Running as Non-root user"),
        (container_pod(seccompProfile=None), "Seccomp"),
        (container_pod(capabilities={"drop": ["NET_RAW"]}), "Capabilities"),
        (container_pod(capabilities={"drop": ["ALL"], "add": ["CHOWN"]}), "Capabilities"),
        (pod(volumes=[{"name": "nfs", "nfs": {"server": "x", "path": "/"}}]), "Volume Types"),
    ],
)
def test_each_restricted_control_refuses_its_harmful_value(template: PodTemplate, control: str) -> None:
    for field in ("allowPrivilegeEscalation", "runAsNonRoot", "seccompProfile"):
        if template.spec["containers"][0]["securityContext"].get(field, 0) is None:
            del template.spec["containers"][0]["securityContext"][field]
    assert any(r.startswith(f"{control}:") for r in refusals(template, "restricted", 33))
    assert not any(r.startswith(f"{control}:") for r in refusals(template, "baseline", 33))


def test_pod_level_settings_cover_containers_that_leave_them_unset() -> None:
    container = {
        "name": "app",
        "image": "a:1",
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    context = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert refusals(PodTemplate({}, {"securityContext": context, "containers": [container]}), "restricted", 33) == []


def test_init_and_ephemeral_containers_are_judged_too() -> None:
    bad = {"name": "init", "image": "a:1", "securityContext": {"privileged": True}}
    assert refusals(pod(initContainers=[bad]), "baseline", 33)
    assert refusals(pod(ephemeralContainers=[bad]), "baseline", 33)


def test_a_pod_refused_by_its_namespace_level_is_reported() -> None:
    privileged = deployment()
    privileged["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = True
    findings = check_pod_security([release(privileged)], [namespace("apps", "baseline", "why")], "1.33")
    assert [f.check for f in findings] == ["pod-security"]
    assert "Privileged Containers" in findings[0].message and "web: Deployment/apps/web" in findings[0].subject


def test_a_namespace_without_a_program_label_has_the_cluster_default() -> None:
    privileged = deployment(namespace="kube-system", hostNetwork=True)
    assert check_pod_security([release(privileged)], [], "1.33") == []
    assert check_pod_security([release(privileged)], [], "1.33", cluster_default="baseline")


def test_a_namespace_weaker_than_its_workloads_need_must_give_a_reason() -> None:
    weaker = check_pod_security([release(deployment())], [namespace("apps", "baseline")], "1.33")
    assert any("enforces baseline but every workload rendered there meets restricted" in f.message for f in weaker)
    assert check_pod_security([release(deployment())], [namespace("apps", "baseline", "user pods")], "1.33") == []
    assert check_pod_security([release(deployment())], [namespace("apps", "restricted")], "1.33") == []


# --- AppProject permissions: Argo CD's semantics ---

PROJECT_SPEC: dict[str, Any] = {
    "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "apps"}],
    "clusterResourceWhitelist": [],
    "namespaceResourceBlacklist": [{"group": "networking.k8s.io", "kind": "NetworkPolicy"}],
}


def test_argocd_list_semantics() -> None:
    spec = PROJECT_SPEC
    assert kind_permitted(spec, "apps", "Deployment", "web", namespaced=True)  # no namespace whitelist: all
    assert not kind_permitted(spec, "networking.k8s.io", "NetworkPolicy", "np", namespaced=True)  # blacklisted
    assert not kind_permitted(spec, "rbac.authorization.k8s.io", "ClusterRole", "r", namespaced=False)  # empty: none
    assert not kind_permitted({**spec, "namespaceResourceWhitelist": []}, "apps", "Deployment", "web", namespaced=True)
    star = {"clusterResourceWhitelist": [{"group": "*", "kind": "*"}]}
    assert kind_permitted(star, "rbac.authorization.k8s.io", "ClusterRole", "r", namespaced=False)
    named = {"clusterResourceWhitelist": [{"group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "hub-*"}]}
    assert kind_permitted(named, "rbac.authorization.k8s.io", "ClusterRole", "hub-reader", namespaced=False)
    assert not kind_permitted(named, "rbac.authorization.k8s.io", "ClusterRole", "admin", namespaced=False)


def test_argocd_destination_semantics() -> None:
    server = "https://kubernetes.default.svc"
    assert destination_permitted(PROJECT_SPEC, server, "apps")
    assert not destination_permitted(PROJECT_SPEC, server, "kube-system")
    globbed = {"destinations": [{"server": "*", "namespace": "project-*"}, {"server": "*", "namespace": "!project-secret"}]}
    assert destination_permitted(globbed, server, "project-a")
    assert not destination_permitted(globbed, server, "project-secret")


def app_project(spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "research"}, "spec": spec}


def test_an_application_rendering_a_forbidden_kind_is_refused_naming_object_and_project() -> None:
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "hub", "namespace": "apps"}}
    app = release(deployment(), policy, source="argocd-application", project="research")
    findings = check_application(app, app_project(PROJECT_SPEC), IN_CLUSTER, {})
    assert len(findings) == 1
    assert "NetworkPolicy/apps/hub" in findings[0].subject and "'research'" in findings[0].message
    assert check_application(release(deployment(), project="research"), app_project(PROJECT_SPEC), IN_CLUSTER, {}) == []


def test_an_object_outside_the_destinations_or_of_unknown_scope_is_refused() -> None:
    elsewhere = release(deployment(namespace="kube-system"), source="argocd-application", project="research")
    assert check_application(elsewhere, app_project(PROJECT_SPEC), IN_CLUSTER, {})
    custom = {"apiVersion": "example.io/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "apps"}}
    unknown = check_application(release(custom, project="research"), app_project(PROJECT_SPEC), IN_CLUSTER, {})
    assert "no CRD tells" in unknown[0].message
    assert check_application(release(custom), None, IN_CLUSTER, {})[0].message.endswith("not in the render")


# --- Images ---


def test_image_references_are_parsed_with_registry_ports() -> None:
    ref = parse_image("registry:5000/team/app:1.0@sha256:abc")
    assert (ref.name, ref.tag, ref.digest) == ("registry:5000/team/app", "1.0", "sha256:abc")
    assert parse_image("registry:5000/team/app").tag == ""


@pytest.mark.parametrize("image", ["quay.io/app:latest", "quay.io/app", "registry:5000/app", ""])
def test_unpinned_images_are_errors(image: str) -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["initContainers"] = [{"name": "init", "image": image}]
    errors = [f for f in check_images([release(obj)]) if not f.advisory]
    assert len(errors) == 1 and "initContainers[init]" in errors[0].subject


def test_a_tag_without_digest_is_only_an_advisory() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = "quay.io/app:1.2.3"
    (finding,) = check_images([release(obj)])
    assert finding.advisory
    assert check_images([release(deployment())]) == []


# --- Schemas: a chart's own CRDs judge its custom resources; core kinds strictly ---

WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.io"},
    "spec": {
        "group": "example.io",
        "names": {"kind": "Widget", "plural": "widgets"},
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "port": {"x-kubernetes-int-or-string": True},
                                    "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                                },
                            }
                        },
                    }
                },
            }
        ],
    },
}


def widget(spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "example.io/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "apps"}, "spec": spec}


def test_custom_resources_are_validated_against_the_crd_the_release_installs() -> None:
    good = widget({"port": "http", "extra": {"anything": 1}})
    assert check_schemas([release(WIDGET_CRD, good)], "1.33") == []
    bad = check_schemas([release(WIDGET_CRD, widget({"prot": 80}))], "1.33")
    assert len(bad) == 1 and "prot" in bad[0].message and bad[0].subject == "web: Widget/apps/w"


def test_core_kinds_are_validated_strictly_and_a_missing_schema_is_a_finding() -> None:
    typo = deployment()
    typo["spec"]["template"]["spec"]["containerz"] = []
    assert any("containerz" in f.message for f in check_schemas([release(typo)], "1.33"))
    assert check_schemas([release(deployment())], "1.33") == []
    unknown = check_schemas([release(widget({}))], "1.33")
    assert unknown and "no schema" in unknown[0].message


# --- Chart values: undeclared keys and values that change nothing ---

DEFAULTS = ChartDefaults(
    {"replicas": 1, "hub": {"networkPolicy": {"enabled": True}, "annotations": {}}},
    {"type": "object", "properties": {"replicas": {}, "hub": {"type": "object", "properties": {"extraConfig": {}}}}},
)


def test_undeclared_keys_are_found_unless_the_schema_or_a_free_map_declares_them() -> None:
    values = {"replicaz": 2, "hub": {"extraConfig": {"x": 1}, "annotations": {"a": "b"}, "networkPolicy": {"enabeld": False}}}
    assert undeclared_values(DEFAULTS, values) == ["hub.networkPolicy.enabeld", "replicaz"]


def test_values_equal_to_the_default_are_dead() -> None:
    assert default_values(DEFAULTS, {"replicas": 1, "hub": {"networkPolicy": {"enabled": False}}}) == ["replicas"]


def test_chart_values_are_read_from_the_vendored_archive() -> None:
    archive = ROOT / "charts" / "jupyterhub-4.3.2.tgz"
    findings = check_chart_values("app", "jupyterhub", archive, {"cull": {"enabled": True, "tiemout": 5}})
    assert [(f.advisory, f.message.split(":")[0]) for f in findings] == [(False, "cull.tiemout"), (True, "cull.enabled")]


# --- The real stacks, expanded: every check passes, and a harmful change to what they render is caught ---


def expanded(name: str) -> tuple[Any, str]:
    from conftest import graph_of, stack_file
    from k8tre.offline.engine import load
    from k8tre.offline.expand import expand

    graph = graph_of(name)
    version = load(stack_file(name)).cluster.kubernetes_version
    if not graph.workloads:
        expand(graph, version)
    return graph, version


def test_every_stack_passes_the_workload_checks(any_stack: str) -> None:
    from k8tre.workload_checks.run import check_workloads

    graph, version = expanded(any_stack)
    report = check_workloads(graph, version)
    assert [str(f) for f in report.errors] == []
    # Each check examined something: an empty pass would prove nothing.
    assert all(report.examined.values()), report.examined
    assert any(r.source == "argocd-application" for r in graph.workloads)


def mutated(name: str, change: Any) -> list[str]:
    """The workload errors of stack ``name`` after ``change(manifests, releases)`` edits copies of what it renders."""
    from k8tre.workload_checks.run import check_workloads

    graph, version = expanded(name)
    saved_workloads, saved_inputs = graph.workloads, {r.urn: r.inputs for r in graph.resources}
    graph.workloads = [
        ExpandedRelease(r.name, r.namespace, r.chart, r.version, r.source, r.owner_urn, r.project, copy.deepcopy(r.objects))
        for r in graph.workloads
    ]
    for resource in graph.resources:
        object.__setattr__(resource, "inputs", copy.deepcopy(resource.inputs))
    try:
        change(graph)
        return [str(f) for f in check_workloads(graph, version).errors]
    finally:
        graph.workloads = saved_workloads
        for resource in graph.resources:
            object.__setattr__(resource, "inputs", saved_inputs[resource.urn])


def _hub(graph: Any) -> dict[str, Any]:
    (hub,) = [o for r in graph.workloads for o in r.objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "hub"]
    return hub


def test_a_privileged_container_added_to_the_hub_is_refused() -> None:
    def change(graph: Any) -> None:
        _hub(graph)["spec"]["template"]["spec"]["containers"][0].setdefault("securityContext", {})["privileged"] = True

    errors = mutated("dev", change)
    assert any("pod-security: jupyterhub: Deployment/jupyterhub/hub" in e and "Privileged Containers" in e for e in errors), (
        errors
    )


def test_a_kind_removed_from_the_appproject_is_refused_naming_object_and_project() -> None:
    def change(graph: Any) -> None:
        (project,) = [
            p
            for p in graph.of_type("kubernetes:argoproj.io/v1alpha1:AppProject")
            if p.inputs["metadata"]["name"] == "research-apps"
        ]
        kinds = {(o["apiVersion"].rpartition("/")[0], o["kind"]) for r in graph.workloads for o in r.objects}
        allowed = [{"group": g, "kind": k} for g, k in sorted(kinds) if k != "Deployment"]
        project.inputs["spec"]["namespaceResourceWhitelist"] = allowed

    errors = mutated("dev", change)
    assert any("app-project: jupyterhub: Deployment/jupyterhub/hub" in e and "'research-apps'" in e for e in errors), errors


def test_an_image_set_to_latest_is_refused() -> None:
    def change(graph: Any) -> None:
        _hub(graph)["spec"]["template"]["spec"]["containers"][0]["image"] = "quay.io/jupyterhub/k8s-hub:latest"

    errors = mutated("dev", change)
    assert any("image: jupyterhub: Deployment/jupyterhub/hub" in e and "not pinned" in e for e in errors), errors


def test_a_weakened_namespace_label_is_refused() -> None:
    def change(graph: Any) -> None:
        namespace = graph.named("k8tre-agnostics-cert-manager-ns")
        namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "baseline"

    errors = mutated("dev", change)
    assert any("Namespace/-/cert-manager" in e and "enforces baseline" in e for e in errors), errors


def test_a_namespace_stricter_than_its_workloads_allow_is_refused() -> None:
    def change(graph: Any) -> None:
        graph.named("k8tre-agnostics-argocd-ns").inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "restricted"
        for release in graph.workloads:
            for obj in release.objects:
                if obj["kind"] == "StatefulSet":
                    obj["spec"]["template"]["spec"]["hostNetwork"] = True

    errors = mutated("dev", change)
    assert any("refused by restricted in namespace argocd" in e and "Host Namespaces" in e for e in errors), errors


def test_the_namespace_reason_annotation_is_the_one_the_check_reads() -> None:
    from k8tre.namespace import POD_SECURITY_REASON
    from k8tre.workload_checks.pod_security import REASON_ANNOTATION

    assert POD_SECURITY_REASON == REASON_ANNOTATION


REVIEWED_WEAKER_LEVELS = {
    "kube-system": "privileged",
    "longhorn-system": "privileged",
    "monitoring-nodes": "privileged",
    "velero": "privileged",
}
"""Namespaces that enforce less than ``restricted``, each reviewed with its reason in code (notebooks now run in the
restricted project namespaces; Cilium's agent and the clouds' node add-ons in kube-system, labelled by
``k8tre/agnostics/admission.py``; Longhorn's node plugin, which attaches and encrypts volumes on the host;
node-exporter's host namespaces and fluent-bit's host log paths in monitoring-nodes,
``k8tre/agnostics/observability_network.py``). A research project runs researchers' own code: it never enforces
less than restricted."""


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_only_reviewed_namespaces_enforce_less_than_restricted(stack: str) -> None:
    # The pod-security check trusts a stated reason, so a new weaker namespace (a project made privileged "for GPU
    # drivers") would pass it; this list is where such a change must be reviewed.
    levels = namespace_levels(graph_of(stack).manifests())
    projects = [n for n in levels if n.startswith("project-")]
    assert projects, "the stack renders research project namespaces"
    weaker = {namespace: level for namespace, (level, _) in levels.items() if level != "restricted"}
    assert weaker == {n: level for n, level in REVIEWED_WEAKER_LEVELS.items() if n in levels}


@pytest.mark.parametrize("level", ["baseline", "privileged"])
@pytest.mark.parametrize("reason", ["", "   "])
def test_a_namespace_weaker_than_restricted_without_a_reason_is_refused_by_the_program(level: str, reason: str) -> None:
    # The check above trusts a reason only because the program never writes a weaker level without one.
    from typing import cast

    import pulumi

    from k8tre.infrastructure import Cluster
    from k8tre.namespace import platform_namespace

    with pytest.raises(ValueError, match=f"namespace 'project-x': Pod Security '{level}' needs a reason"):
        platform_namespace(
            "ns",
            "project-x",
            cast(Cluster, None),  # refused before the cluster is used: nothing is registered
            cast(pulumi.Resource, None),
            layer="applications",
            pod_security=level,  # type: ignore[arg-type]
            pod_security_reason=reason,
        )


def hub_reads(graph: Any) -> dict[str, Any]:
    """The chart values the hub (and so KubeSpawner) reads at run time: the rendered Secret's values.yaml."""
    import base64

    import yaml

    (secret,) = [o for r in graph.workloads for o in r.objects if o["kind"] == "Secret" and o["metadata"]["name"] == "hub"]
    values: dict[str, Any] = yaml.safe_load(base64.b64decode(secret["data"]["values.yaml"]))
    return values


def test_jupyterhub_as_the_chart_delivers_it_by_default_would_neither_sync_nor_admit() -> None:
    # Reality check of the fix: with the chart's defaults back, its NetworkPolicies are refused by the
    # AppProject. The privileged iptables init container belongs to the notebook pods KubeSpawner creates
    # at run time (z2jh files/hub/jupyterhub_config.py, singleuser.cloudMetadata), which no render holds:
    # what the render shows is the setting the hub reads, so that is what is asserted.
    from k8tre.offline.expand import expand

    assert hub_reads(expanded("dev")[0])["singleuser"]["cloudMetadata"]["blockWithIptables"] is False
    seen: dict[str, Any] = {}

    def change(graph: Any) -> None:
        (app,) = [
            a
            for a in graph.of_type("kubernetes:argoproj.io/v1alpha1:Application")
            if a.inputs["metadata"]["name"] == "jupyterhub"
        ]
        values = app.inputs["spec"]["source"]["helm"]["valuesObject"]
        values["hub"]["networkPolicy"]["enabled"] = True
        values["singleuser"]["cloudMetadata"]["blockWithIptables"] = True
        expand(graph, "1.33")
        seen.update(hub_reads(graph))

    errors = mutated("dev", change)
    assert any("NetworkPolicy/jupyterhub/hub" in e and "not permitted by AppProject 'research-apps'" in e for e in errors), errors
    assert seen["singleuser"]["cloudMetadata"]["blockWithIptables"] is True


# --- The checkov post-filter: a failed check passes only when accepted for that resource, with a reason ---


def test_checkov_findings_are_accepted_only_per_check_and_resource(tmp_path: Path) -> None:
    from k8tre.workload_checks.checkov_filter import Accepted, failed_checks, load_accepted, unexplained

    report = {"results": {"failed_checks": [{"check_id": "CKV_K8S_19", "resource": "DaemonSet.kube-system.cilium"}]}}
    failed = failed_checks([[report]])
    accepted = [Accepted("CKV_K8S_19", "DaemonSet.kube-system.cilium", "the CNI runs in the host network")]
    assert unexplained(failed, accepted) == ([], [])
    other = [Accepted("CKV_K8S_19", "DaemonSet.kube-system.other", "x")]
    left, stale = unexplained(failed, other)
    assert left and stale == other
    (tmp_path / "accepted.yaml").write_text("accepted:\n  - {check: CKV_K8S_19, resource: 'DaemonSet.*'}\n")
    with pytest.raises(ValueError, match="reason"):
        load_accepted(tmp_path / "accepted.yaml")
