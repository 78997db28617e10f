"""The admission rules as data: each rule's CEL for the API server, and its twin in Python for the checks.

Kubernetes evaluates a ValidatingAdmissionPolicy's CEL itself (GA in 1.30; Kubernetes docs,
"Validating Admission Policy", https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/).
No CEL interpreter is in the locked environment, so every rule has a Python twin written to
the same logic, and the tests hold the twin to the render (every pod the charts really run is
admitted) and to harmful changes (a pod with a hostPath or a foreign image is refused). A rule's
CEL and its twin sit next to each other here so that a change to one is seen beside the other.

All rules match Pods (and the ``pods/ephemeralcontainers`` subresource, through which
``kubectl debug`` adds containers): every controller's pods pass through this admission, so
a workload cannot route around it, as with Pod Security admission.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..workload_checks.images import parse_image
from ..workload_checks.pods import containers

LAYER_LABEL = "k8tre.io/layer"
"""Label ``platform_namespace`` puts on every namespace the program creates (``agnostics``, ``applications``)."""
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
ALLOWED_REGISTRIES_VARIABLE = "allowedRegistries"
"""The policy variable holding the allow-list: a CEL list literal of strings, which is also JSON."""

_CONTAINERS = (
    "object.spec.containers"
    " + (has(object.spec.initContainers) ? object.spec.initContainers : [])"
    " + (has(object.spec.ephemeralContainers) ? object.spec.ephemeralContainers : [])"
)
"""Every container of the pod: a PodSpec's three container lists (the two optional ones guarded with has())."""
_IMAGES = "variables.containers.map(c, c.image)"
_ALLOWED = "variables.allowedRegistries.exists(r, i.startsWith(r + '/'))"
_PINNED = "i.contains('@') || (i.substring(i.lastIndexOf('/') + 1).contains(':') && !i.endsWith(':latest'))"
"""A digest, or a tag after the last ``/`` (a ``:`` before it is a registry port) that is not ``latest``;
``lastIndexOf`` and ``substring`` come from the CEL strings extension Kubernetes enables."""
_PRIVILEGED = "has(c.securityContext) && has(c.securityContext.privileged) && c.securityContext.privileged"

Selector = Mapping[str, Any]
"""A metav1.LabelSelector as plain data."""


@dataclass(frozen=True)
class AdmissionRule:
    """One ValidatingAdmissionPolicy, the namespaces its binding selects, and its Python twin."""

    name: str
    """The policy's and the binding's name."""
    why: str
    """What it prevents, for operators (shown in the catalogue and docs)."""
    namespaces: Selector
    """The binding's namespaceSelector."""
    variables: tuple[tuple[str, str], ...]
    """``(name, CEL)`` of each policy variable, in order (later ones may read earlier ones)."""
    expression: str
    """The CEL validation: true admits the pod."""
    message: str
    """The CEL ``messageExpression`` that names what was refused."""
    refuse: Callable[[Mapping[str, Any], Sequence[str]], list[str]]
    """The twin: what in this pod spec the rule refuses, given the allowed registries (empty: admitted)."""


def cel_string_list(values: Sequence[str]) -> str:
    """A CEL list literal of strings; JSON's string syntax is a subset of CEL's, so ``json.dumps`` writes it."""
    return json.dumps(list(values))


def allowed_registries_of(variables: Sequence[Mapping[str, Any]]) -> list[str]:
    """The allow-list back out of a rendered policy's variables (what the checks judge with)."""
    for variable in variables:
        if variable.get("name") == ALLOWED_REGISTRIES_VARIABLE:
            return [str(value) for value in json.loads(str(variable["expression"]))]
    return []


def _images(spec: Mapping[str, Any]) -> list[str]:
    return [str(container.get("image", "")) for _, container in containers(spec)]


def from_allowed_registry(image: str, registries: Sequence[str]) -> bool:
    """The image names its registry and that registry (or registry path) is on the list."""
    return any(image.startswith(registry + "/") for registry in registries)


def _foreign_images(spec: Mapping[str, Any], registries: Sequence[str]) -> list[str]:
    return [f"{image} is not from an allowed registry" for image in _images(spec) if not from_allowed_registry(image, registries)]


def _unpinned_images(spec: Mapping[str, Any], _: Sequence[str]) -> list[str]:
    refused = []
    for image in _images(spec):
        ref = parse_image(image)
        if not ref.digest and ref.tag in ("", "latest"):
            refused.append(f"{image} has no tag or digest, or is tagged latest")
    return refused


