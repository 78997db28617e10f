"""The chart expansion: each stack's charts rendered by Helm's own engine from the vendored archives.

Assertions are on what the real chart templates produce from the program's values (objects,
their settings, their namespaces), and each behaviour is shown to matter by changing the
input harmfully (a value, the cluster's capabilities, the archive) and watching the output change.
"""

from __future__ import annotations

import dataclasses
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ALL_STACKS, expanded_graph_of, graph_of
from k8tre import chart_lock
from k8tre.offline import chart_render
from k8tre.offline.expand import ExpansionError, expand, installs, kube_version_of
from k8tre.offline.graph import Graph, Options, RecordedResource
from k8tre.offline.workloads import ExpandedRelease
from k8tre.workload_checks.scopes import CLUSTER_SCOPED_CORE


def _release(graph: Graph, chart: str) -> ExpandedRelease:
    (release,) = [r for r in graph.workloads if r.chart == chart]
    return release


def _object(release: ExpandedRelease, kind: str, name: str) -> dict[str, Any]:
    matches = [o for o in release.objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name} in {release.name}: {len(matches)} found"
    return matches[0]


def _cilium_alone(graph: Graph, change: dict[str, Any] | None = None, *, crds: bool = True) -> Graph:
    """A copy of ``graph`` with only the Cilium release (``change`` merged into its values) and, if ``crds``, the CRDs.

    Rendering one chart instead of all of them keeps these tests fast.
    """
    resources = []
    for resource in graph.resources:
        if resource.type == "kubernetes:helm.sh/v3:Release" and resource.inputs.get("name") == "cilium":
            values = {**(resource.inputs.get("values") or {}), **(change or {})}
            resources.append(dataclasses.replace(resource, inputs={**resource.inputs, "values": values}))
        elif crds and resource.type.endswith(":CustomResourceDefinition"):
            resources.append(resource)
    return dataclasses.replace(graph, resources=resources, workloads=[])


@pytest.fixture
def fresh_cache(tmp_path: Path) -> Path:
    """An empty expansion cache, so the test sees Helm render, not a stored result."""
    return tmp_path / "cache"


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_every_chart_installation_is_expanded(stack: str) -> None:
    graph = expanded_graph_of(stack)
    plans = installs(graph)
    assert {p.chart for p in plans} >= {"cilium", "cert-manager", "argo-cd"}
    assert [(r.chart, r.version, r.owner_urn) for r in graph.workloads] == [(p.chart, p.version, p.owner_urn) for p in plans]
    for release in graph.workloads:
        assert release.version in chart_lock.locked_versions(release.chart)
        assert graph.get(release.owner_urn)  # each expansion names the resource it expands
        assert release.objects, release.name
        for obj in release.objects:
            annotations = obj["metadata"].get("annotations") or {}
            assert "test" not in str(annotations.get("helm.sh/hook", "")), obj["metadata"]["name"]
            group = obj["apiVersion"].rpartition("/")[0]
            if group in ("", "apps", "batch", "rbac.authorization.k8s.io") and (group, obj["kind"]) not in CLUSTER_SCOPED_CORE:
                assert obj["metadata"].get("namespace"), f"{obj['kind']}/{obj['metadata']['name']} has no namespace"


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_cilium_runs_as_the_program_configures_it(stack: str) -> None:
    cilium = _release(expanded_graph_of(stack), "cilium")
    assert (cilium.namespace, cilium.source) == ("kube-system", "helm-release")
    agent = _object(cilium, "DaemonSet", "cilium")
    assert agent["metadata"]["namespace"] == "kube-system"
    assert _object(cilium, "Deployment", "cilium-operator")
    config = _object(cilium, "ConfigMap", "cilium-config")["data"]
    # The chart turns the program's kubeProxyReplacement into the agent's setting.
    assert config["kube-proxy-replacement"] == "true"
    assert config["enable-gateway-api"] == "true"


def test_a_value_the_program_sets_changes_what_runs(fresh_cache: Path) -> None:
    graph = _cilium_alone(graph_of("dev"), {"kubeProxyReplacement": False})
    expand(graph, "1.33", cache=fresh_cache)
    assert _object(_release(graph, "cilium"), "ConfigMap", "cilium-config")["data"]["kube-proxy-replacement"] == "false"


