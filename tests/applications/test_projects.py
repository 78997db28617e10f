"""Research projects: each namespace's guard rails, data volumes and spawner RBAC, read from the render.

And JupyterHub's side, read from what the hub itself will load: the chart's rendered
``hub`` Secret (``values.yaml``, which z2jh's ``jupyterhub_config.py`` reads), whose
``hub.extraConfig`` is executed here as the hub executes it, against stand-in users.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import sys
import types
from typing import Any

import pytest
import yaml

from conftest import expanded_graph_of, graph_of
from k8tre.offline.graph import Graph
from k8tre.policies.rules.resilience import protected_state

PROJECTS = ("genomics-demo", "imaging-demo")
KUBESPAWNER_VERBS = {
    "pods": {"get", "list", "watch", "create", "delete"},
    "persistentvolumeclaims": {"get", "create"},
    "events": {"get", "list", "watch"},
}


def _objects(graph: Graph, kind: str, namespace: str | None = None) -> list[Any]:
    return [
        r
        for r in graph.kubernetes_objects()
        if r.inputs.get("kind") == kind and (namespace is None or (r.inputs.get("metadata") or {}).get("namespace") == namespace)
    ]


def _named(graph: Graph, kind: str, namespace: str | None, name: str) -> Any:
    found = [r for r in _objects(graph, kind, namespace) if r.inputs["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind} {namespace}/{name}: {len(found)} found"
    return found[0]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_project_namespace_is_restricted_bounded_and_holds_its_volumes(stack: str) -> None:
    graph = graph_of(stack)
    for project in PROJECTS:
        ns = f"project-{project}"
        labels = _named(graph, "Namespace", None, ns).inputs["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
        hard = _named(graph, "ResourceQuota", ns, "project-quota").inputs["spec"]["hard"]
        assert {"requests.cpu", "limits.cpu", "requests.memory", "limits.memory", "requests.nvidia.com/gpu"} <= set(hard)
        assert {"requests.storage", "persistentvolumeclaims", "pods"} <= set(hard)
        limits = _named(graph, "LimitRange", ns, "project-limits").inputs["spec"]["limits"]
        assert {item["type"] for item in limits} == {"Container", "PersistentVolumeClaim"}
        for claim in ("project-shared", "project-input"):
            spec = _named(graph, "PersistentVolumeClaim", ns, claim).inputs["spec"]
            assert spec["accessModes"] == ["ReadWriteMany"] and spec["storageClassName"] == "rwx-default"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_hub_may_spawn_in_each_project_namespace_and_nowhere_else(stack: str) -> None:
    graph = expanded_graph_of(stack)
    for project in PROJECTS:
        ns = f"project-{project}"
        role = _named(graph, "Role", ns, "jupyterhub-spawner").inputs
        granted = {resource: set(rule["verbs"]) for rule in role["rules"] for resource in rule["resources"]}
        assert granted == KUBESPAWNER_VERBS
        assert all(rule["apiGroups"] == [""] for rule in role["rules"])
        binding = _named(graph, "RoleBinding", ns, "jupyterhub-spawner").inputs
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "hub", "namespace": "jupyterhub"}]
        assert binding["roleRef"]["kind"] == "Role"
    # Nothing grants the hub anything cluster-wide, nor in its own namespace (the chart's Role is off).
    everything = [*graph.kubernetes_objects()]
    chart = [o for release in graph.workloads for o in release.objects]
    bindings = [r.inputs for r in everything if r.inputs.get("kind") in ("ClusterRoleBinding", "RoleBinding")]
    bindings += [o for o in chart if o.get("kind") in ("ClusterRoleBinding", "RoleBinding")]
    to_hub = [
        b for b in bindings if any(s.get("name") == "hub" and s.get("namespace") == "jupyterhub" for s in b.get("subjects") or [])
    ]
    assert {(b["kind"], b["metadata"].get("namespace")) for b in to_hub} == {("RoleBinding", f"project-{p}") for p in PROJECTS}


def test_project_data_is_protected_in_prod_only() -> None:
    for stack, expected in (("dev", False), ("prod", True)):
        graph = graph_of(stack)
        held = [_named(graph, "Namespace", None, f"project-{p}") for p in PROJECTS]
        held += [r for p in PROJECTS for r in _objects(graph, "PersistentVolumeClaim", f"project-{p}")]
        assert len(held) == 6
        assert all(r.options.protect is expected for r in held), stack


def test_an_unprotected_project_volume_in_prod_is_refused() -> None:
    graph = copy.deepcopy(graph_of("prod"))
    assert not protected_state(graph).violations
    volume = _named(graph, "PersistentVolumeClaim", "project-genomics-demo", "project-input")
    graph.resources[graph.resources.index(volume)] = dataclasses.replace(
        volume, options=dataclasses.replace(volume.options, protect=False)
    )
    assert any("project-genomics-demo/project-input" in v.message for v in protected_state(graph).violations)


def hub_values(stack: str) -> dict[str, Any]:
    """The values the hub reads at start: the chart's rendered ``hub`` Secret."""
    graph = expanded_graph_of(stack)
    (release,) = [r for r in graph.workloads if r.chart == "jupyterhub"]
    (secret,) = [o for o in release.objects if o.get("kind") == "Secret" and o["metadata"]["name"] == "hub"]
    loaded: dict[str, Any] = yaml.safe_load(base64.b64decode(secret["data"]["values.yaml"]))
    return loaded


