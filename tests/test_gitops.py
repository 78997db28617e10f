"""GitOps delivery judged on the render: AppProjects as narrow as their Applications, teams kept to their own.

The test stacks ``teams-dev`` and ``teams-prod`` (``tests/stacks``) add teams and applications from
config to the dev and prod stacks; the judgements use Argo CD's own permission semantics
(``workload_checks.app_project``) on the expanded charts, and the upstream CRD schemas.
"""

from __future__ import annotations

import copy
import dataclasses
from functools import cache
from typing import Any

import pytest

from conftest import ROOT, expanded_graph_of
from k8tre.offline.engine import load, resolve, run
from k8tre.offline.expand import expand
from k8tre.offline.graph import Graph
from k8tre.offline.validation import validate_render
from k8tre.workload_checks.app_project import destination_permitted, kind_permitted
from k8tre.workload_checks.run import IN_CLUSTER, check_workloads

TEAM_STACKS = ("teams-dev", "teams-prod")
CLUSTER_KINDS = (
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("", "Namespace"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("*", "*"),
)


def _path(stack: str) -> str:
    return str(ROOT / "tests" / "stacks" / f"Pulumi.{stack}.yaml")


@cache
def _graph(stack: str) -> Graph:
    graph = run(resolve(_path(stack), ROOT))
    expand(graph, load(resolve(_path(stack), ROOT)).cluster.kubernetes_version)
    return graph


def _manifests(stack: str, kind: str) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in _graph(stack).manifests() if m.get("kind") == kind}


def _team_projects(stack: str) -> dict[str, dict[str, Any]]:
    return {name: p for name, p in _manifests(stack, "AppProject").items() if name.startswith("team-")}


def _platform_namespaces(stack: str) -> set[str]:
    """Every namespace the render creates outside the teams', and the system ones it never creates."""
    created = {
        name for name, ns in _manifests(stack, "Namespace").items() if "k8tre.io/team" not in (ns["metadata"].get("labels") or {})
    }
    return created | {"kube-system", "kube-public", "default", "argocd"}


@pytest.mark.parametrize("stack", TEAM_STACKS)
def test_every_application_and_project_validates_against_the_crd_schemas(stack: str) -> None:
    assert _manifests(stack, "Application") and _team_projects(stack)
    assert validate_render(_graph(stack), load(resolve(_path(stack), ROOT)).cluster.kubernetes_version) == []


@pytest.mark.parametrize("stack", TEAM_STACKS)
def test_the_workload_checks_pass_and_judge_the_team_applications(stack: str) -> None:
    report = check_workloads(_graph(stack), "1.35")
    assert report.errors == []
    assert report.examined["project-bounds"] >= 4


@pytest.mark.parametrize("stack", TEAM_STACKS)
@pytest.mark.parametrize(("group", "kind"), CLUSTER_KINDS)
def test_team_projects_permit_no_cluster_scoped_kind(stack: str, group: str, kind: str) -> None:
    for name, project in _team_projects(stack).items():
        assert not kind_permitted(project["spec"], group, kind, "anything", namespaced=False), (name, kind)


@pytest.mark.parametrize("stack", TEAM_STACKS)
def test_team_projects_reach_no_platform_namespace(stack: str) -> None:
    for name, project in _team_projects(stack).items():
        for namespace in _platform_namespaces(stack):
            assert not destination_permitted(project["spec"], IN_CLUSTER, namespace), (name, namespace)


@pytest.mark.parametrize("stack", TEAM_STACKS)
def test_a_team_syncs_its_own_applications_and_nothing_else(stack: str) -> None:
    config = load(resolve(_path(stack), ROOT))
    projects = _manifests(stack, "AppProject")
    for team in config.applications.teams:
        project = f"team-{team.name}"
        (role,) = projects[project]["spec"]["roles"]
        assert set(role["groups"]) == set(team.groups), "bound to exactly the team's groups"
        actions = {p.split(",")[3].strip() for p in role["policies"]}
        assert actions == {"get", "sync"}
        assert all(p.split(",")[4].strip() == f"{project}/*" for p in role["policies"]), role["policies"]
        for other, spec in ((n, p["spec"]) for n, p in projects.items() if n != project):
            for other_role in spec.get("roles") or ():
                assert not set(other_role["groups"]) & set(team.groups), f"{team.name}'s groups reach {other}"


def test_the_platform_project_is_for_administrators_only() -> None:
    config = load(resolve(_path("teams-prod"), ROOT))
    sso = config.agnostics.argocd.sso
    assert sso is not None
    (role,) = _manifests("teams-prod", "AppProject")["platform"]["spec"]["roles"]
    assert role["groups"] == list(sso.admin_groups)


def test_each_team_project_permits_exactly_the_kinds_its_chart_renders() -> None:
    graph = _graph("teams-dev")
    (release,) = [r for r in graph.workloads if r.project == "team-analytics"]
    rendered = {(o["apiVersion"].rpartition("/")[0], o["kind"]) for o in release.objects}
    listed = {
        (e["group"], e["kind"]) for e in _team_projects("teams-dev")["team-analytics"]["spec"]["namespaceResourceWhitelist"]
    }
    assert listed == rendered


def test_the_research_project_permits_exactly_what_jupyterhub_renders() -> None:
    graph = expanded_graph_of("dev")
    (release,) = [r for r in graph.workloads if r.project == "research-apps"]
    rendered = {(o["apiVersion"].rpartition("/")[0], o["kind"]) for o in release.objects}
    (project,) = [m for m in graph.manifests() if m.get("kind") == "AppProject" and m["metadata"]["name"] == "research-apps"]
    assert {(e["group"], e["kind"]) for e in project["spec"]["namespaceResourceWhitelist"]} == rendered