def test_the_cluster_capabilities_reach_the_templates(fresh_cache: Path) -> None:
    # Cilium renders its GatewayClass only when the cluster serves gateway.networking.k8s.io/v1/GatewayClass,
    # which it does because the program installs the Gateway API CRDs first.
    assert _object(_release(expanded_graph_of("dev"), "cilium"), "GatewayClass", "cilium")
    with_crds = _cilium_alone(graph_of("dev"))
    expand(with_crds, "1.33", cache=fresh_cache)
    assert _object(_release(with_crds, "cilium"), "GatewayClass", "cilium")
    without = _cilium_alone(graph_of("dev"), crds=False)
    expand(without, "1.33", cache=fresh_cache)
    assert not [o for o in _release(without, "cilium").objects if o["kind"] == "GatewayClass"]


def test_a_chart_refuses_a_cluster_too_old_for_it(fresh_cache: Path) -> None:
    graph = dataclasses.replace(graph_of("dev"), workloads=[])
    with pytest.raises(ExpansionError, match=r"requires Kubernetes >= ?1\.2\d\.0-0; the cluster runs v1\.20\.0"):
        expand(graph, "1.20", cache=fresh_cache)


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_cert_manager_with_its_webhook_and_crds(stack: str) -> None:
    release = _release(expanded_graph_of(stack), "cert-manager")
    webhook = _object(release, "Deployment", "cert-manager-webhook")
    assert webhook["metadata"]["namespace"] == release.namespace == "cert-manager"
    assert _object(release, "ValidatingWebhookConfiguration", "cert-manager-webhook")
    assert "namespace" not in _object(release, "ValidatingWebhookConfiguration", "cert-manager-webhook")["metadata"]
    # The program asks for the CRDs (crds.enabled): the chart only renders them when told to.
    assert _object(release, "CustomResourceDefinition", "certificates.cert-manager.io")


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_argo_cd_components(stack: str) -> None:
    release = _release(expanded_graph_of(stack), "argo-cd")
    for name in ("argocd-server", "argocd-repo-server"):
        assert _object(release, "Deployment", name)["metadata"]["namespace"] == release.namespace
    assert _object(release, "StatefulSet", "argocd-application-controller")
    assert _object(release, "CustomResourceDefinition", "applications.argoproj.io")


def test_argo_cd_high_availability_renders_the_redis_ha_subchart_without_its_tests(fresh_cache: Path) -> None:
    prod = _release(expanded_graph_of("prod"), "argo-cd")
    assert _object(prod, "StatefulSet", "argocd-redis-ha-server")  # the subchart, enabled in prod
    dev = _release(expanded_graph_of("dev"), "argo-cd")
    assert not [o for o in dev.objects if "redis-ha" in o["metadata"]["name"]]
    # The chart's own render of prod does hold the subchart's test pod; the expansion leaves it out.
    plan = next(p for p in installs(expanded_graph_of("prod")) if p.chart == "argo-cd")
    locked = chart_lock.archive(plan.chart, plan.version)
    request = chart_render.RenderRequest(
        locked.path, locked.sha256, plan.release, plan.namespace, plan.values, kube_version_of("1.33"), frozenset()
    )
    raw = chart_render.render(request, fresh_cache)
    tests = [o for o in raw if "test" in str((o["metadata"].get("annotations") or {}).get("helm.sh/hook", ""))]
    assert tests
    names = {(o["kind"], o["metadata"]["name"]) for o in prod.objects}
    assert not names & {(o["kind"], o["metadata"]["name"]) for o in tests}


def test_jupyterhub_application_expands_into_its_namespace_and_project() -> None:
    graph = expanded_graph_of("dev")
    release = _release(graph, "jupyterhub")
    application = graph.get(release.owner_urn).inputs
    assert release.source == "argocd-application"
    assert release.project == application["spec"]["project"]
    assert release.namespace == application["spec"]["destination"]["namespace"]
    # The chart sets no namespace on its objects: the expansion puts them where Argo CD would.
    hub = _object(release, "Deployment", "hub")
    assert hub["metadata"]["namespace"] == release.namespace
    # The program's valuesObject reaches the chart (the chart's default is a LoadBalancer).
    assert _object(release, "Service", "proxy-public")["spec"]["type"] == "ClusterIP"


