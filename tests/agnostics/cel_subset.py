"""A small interpreter for the part of CEL the admission policies use, so the tests run the policies' own text.

No CEL library is in the locked environment. This covers what ``k8tre/agnostics/admission_rules.py``
writes and nothing more: literals (strings, integers, booleans, lists), field selection, ``has()``,
the ``all``/``exists``/``map``/``filter`` macros, ``! && || ?:``, ``== != + in``, and the string
functions Kubernetes enables (``startsWith``, ``endsWith``, ``contains``, ``lastIndexOf``,
``substring``, ``join``; cel-spec "Language Definition" and cel-go's strings extension). Selecting a
field that is absent is an error, as in CEL: under ``failurePolicy: Fail`` the API server refuses.
``&&`` and ``||`` short-circuit left to right (CEL also absorbs an error on the other side; the
policies never rely on that). Anything outside the subset raises, so a policy cannot pass by
using something this file does not understand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<num>\d+)|(?P<id>[A-Za-z_]\w*)|(?P<op>&&|\|\||==|!=|<=|>=|[-+!?:.,()\[\]<>]))"""
)


class CelError(Exception):
    """An expression outside the subset, or an evaluation error (which CEL would also raise)."""


def _tokens(text: str) -> list[tuple[str, Any]]:
    found, at = [], 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if not match or match.end() == at:
            if text[at:].strip():
                raise CelError(f"cannot read {text[at : at + 20]!r}")
            break
        at = match.end()
        kind = match.lastgroup
        value = match.group(kind or "")
        if kind == "str":
            # Both quote styles; JSON's escapes are CEL's for what the policies write.
            found.append(("lit", json.loads('"' + value[1:-1].replace('"', '\\"').replace("\\'", "'") + '"')))
        elif kind == "num":
            found.append(("lit", int(value)))
        elif kind == "id" and value in ("true", "false", "null"):
            found.append(("lit", {"true": True, "false": False, "null": None}[value]))
        else:
            found.append((str(kind), value))
    return [*found, ("end", None)]


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self, value: str) -> bool:
        return self.tokens[self.at][1] == value and self.tokens[self.at][0] in ("op", "id")

    def take(self, value: str | None = None) -> tuple[str, Any]:
        token = self.tokens[self.at]
        if value is not None and not self.peek(value):
            raise CelError(f"expected {value!r}, found {token[1]!r}")
        self.at += 1
        return token

    def parse(self) -> Any:
        node = self.conditional()
        if self.tokens[self.at][0] != "end":
            raise CelError(f"unexpected {self.tokens[self.at][1]!r}")
        return node

    def conditional(self) -> Any:
        node = self.binary(0)
        if self.peek("?"):
            self.take("?")
            then = self.conditional()
            self.take(":")
            return ("?:", node, then, self.conditional())
        return node

    _LEVELS = (("||",), ("&&",), ("==", "!=", "in"), ("+",))

    def binary(self, level: int) -> Any:
        if level == len(self._LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while any(self.peek(op) for op in self._LEVELS[level]):
            op = self.take()[1]
            node = (op, node, self.binary(level + 1))
        return node

    def unary(self) -> Any:
        if self.peek("!"):
            self.take("!")
            return ("!", self.unary())
        return self.member()

    def arguments(self) -> list[Any]:
        self.take("(")
        args = []
        while not self.peek(")"):
            args.append(self.conditional())
            if not self.peek(")"):
                self.take(",")
        self.take(")")
        return args

    def member(self) -> Any:
        node = self.primary()
        while self.peek("."):
            self.take(".")
            kind, name = self.take()
            if kind != "id":
                raise CelError(f"expected a field name, found {name!r}")
            node = ("call", node, name, self.arguments()) if self.peek("(") else ("select", node, name)
        return node

    def primary(self) -> Any:
        kind, value = self.take()
        if kind == "lit":
            return ("lit", value)
        if value == "(":
            node = self.conditional()
            self.take(")")
            return node
        if value == "[":
            items = []
            while not self.peek("]"):
                items.append(self.conditional())
                if not self.peek("]"):
                    self.take(",")
            self.take("]")
            return ("list", items)
        if kind == "id":
            return ("call", None, value, self.arguments()) if self.peek("(") else ("ident", value)
        raise CelError(f"unexpected {value!r}")


_MACROS = ("all", "exists", "map", "filter")
_STRING_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "startsWith": lambda s, p: s.startswith(p),
    "endsWith": lambda s, p: s.endswith(p),
    "contains": lambda s, p: p in s,
    "lastIndexOf": lambda s, p: s.rfind(p),
    "substring": lambda s, start, end=None: s[start:end],
}


