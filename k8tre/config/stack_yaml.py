"""Reading a stack file's YAML the way the Pulumi CLI reads it: no guessing, no silently lost keys.

PyYAML implements YAML 1.1, which turns ``yes``, ``no``, ``on`` and ``off`` into
booleans, ``2025-10-20`` into a date and ``1:20`` into a number; the Pulumi CLI
(Go, ``gopkg.in/yaml.v3``) follows the YAML 1.2 core schema, where only
``true``/``false`` (in three spellings) are booleans and the rest stay strings
(YAML 1.2.2, section 10.3.2 "Tag Resolution", https://yaml.org/spec/1.2.2/#1032-tag-resolution).
Reading the file with YAML 1.1 rules would accept ``private: yes`` offline while the
program then receives the string ``"yes"``; here it is a string too, and the strict
model refuses it.

YAML also requires the keys of a mapping to be unique (YAML 1.2.2, section 3.2.1.1,
https://yaml.org/spec/1.2.2/#3211-nodes); PyYAML keeps the last of two equal keys
without a word, so a second ``k8tre:domain`` silently won. Duplicates are collected
here with both line numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with the YAML 1.2 core schema's implicit types only."""


# Start from no implicit resolvers, then add the core schema's (section 10.3.2).
_Yaml12Loader.yaml_implicit_resolvers = {}
_CORE_TYPES: tuple[tuple[str, str, str], ...] = (
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
)
for _tag, _pattern, _first in _CORE_TYPES:
    # "" in the first-character list: an empty plain scalar (``key:``) is null.
    _Yaml12Loader.add_implicit_resolver(_tag, re.compile(_pattern), [*_first, *([""] if "null" in _tag else [])])


def _construct_int(loader: yaml.SafeLoader, node: ScalarNode) -> int:
    # PyYAML's own int constructor reads YAML 1.1 forms (0b, sexagesimal, underscores) the core schema lacks.
    text = str(loader.construct_scalar(node))
    if text.lstrip("+-").startswith(("0o", "0x")):
        return int(text, 0)
    return int(text, 10)


_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


@dataclass(frozen=True)
class DuplicateKey:
    """A key given twice in one mapping."""

    path: str
    """Dotted path of the key (``k8tre:cluster.nodePools[0].name``)."""
    line: int
    """Line of the repeated key (1-based)."""
    first_line: int
    """Line where the key first appears."""


def parse(text: str) -> tuple[Any, list[DuplicateKey]]:
    """The document under YAML 1.2 core rules, and every duplicate key in it.

    Raises ``yaml.YAMLError`` when the text is not YAML.
    """
    node = yaml.compose(text, Loader=_Yaml12Loader)
    if node is None:
        return None, []
    duplicates: list[DuplicateKey] = []
    _find_duplicates(node, "", duplicates)
    loader = _Yaml12Loader("")
    try:
        return loader.construct_document(node), duplicates
    finally:
        loader.dispose()


def _find_duplicates(node: Node, path: str, found: list[DuplicateKey]) -> None:
    if isinstance(node, MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, ScalarNode) else "<complex key>"
            child = _child_path(path, key)
            line = key_node.start_mark.line + 1
            if key in seen:
                found.append(DuplicateKey(child, line, seen[key]))
            else:
                seen[key] = line
            _find_duplicates(value_node, child, found)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _find_duplicates(item, f"{path}[{index}]", found)


def _child_path(path: str, key: str) -> str:
    if path == "":
        return key
    if path == "config":
        return key  # the keys under config: are the dotted roots (k8tre:cluster), as Pulumi names them
    return f"{path}.{key}"