def test_the_cache_answers_a_repeated_request(fresh_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = chart_lock.archive("jupyterhub", "4.3.2")
    request = chart_render.RenderRequest(locked.path, locked.sha256, "hub", "jh", {}, "v1.33.0", frozenset())
    first = chart_render.render(request, fresh_cache)
    assert len(list(fresh_cache.glob("*.json"))) == 1

    def no_helm(_: chart_render.RenderRequest) -> Iterator[dict[str, Any]]:
        raise AssertionError("rendered again instead of reading the cache")

    monkeypatch.setattr(chart_render, "_render_with_helm", no_helm)
    assert chart_render.render(request, fresh_cache) == first
    # Anything that changes the output changes the key: values, capabilities, the chart.
    for changed in (
        dataclasses.replace(request, values={"proxy": {"service": {"type": "ClusterIP"}}}),
        dataclasses.replace(request, kube_version="v1.34.0"),
        dataclasses.replace(request, api_versions=frozenset({"cilium.io/v2"})),
        dataclasses.replace(request, archive_sha256="0" * 64),
    ):
        assert changed.key() != request.key()


def test_a_damaged_cache_entry_is_rendered_again(fresh_cache: Path) -> None:
    locked = chart_lock.archive("jupyterhub", "4.3.2")
    request = chart_render.RenderRequest(locked.path, locked.sha256, "hub", "jh", {}, "v1.33.0", frozenset())
    first = chart_render.render(request, fresh_cache)
    entry = fresh_cache / f"{request.key()}.json"
    entry.write_text("{not json", encoding="utf-8")
    again = chart_render.render(request, fresh_cache)
    # The chart generates random secrets, so compare what was rendered, not every byte of it.
    assert [(o["kind"], o["metadata"]["name"]) for o in again] == [(o["kind"], o["metadata"]["name"]) for o in first]
    assert json.loads(entry.read_text(encoding="utf-8"))


def test_a_corrupted_archive_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: Path) -> None:
    graph = dataclasses.replace(graph_of("dev"), workloads=[])  # the program ran with the real lock
    for entry in chart_lock.load().charts.values():
        for archive in entry.archives.values():
            (tmp_path / archive.path.name).write_bytes(archive.path.read_bytes())
    lock = chart_lock.parse(yaml.safe_load(chart_lock.LOCK_FILE.read_text(encoding="utf-8")), tmp_path)
    with (tmp_path / "cilium-1.19.6.tgz").open("ab") as stream:
        stream.write(b"tampered")
    monkeypatch.setattr(chart_lock, "load", lambda path=None: lock)
    with pytest.raises(ExpansionError, match=r"cilium-1\.19\.6\.tgz has sha256 .* refusing an archive that was not reviewed"):
        expand(graph, "1.33", cache=fresh_cache)


@pytest.mark.parametrize(
    ("version", "constraint", "expected"),
    [
        ("v1.33.0", ">= 1.21.0-0", True),
        ("v1.20.9", ">= 1.21.0-0", False),
        ("v1.33.0", ">=1.25.0-0 <1.33.0", False),
        ("v1.32.4", ">=1.25.0-0, <1.33.0", True),
        ("v1.19.0", "<1.20 || >=1.30", True),
    ],
)
def test_kube_version_constraints(version: str, constraint: str, expected: bool) -> None:
    assert chart_render.satisfies(version, constraint) is expected


def test_a_constraint_it_cannot_read_is_refused_not_guessed() -> None:
    with pytest.raises(chart_render.ChartRenderError, match="cannot judge"):
        chart_render.satisfies("v1.33.0", "~1.33")


def _resource(type_: str, inputs: dict[str, Any], name: str = "r") -> RecordedResource:
    return RecordedResource(
        f"urn:pulumi:t::k8tre::{type_}::{name}",
        type_,
        name,
        "",
        "",
        (),
        True,
        inputs,
        Options(False, False, False, (), (), (), ()),
    )


def _application(source: dict[str, Any], namespace: str | None = "apps") -> RecordedResource:
    spec = {"project": "research-apps", "source": source, "destination": {"namespace": namespace}}
    return _resource(
        "kubernetes:argoproj.io/v1alpha1:Application", {"kind": "Application", "metadata": {"name": "app"}, "spec": spec}
    )


def _hub_source(**helm: Any) -> dict[str, Any]:
    return {"repoURL": "https://hub.jupyter.org/helm-chart/", "chart": "jupyterhub", "targetRevision": "4.3.2", "helm": helm}