def _evaluate(node: Any, scope: Mapping[str, Any]) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "list":
        return [_evaluate(item, scope) for item in node[1]]
    if kind == "ident":
        if node[1] not in scope:
            raise CelError(f"undeclared reference {node[1]!r}")
        return scope[node[1]]
    if kind == "select":
        target = _evaluate(node[1], scope)
        if not isinstance(target, Mapping) or node[2] not in target:
            raise CelError(f"no such key: {node[2]}")
        return target[node[2]]
    if kind == "!":
        return not _boolean(_evaluate(node[1], scope))
    if kind == "&&":
        return _boolean(_evaluate(node[1], scope)) and _boolean(_evaluate(node[2], scope))
    if kind == "||":
        return _boolean(_evaluate(node[1], scope)) or _boolean(_evaluate(node[2], scope))
    if kind == "?:":
        return _evaluate(node[2] if _boolean(_evaluate(node[1], scope)) else node[3], scope)
    if kind in ("==", "!=", "+", "in"):
        left, right = _evaluate(node[1], scope), _evaluate(node[2], scope)
        if kind == "+":
            if type(left) is not type(right):
                raise CelError(f"no such overload: {type(left).__name__} + {type(right).__name__}")
            return left + right
        return {"==": left == right, "!=": left != right, "in": left in right}[kind]
    if kind == "call":
        return _call(node, scope)
    raise CelError(f"cannot evaluate {kind}")


def _call(node: Any, scope: Mapping[str, Any]) -> Any:
    _, receiver, name, args = node
    if receiver is None and name == "has":
        (field,) = args
        if field[0] != "select":
            raise CelError("has() takes a field selection")
        target = _evaluate(field[1], scope)
        return isinstance(target, Mapping) and field[2] in target
    if receiver is None:
        raise CelError(f"unknown function {name}")
    target = _evaluate(receiver, scope)
    if name in _MACROS:
        variable, body = args
        if variable[0] != "ident" or not isinstance(target, list):
            raise CelError(f"{name}() needs a list and a variable")
        results = [_evaluate(body, {**scope, variable[1]: item}) for item in target]
        if name == "map":
            return results
        if name == "filter":
            return [item for item, keep in zip(target, results, strict=True) if _boolean(keep)]
        flags = [_boolean(r) for r in results]
        return all(flags) if name == "all" else any(flags)
    values = [_evaluate(arg, scope) for arg in args]
    if name == "join" and isinstance(target, list):
        return (values[0] if values else "").join(_string(item) for item in target)
    if name in _STRING_FUNCTIONS:
        return _STRING_FUNCTIONS[name](_string(target), *values)
    raise CelError(f"unknown function {name}")


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise CelError(f"expected a bool, got {type(value).__name__}")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise CelError(f"expected a string, got {type(value).__name__}")
    return value


def evaluate(expression: str, obj: Mapping[str, Any], variables: list[Mapping[str, str]]) -> Any:
    """Evaluate a policy expression with ``object`` bound and the policy's ``variables`` computed in order."""
    computed: dict[str, Any] = {}
    for variable in variables:
        computed[variable["name"]] = _evaluate(_Parser(variable["expression"]).parse(), {"object": obj, "variables": computed})
    return _evaluate(_Parser(expression).parse(), {"object": obj, "variables": computed})
