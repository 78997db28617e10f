"""The base model every configuration section derives from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class K8treModel(BaseModel):
    """Frozen, strict model whose YAML keys are the camelCase of its field names.

    ``extra="forbid"`` turns a typo in a stack file into an error instead of a
    silently ignored key; frozen instances mean no layer can change the config
    another layer relies on. ``strict=True``: a string is not a number or a boolean
    (``count: "2"``, ``enabled: "false"``) and a boolean is not a number, so what the
    file says is what the program gets (https://docs.pydantic.dev/latest/concepts/strict_mode/).
    Lists arrive as tuples (:mod:`.validation` converts them), since strict tuples take no list.
    """

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
    )
