"""Images: every container runs an image pinned by tag (never ``latest``) or digest.

An image reference is ``[registry[:port]/]path[:tag][@digest]``; without a tag the runtime
pulls ``latest`` (Kubernetes docs, "Images": "If you don't specify a tag, Kubernetes assumes
you mean the tag latest", https://kubernetes.io/docs/concepts/containers/images/#image-names).
A tag can be moved to other content; only a digest fixes what runs, so images without a
digest are reported separately as advisories (an air-gapped mirror pins them instead).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..offline.workloads import ExpandedRelease
from .findings import Finding, object_ref
from .pods import containers, pod_template


@dataclass(frozen=True)
class ImageReference:
    """An image reference split into its parts."""

    name: str
    """Registry and repository path."""
    tag: str
    """The tag ('' when none is given)."""
    digest: str
    """The digest ('' when none is given)."""


def parse_image(reference: str) -> ImageReference:
    """Split ``reference``; a ``:`` after the last ``/`` starts the tag (one before it is a registry port)."""
    rest, _, digest = reference.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        return ImageReference(rest[:colon], rest[colon + 1 :], digest)
    return ImageReference(rest, "", digest)


def object_images(obj: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(container, image)`` for every container of a workload object's pod template."""
    pod = pod_template(obj)
    if pod is None:
        return []
    return [(f"{field}[{c.get('name', '?')}]", str(c.get("image", ""))) for field, c in containers(pod.spec)]


def check_images(releases: Iterable[ExpandedRelease], manifests: Iterable[Mapping[str, Any]] = ()) -> list[Finding]:
    """Images without a usable tag or digest (errors), and images without a digest (advisories)."""
    findings: list[Finding] = []
    sources = [("", obj) for obj in manifests] + [(f"{r.name}: ", obj) for r in releases for obj in r.objects]
    for prefix, obj in sources:
        for container, image in object_images(obj):
            subject = f"{prefix}{object_ref(obj)} {container}"
            ref = parse_image(image)
            if not image:
                findings.append(Finding("image", subject, "no image"))
            elif not ref.digest and ref.tag in ("", "latest"):
                findings.append(Finding("image", subject, f"{image} is not pinned (no tag, or 'latest', and no digest)"))
            elif not ref.digest:
                findings.append(Finding("image", subject, f"{image} has no digest", advisory=True))
    return findings


OPERATOR_KINDS = ("Prometheus", "Alertmanager")
"""Custom resources whose ``spec.image`` an operator runs as a StatefulSet of its own (Prometheus Operator API,
``PrometheusSpec.image`` and ``AlertmanagerSpec.image``): no pod template in the render names those images."""


def operated_images(objects: Iterable[Mapping[str, Any]]) -> list[str]:
    """Images an operator starts from a rendered custom resource (Prometheus and Alertmanager)."""
    return [
        str(obj["spec"]["image"])
        for obj in objects
        if obj.get("kind") in OPERATOR_KINDS
        and str(obj.get("apiVersion", "")).startswith("monitoring.coreos.com/")
        and (obj.get("spec") or {}).get("image")
    ]


def images_in(releases: Iterable[ExpandedRelease], manifests: Iterable[Mapping[str, Any]] = ()) -> list[str]:
    """Every distinct image the stack runs: the list an operator mirrors into an air-gapped registry.

    Pod templates' images, and the images operators start from rendered custom resources.
    """
    objects = [*manifests, *(obj for r in releases for obj in r.objects)]
    return sorted({image for obj in objects for _, image in object_images(obj) if image} | set(operated_images(objects)))


def spawned_images(chart_values: Iterable[tuple[str, Mapping[str, Any]]]) -> list[str]:
    """Images JupyterHub starts at run time, which no rendered pod template names.

    ``chart_values`` is (chart name, values) of each release or Application. For z2jh the single-user image is
    ``singleuser.image.name:tag`` and each profile may override it with ``kubespawner_override.image``
    (z2jh docs, "Customizing User Environment"; KubeSpawner ``image`` trait).
    """
    found: set[str] = set()
    for chart, values in chart_values:
        if chart != "jupyterhub":
            continue
        singleuser = values.get("singleuser") or {}
        image = singleuser.get("image") or {}
        if image.get("name"):
            found.add(f"{image['name']}:{image['tag']}" if image.get("tag") else str(image["name"]))
        for profile in singleuser.get("profileList") or []:
            override = (profile.get("kubespawner_override") or {}).get("image")
            if override:
                found.add(str(override))
    return sorted(found)
