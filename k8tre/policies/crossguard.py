"""Adapting CrossGuard's view of a stack to the graph the rules read, so both run the same rules.

Only duck-typed attributes of ``pulumi_policy.PolicyResource`` are used, so this
module imports nothing from pulumi-policy and is tested without starting a pack.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..offline.graph import Graph, Options, RecordedResource


def _plain(value: Any) -> Any:
    # CrossGuard hands props over as read-only proxies; rules want plain dicts and lists.
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def graph_from_policy_resources(resources: Iterable[Any], *, project: str = "k8tre", stack: str = "") -> Graph:
    """A :class:`Graph` built from ``StackValidationArgs.resources``.

    CrossGuard unwraps secrets before policies see them, so secretness is not
    visible here: the ``no-plaintext-secrets`` rule is meaningful offline only.
    """
    recorded = []
    for resource in resources:
        opts = resource.opts
        provider = resource.provider
        recorded.append(
            RecordedResource(
                urn=resource.urn,
                type=resource.resource_type,
                name=resource.name,
                parent=resource.parent.urn if resource.parent is not None else "",
                provider=provider.urn if provider is not None else "",
                dependencies=tuple(d.urn for d in resource.dependencies),
                custom=not resource.resource_type.startswith("k8tre:") and resource.resource_type != "pulumi:pulumi:Stack",
                inputs=_plain(resource.props),
                options=Options(
                    protect=bool(opts.protect),
                    retain_on_delete=False,
                    delete_before_replace=bool(opts.delete_before_replace),
                    ignore_changes=tuple(opts.ignore_changes or ()),
                    depends_on=(),
                    additional_secret_outputs=tuple(opts.additional_secret_outputs or ()),
                    aliases=tuple(opts.aliases or ()),
                ),
            )
        )
    return Graph(project=project, stack=stack, resources=recorded)