class _Config(dict[str, types.SimpleNamespace]):
    """Enough of traitlets' ``Config``: ``c.KubeSpawner.x = ...`` and reading it back."""

    def __getattr__(self, name: str) -> types.SimpleNamespace:
        return self.setdefault(name, types.SimpleNamespace())


def load_hub(values: dict[str, Any]) -> _Config:
    """What z2jh's jupyterhub_config.py does with the profile list and extraConfig (in its order)."""
    c = _Config()
    if values["singleuser"].get("profileList") is not None:
        c.KubeSpawner.profile_list = values["singleuser"]["profileList"]  # set_config_if_not_none(..., "profile_list")
    for _key, code in sorted((values["hub"].get("extraConfig") or {}).items()):
        exec(compile(code, _key, "exec"), {"c": c})
    return c


def spawner_for(*groups: str) -> Any:
    user = types.SimpleNamespace(name="alice", groups=[types.SimpleNamespace(name=g) for g in groups])
    return types.SimpleNamespace(user=user)


@pytest.fixture
def fake_tornado(monkeypatch: pytest.MonkeyPatch) -> type[Exception]:
    """``tornado.web.HTTPError`` (tornado is the hub's, not this project's dependency)."""

    class HTTPError(Exception):
        def __init__(self, status: int, message: str) -> None:
            super().__init__(status, message)
            self.status = status

    web = types.ModuleType("tornado.web")
    web.HTTPError = HTTPError  # type: ignore[attr-defined]
    tornado = types.ModuleType("tornado")
    tornado.web = web  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tornado", tornado)
    monkeypatch.setitem(sys.modules, "tornado.web", web)
    return HTTPError


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_user_sees_only_their_projects_and_lands_in_their_namespace(stack: str, fake_tornado: type[Exception]) -> None:
    c = load_hub(hub_values(stack))
    profiles = c.KubeSpawner.profile_list
    assert callable(profiles), "the hub filters profiles per user"
    genomics = profiles(spawner_for("project-genomics-demo", "unrelated"))
    assert [p["kubespawner_override"]["namespace"] for p in genomics] == ["project-genomics-demo"]
    both = profiles(spawner_for("project-genomics-demo", "project-imaging-demo"))
    assert {p["kubespawner_override"]["namespace"] for p in both} == {f"project-{p}" for p in PROJECTS}
    assert profiles(spawner_for("tre-admins")) == []
    # Without a project nobody spawns (never into the hub's namespace with the spawner's defaults).
    with pytest.raises(fake_tornado):
        c.KubeSpawner.pre_spawn_hook(spawner_for("tre-admins"))
    c.KubeSpawner.pre_spawn_hook(spawner_for("project-imaging-demo"))