def test_sync_policy_by_environment() -> None:
    dev = _manifests("teams-dev", "Application")["analytics-logs"]["spec"]["syncPolicy"]
    assert dev["automated"] == {"prune": True, "selfHeal": True}
    prod = _manifests("teams-prod", "Application")
    assert prod["analytics-logs"]["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert "automated" not in prod["imaging-viewer"]["spec"]["syncPolicy"], "prod syncs by hand unless config says so"
    windows = _team_projects("teams-prod")["team-analytics"]["spec"]["syncWindows"]
    assert windows == [
        {"kind": "allow", "schedule": "0 22 * * 1-5", "duration": "2h", "applications": ["*"], "manualSync": False}
    ]


def test_deletion_cleans_up_and_ordering_follows_dependencies() -> None:
    graph = _graph("teams-prod")
    apps = {r.inputs["metadata"]["name"]: r for r in graph.resources if r.inputs.get("kind") == "Application"}
    assert all("resources-finalizer.argocd.argoproj.io" in a.inputs["metadata"]["finalizers"] for a in apps.values())
    viewer, logs = apps["imaging-viewer"], apps["analytics-logs"]
    assert logs.urn in viewer.dependencies, "a declared dependency is a Pulumi dependency"
    assert viewer.urn not in logs.dependencies
    assert not any("sync-wave" in str(a.inputs["metadata"].get("annotations")) for a in apps.values())


def test_revisions_prod_a_tag_dev_the_branch_charts_their_version() -> None:
    dev = _manifests("teams-dev", "Application")["analytics-logs"]["spec"]["source"]
    assert (dev["chart"], dev["targetRevision"]) == ("victoria-logs-single", "0.13.8")
    viewer = _manifests("teams-prod", "Application")["imaging-viewer"]["spec"]["source"]
    assert viewer == {
        "repoURL": "https://github.com/example-org/imaging-deploy.git",
        "path": "viewer",
        "targetRevision": "v1.4.0",
    }


def _mutated(stack: str) -> Graph:
    graph = dataclasses.replace(_graph(stack))
    graph.workloads = copy.deepcopy(graph.workloads)
    return graph


def _team_release(graph: Graph) -> int:
    return next(i for i, r in enumerate(graph.workloads) if r.project == "team-analytics")


def _with_objects(graph: Graph, objects: list[dict[str, Any]]) -> list[str]:
    i = _team_release(graph)
    graph.workloads[i] = dataclasses.replace(graph.workloads[i], objects=tuple(objects))
    return [str(f) for f in check_workloads(graph, "1.35").errors]


def _object(kind: str, api: str = "v1", namespace: str | None = "team-analytics-logs") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "x"}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": api, "kind": kind, "metadata": meta}


MUTATED_RENDERS = {
    "cluster-scoped kind": (_object("ClusterRole", "rbac.authorization.k8s.io/v1", None), "cluster-scoped kind"),
    "kind not whitelisted": (_object("ConfigMap"), "not permitted by AppProject 'team-analytics'"),
    "namespace not a destination": (_object("Service", namespace="jupyterhub"), "not a destination"),
}


@pytest.mark.parametrize("case", sorted(MUTATED_RENDERS))
def test_an_object_the_project_does_not_permit_fails_the_check(case: str) -> None:
    extra, expected = MUTATED_RENDERS[case]
    graph = _mutated("teams-dev")
    errors = _with_objects(graph, [*graph.workloads[_team_release(graph)].objects, extra])
    assert any(expected in e for e in errors), errors


def test_a_whitelisted_kind_no_application_renders_fails_the_check() -> None:
    graph = _mutated("teams-dev")
    kept = [o for o in graph.workloads[_team_release(graph)].objects if o["kind"] != "ServiceAccount"]
    errors = _with_objects(graph, kept)
    assert any("permits core/ServiceAccount, which none of its applications renders" in e for e in errors), errors


def test_a_prod_stack_with_a_branch_exits_2_naming_the_application_and_the_file() -> None:
    from typer.testing import CliRunner

    from k8tre.cli import app

    bad = ROOT / "tests" / "config" / "azure.bad.prod-branch-revision.yaml"
    result = CliRunner().invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert str(bad) in result.output
    assert "application 'imaging-viewer' cannot go to prod from revision 'feature/new-viewer'" in result.output


@pytest.mark.parametrize(
    ("revision", "refused"),
    [
        ("main", True),
        ("HEAD", True),
        ("feature/x", True),
        ("release-1", True),
        ("0123456789abcdef", True),
        ("v1.2.0", False),
        ("2025.10.1", False),
        ("0123456789abcdef0123456789abcdef01234567", False),
    ],
)
def test_prod_takes_release_tags_and_commit_shas_only(revision: str, refused: bool) -> None:
    from k8tre.config.delivery import prod_revision_problem

    assert (prod_revision_problem(revision) is not None) == refused


@pytest.mark.parametrize("stack", ["dev", "prod", *TEAM_STACKS])
def test_the_default_project_permits_nothing_by_argo_cds_rules(stack: str) -> None:
    graph = _graph(stack) if stack in TEAM_STACKS else expanded_graph_of(stack)
    (default,) = [m for m in graph.manifests() if m.get("kind") == "AppProject" and m["metadata"]["name"] == "default"]
    spec = default["spec"]
    assert spec["sourceRepos"] == []
    for namespace in ("default", "jupyterhub", "team-analytics-logs", "kube-system"):
        assert not destination_permitted(spec, IN_CLUSTER, namespace)
    for group, kind in [*CLUSTER_KINDS, ("apps", "Deployment"), ("", "ConfigMap")]:
        assert not kind_permitted(spec, group, kind, "x", namespaced=True)
        assert not kind_permitted(spec, group, kind, "x", namespaced=False)
