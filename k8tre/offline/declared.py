"""What the program declared for each resource, as it declared it: where, and ``depends_on``.

The SDK does not send ``dependsOn`` to the engine as written: it expands a component in
``depends_on`` into that component's custom children and folds them into ``dependencies``
(``pulumi/runtime/_depends_on.py``, ``_resolve_depends_on_urns``; ``rpc._expand_dependencies``),
so the request cannot tell "depends on the spoke" from "depends on its 13 children". This
module reads the option in the SDK's Python layer instead, through the public stack
transformation hook (``pulumi.runtime.register_stack_transformation``: runs synchronously in
``Resource.__init__`` for every resource constructed after it is registered, see
``pulumi/resource.py``), which also tells where in the program each resource was built.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

_SDK_ROOTS = tuple(str(Path(module.__file__ or "").resolve().parent) for module in (pulumi,))
_HERE = str(Path(__file__).resolve().parent)


@dataclass
class Declaration:
    """One resource as the program constructed it."""

    resource: pulumi.Resource
    type: str
    name: str
    site: str
    """``file:line`` of the program code that constructed it."""
    depends_on: Any
    """The ``depends_on`` option exactly as given (a resource, a list, an Output, or None)."""


def construction_site(resource: pulumi.Resource) -> str:
    """Where the program built ``resource``: the innermost frame outside its own constructors and the SDK."""
    frame = inspect.currentframe()
    while frame is not None:
        filename = str(Path(frame.f_code.co_filename).resolve())
        own = frame.f_locals.get("self") is resource  # Resource.__init__ and every subclass __init__
        if not own and not filename.startswith((*_SDK_ROOTS, _HERE)) and "/pulumi_" not in filename:
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


@dataclass
class Declarations:
    """Collects a :class:`Declaration` for every resource constructed while it is installed."""

    entries: list[Declaration] = field(default_factory=list)

    def observe(self, args: pulumi.ResourceTransformationArgs) -> None:
        """The stack transformation: note the resource, change nothing (returns None)."""
        self.entries.append(
            Declaration(args.resource, args.type_, args.name, construction_site(args.resource), args.opts.depends_on)
        )

    def sites(self, type_: str, name: str) -> list[str]:
        """Where resources of this type and name were constructed, in construction order."""
        return [entry.site for entry in self.entries if entry.type == type_ and entry.name == name]

    async def depends_on(self) -> dict[str, tuple[str, ...]]:
        """The URNs each resource listed in ``depends_on``, by the resource's URN (call once registered)."""
        result: dict[str, tuple[str, ...]] = {}
        for entry in self.entries:
            if entry.depends_on is None:
                continue
            urn = await entry.resource.urn.future()
            if urn:
                result[urn] = tuple(sorted(await _urns(entry.depends_on)))
        return result


async def _urns(value: Any) -> set[str]:
    # depends_on is Input[Sequence[Input[Resource]] | Resource]: unwrap each layer as the SDK does.
    if isinstance(value, pulumi.Resource):
        urn = await value.urn.future()
        return {urn} if urn else set()
    if isinstance(value, (list, tuple)):
        found: set[str] = set()
        for item in value:
            found |= await _urns(item)
        return found
    if value is None:
        return set()
    return await _urns(await pulumi.Output.from_input(value).future())