def _host_path_volumes(spec: Mapping[str, Any], _: Sequence[str]) -> list[str]:
    return [f"volume {v.get('name')} is a hostPath" for v in spec.get("volumes") or () if "hostPath" in v]


def _privileged_containers(spec: Mapping[str, Any], _: Sequence[str]) -> list[str]:
    return [
        f"{field} {c.get('name')} is privileged"
        for field, c in containers(spec)
        if (c.get("securityContext") or {}).get("privileged") is True
    ]


PLATFORM_NAMESPACES: Selector = {"matchExpressions": [{"key": LAYER_LABEL, "operator": "Exists"}]}
"""Every namespace the program creates. ``kube-system`` is left out: the cloud installs and updates its
own add-ons there (AKS from mcr.microsoft.com, EKS from its regional ECR), outside this program's review."""
WORKLOAD_NAMESPACES: Selector = {"matchExpressions": [{"key": LAYER_LABEL, "operator": "In", "values": ["applications"]}]}
"""Application and research project namespaces: where researchers' and applications' pods run."""
NOT_REVIEWED_PRIVILEGED: Selector = {"matchExpressions": [{"key": ENFORCE_LABEL, "operator": "NotIn", "values": ["privileged"]}]}
"""Every namespace except those reviewed as privileged (``platform_namespace`` demands a reason for that
level). ``NotIn`` also matches a namespace without the label, where Pod Security admission would admit
anything (its default level is ``privileged``): this rule closes that gap."""

RULES: tuple[AdmissionRule, ...] = (
    AdmissionRule(
        name="k8tre-allowed-registries",
        why="images only from the allowed registries (k8tre:agnostics.admission.allowedRegistries)",
        namespaces=PLATFORM_NAMESPACES,
        variables=(("containers", _CONTAINERS), ("images", _IMAGES)),
        expression=f"variables.images.all(i, {_ALLOWED})",
        message=f"'images from registries not on the allow-list: ' + variables.images.filter(i, !({_ALLOWED})).join(', ')",
        refuse=_foreign_images,
    ),
    AdmissionRule(
        name="k8tre-pinned-images",
        why="every image pinned by a tag other than latest, or by digest",
        namespaces=PLATFORM_NAMESPACES,
        variables=(("containers", _CONTAINERS), ("images", _IMAGES)),
        expression=f"variables.images.all(i, {_PINNED})",
        message=f"'images without a tag or digest, or tagged latest: ' + variables.images.filter(i, !({_PINNED})).join(', ')",
        refuse=_unpinned_images,
    ),
    AdmissionRule(
        name="k8tre-no-host-path",
        why="no hostPath volumes in application and project namespaces",
        namespaces=WORKLOAD_NAMESPACES,
        variables=(),
        expression="!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))",
        message="'hostPath volumes are refused here: ' + "
        "object.spec.volumes.filter(v, has(v.hostPath)).map(v, v.name).join(', ')",
        refuse=_host_path_volumes,
    ),
    AdmissionRule(
        name="k8tre-no-privileged",
        why="no privileged containers outside namespaces reviewed as privileged",
        namespaces=NOT_REVIEWED_PRIVILEGED,
        variables=(("containers", _CONTAINERS),),
        expression=f"variables.containers.all(c, !({_PRIVILEGED}))",
        message="'privileged containers are refused here: ' + "
        f"variables.containers.filter(c, {_PRIVILEGED}).map(c, c.name).join(', ')",
        refuse=_privileged_containers,
    ),
)
"""The guard rails. Each is cheap for the API server: a pass over a pod's containers or volumes."""


def selects(selector: Selector, labels: Mapping[str, str]) -> bool:
    """metav1.LabelSelector semantics: every matchLabels pair and every matchExpression holds.

    ``NotIn`` and ``DoesNotExist`` hold for a namespace without the key (Kubernetes docs, "Labels and
    Selectors", set-based requirements).
    """
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for requirement in selector.get("matchExpressions") or ():
        key, operator, values = requirement["key"], requirement["operator"], requirement.get("values") or ()
        present = key in labels
        held = {
            "In": present and labels.get(key) in values,
            "NotIn": not present or labels.get(key) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }[operator]
        if not held:
            return False
    return True