def test_application_sources_are_read_as_argo_cd_reads_them() -> None:
    (plan,) = installs(Graph("k8tre", "t", [_application(_hub_source(values="proxy: {service: {type: NodePort}}"))]))
    # No releaseName: Argo CD names the release after the Application; values may be a YAML string.
    assert (plan.release, plan.namespace, plan.project) == ("app", "apps", "research-apps")
    assert plan.values == {"proxy": {"service": {"type": "NodePort"}}}
    git = {"repoURL": "https://github.com/example/config", "path": "apps", "targetRevision": "main"}
    assert installs(Graph("k8tre", "t", [_application(git)])) == []


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        (_application(_hub_source(parameters=[{"name": "a", "value": "b"}])), "helm parameters are not expanded"),
        (_application(_hub_source(), namespace=None), "no destination namespace"),
        (_application({**_hub_source(), "targetRevision": "9.9.9"}), r"jupyterhub 9\.9\.9 has no vendored archive"),
        (_application({**_hub_source(), "repoURL": "https://charts.example.org"}), "the lock's repository is"),
        (_resource("kubernetes:helm.sh/v3:Release", {"chart": "nginx", "version": "1.0.0"}), "'nginx' at '1.0.0' is not locked"),
        (
            _resource("kubernetes:helm.sh/v3:Release", {"chart": "charts/cilium-1.19.6.tgz", "version": "1.19.5"}),
            "the release says 1.19.5",
        ),
        (_resource("kubernetes:helm.sh/v3:Release", {"chart": "charts/cilium-9.tgz"}), "is not an archive in"),
    ],
)
def test_what_cannot_be_expanded_faithfully_is_refused(resource: RecordedResource, message: str) -> None:
    graph = Graph("k8tre", "t", [resource])
    with pytest.raises(ExpansionError, match=message):
        for plan in installs(graph):
            chart_lock.archive(plan.chart, plan.version)  # what _render asks first
            raise AssertionError("expected a refusal before rendering")


def test_crd_files_and_hooks_of_a_chart(tmp_path: Path, fresh_cache: Path) -> None:
    # None of the vendored charts ships a crds/ directory, so a small chart Helm loads shows that one is installed.
    chart = tmp_path / "demo"
    (chart / "templates").mkdir(parents=True)
    (chart / "crds").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n", encoding="utf-8")
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.org"},
    }
    (chart / "crds" / "widgets.yaml").write_text(yaml.safe_dump(crd), encoding="utf-8")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---# a comment right after the separator\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: t, annotations: {helm.sh/hook: test}}\n",
        encoding="utf-8",
    )
    archive = tmp_path / "demo-0.1.0.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(chart, arcname="demo")
    request = chart_render.RenderRequest(archive, "x" * 64, "demo", "ns", {}, "v1.33.0", frozenset())
    rendered = chart_render.render(request, fresh_cache)
    assert [(o["kind"], o["metadata"]["name"]) for o in rendered] == [
        ("CustomResourceDefinition", "widgets.example.org"),
        ("ConfigMap", "a"),
        ("Pod", "t"),  # Helm renders test hooks; the expansion drops them (see the redis-ha test)
    ]
    skipped = chart_render.render(dataclasses.replace(request, include_crds=False), fresh_cache)
    assert [o["kind"] for o in skipped] == ["ConfigMap", "Pod"]


def test_the_cluster_version_reaches_the_templates(fresh_cache: Path) -> None:
    # Cilium sets AppArmor through pod annotations below Kubernetes 1.30 and through the
    # securityContext field from 1.30 (templates/cilium-agent/daemonset.yaml): the version matters.
    def agent_annotations(version: str) -> dict[str, str]:
        graph = _cilium_alone(graph_of("dev"))
        expand(graph, version, cache=fresh_cache)
        return dict(
            _object(_release(graph, "cilium"), "DaemonSet", "cilium")["spec"]["template"]["metadata"].get("annotations") or {}
        )

    apparmor = "container.apparmor.security.beta.kubernetes.io/cilium-agent"
    assert agent_annotations("1.29")[apparmor] == "unconfined"
    assert apparmor not in agent_annotations("1.33")


def test_cilium_operator_crds_are_served_unless_the_chart_skips_creating_them() -> None:
    from k8tre.offline.capabilities import operator_crds, served_api_versions

    plans = installs(graph_of("dev"))
    served = served_api_versions(operator_crds(plans))
    assert {"cilium.io/v2", "cilium.io/v2/CiliumNetworkPolicy"} <= served
    skipping = [dataclasses.replace(p, values={**p.values, "operator": {"skipCRDCreation": True}}) for p in plans]
    assert not served_api_versions(operator_crds(skipping))