def test_a_profile_sent_to_another_namespace_than_its_group_is_caught(fake_tornado: type[Exception]) -> None:
    values = hub_values("dev")
    for profile in values["singleuser"]["profileList"]:
        profile["kubespawner_override"]["namespace"] = "project-imaging-demo"
    c = load_hub(values)
    landed = {p["kubespawner_override"]["namespace"] for p in c.KubeSpawner.profile_list(spawner_for("project-genomics-demo"))}
    assert landed != {"project-genomics-demo"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_workspaces_are_restricted_tokenless_sized_and_mount_the_project_data(stack: str) -> None:
    values = hub_values(stack)
    spawner = values["hub"]["config"]["KubeSpawner"]
    assert spawner["automount_service_account_token"] is False
    container = spawner["container_security_context"]
    assert container["runAsNonRoot"] is True and container["allowPrivilegeEscalation"] is False
    assert container["capabilities"] == {"drop": ["ALL"]} and container["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spawner["pod_security_context"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spawner["delete_pvc"] is False and spawner["remember_pvc_name"] is False
    for profile in values["singleuser"]["profileList"]:
        override = profile["kubespawner_override"]
        assert {"cpu_limit", "cpu_guarantee", "mem_limit", "mem_guarantee", "image", "storage_capacity"} <= set(override)
        assert not override["image"].endswith(":latest")
    storage = values["singleuser"]["storage"]
    assert storage["type"] == "dynamic" and "{user_server}" in storage["dynamic"]["pvcNameTemplate"]
    mounts = {m["name"]: m for m in storage["extraVolumeMounts"]}
    volumes = {v["name"]: v for v in storage["extraVolumes"]}
    assert mounts["input"]["readOnly"] is True and volumes["input"]["persistentVolumeClaim"]["readOnly"] is True
    assert volumes["shared"]["persistentVolumeClaim"]["claimName"] == "project-shared"
    assert values["cull"]["enabled"] is True and values["cull"]["timeout"] <= 3600
    assert values["rbac"]["create"] is False
    oauth = values["hub"]["config"]["GenericOAuthenticator"]
    assert oauth["manage_groups"] is True and set(oauth["allowed_groups"]) == {f"project-{p}" for p in PROJECTS}


def test_the_jupyterhub_namespace_is_restricted_now_that_notebooks_run_elsewhere() -> None:
    labels = _named(graph_of("prod"), "Namespace", None, "jupyterhub").inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_a_decommission_decision_releases_protection_as_decided(tmp_path: Any) -> None:
    from conftest import ROOT
    from k8tre.offline.engine import resolve, run

    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    projects = document["config"]["k8tre:applications"]["projects"]
    projects[0]["decommission"] = "retain"  # genomics-demo: Pulumi forgets it, the cluster keeps it
    projects[1]["decommission"] = "delete"  # imaging-demo: unprotected, deleted with its entry
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(document))
    graph = run(resolve(str(path), ROOT))
    for project, retain in (("genomics-demo", True), ("imaging-demo", False)):
        ns = f"project-{project}"
        held = [_named(graph, "Namespace", None, ns), *_objects(graph, "PersistentVolumeClaim", ns)]
        assert len(held) == 3
        assert all(not r.options.protect and r.options.retain_on_delete is retain for r in held), project
        assert all(r.inputs["metadata"]["labels"]["k8tre.io/decommission"] in ("retain", "delete") for r in held)
        # A retired project gets no workspaces: the hub may no longer spawn there.
        assert not _objects(graph, "Role", ns) and not _objects(graph, "RoleBinding", ns)
    assert not protected_state(graph).violations
    (app,) = [
        r
        for r in graph.kubernetes_objects()
        if r.inputs.get("kind") == "Application" and r.inputs["spec"]["destination"]["namespace"] == "jupyterhub"
    ]
    assert app.inputs["spec"]["source"]["helm"]["valuesObject"]["singleuser"]["profileList"] == []


def workspace_pod(values: dict[str, Any]) -> dict[str, Any]:
    """The pod KubeSpawner makes from the hub's config (kubespawner ``objects.py`` ``make_pod``).

    ``fs_gid`` then ``pod_security_context`` become the pod's security context; ``uid`` and
    ``allow_privilege_escalation`` then ``container_security_context`` the notebook container's.
    """
    singleuser, spawner = values["singleuser"], values["hub"]["config"]["KubeSpawner"]
    storage = singleuser["storage"]
    container_context: dict[str, Any] = {
        "runAsUser": singleuser["uid"],
        "allowPrivilegeEscalation": singleuser["allowPrivilegeEscalation"],
    }
    container_context.update(spawner["container_security_context"])
    mounts = [{"name": "home", "mountPath": storage["homeMountPath"]}, *storage["extraVolumeMounts"]]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "jupyter-alice"},
        "spec": {
            "automountServiceAccountToken": spawner["automount_service_account_token"],
            "securityContext": {"fsGroup": singleuser["fsGid"], **spawner["pod_security_context"]},
            "containers": [{"name": "notebook", "image": "x", "securityContext": container_context, "volumeMounts": mounts}],
            "volumes": [{"name": "home", "persistentVolumeClaim": {"claimName": "home-alice"}}, *storage["extraVolumes"]],
        },
    }


def test_a_workspace_pod_passes_pod_security_restricted() -> None:
    from k8tre.workload_checks.pod_security import refusals
    from k8tre.workload_checks.pods import pod_template

    values = hub_values("prod")
    template = pod_template(workspace_pod(values))
    assert template is not None and refusals(template, "restricted", 33) == []
    values["hub"]["config"]["KubeSpawner"]["container_security_context"]["capabilities"] = {"drop": []}
    worse = pod_template(workspace_pod(values))
    assert worse is not None and any(r.startswith("Capabilities") for r in refusals(worse, "restricted", 33))
