"""A project's research data in prod: its namespace and volumes are kept unless the stack file decided otherwise.

Part of ``protected-state``: a project namespace (``k8tre.io/project``) and every volume
claim the program makes must be protected in prod, or carry the project's recorded
decommission decision (``k8tre.io/decommission``): ``retain`` keeps them in the cluster
when Pulumi forgets them (``retainOnDelete``), ``delete`` is the operator's written choice.
"""

from __future__ import annotations

from ...offline.graph import Graph
from ..facts import objects
from ..registry import Evaluation

PROJECT_LABEL = "k8tre.io/project"
DECOMMISSION_LABEL = "k8tre.io/decommission"


def project_data_kept(result: Evaluation, graph: Graph) -> None:
    """Adds a check per project namespace and per volume claim of the program's own."""
    held = [n for n in objects(graph, "Namespace") if PROJECT_LABEL in ((n.inputs.get("metadata") or {}).get("labels") or {})]
    for resource in [*held, *objects(graph, "PersistentVolumeClaim")]:
        metadata = resource.inputs.get("metadata") or {}
        decision = (metadata.get("labels") or {}).get(DECOMMISSION_LABEL)
        kept = resource.options.protect or (decision == "retain" and resource.options.retain_on_delete) or decision == "delete"
        name = f"{metadata.get('namespace', '')}/{metadata.get('name')}".lstrip("/")
        result.check(
            resource.urn,
            kept,
            f"{resource.inputs.get('kind')} {name} holds research data and is neither protected nor covered by a "
            "decommission decision in the stack file",
        )
