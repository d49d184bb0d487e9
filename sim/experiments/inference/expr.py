"""Arithmetic on named unknowns, for the scenario keys a calibration derives
(``1 - closure_share``): numbers, names, ``+ - * / **``, ``min``, ``max``."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping

_BINARY: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[float], float]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_CALLS: dict[str, Callable[..., float]] = {"min": min, "max": max}


class Expression:
    """A parsed expression; ``names`` are the unknowns it reads."""

    def __init__(self, text: str) -> None:
        """Parse ``text``; raises ValueError saying what is not allowed."""
        self.text = text
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as exc:
            raise ValueError(f"not an expression ({exc.msg})") from None
        self.names: tuple[str, ...] = tuple(dict.fromkeys(self._check(tree.body)))
        self._tree = tree.body

    def _check(self, node: ast.AST) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return []
        if isinstance(node, ast.Name):
            return [node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return self._check(node.left) + self._check(node.right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return self._check(node.operand)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _CALLS:
            if node.keywords or not node.args:
                raise ValueError(f"{node.func.id}() takes numbers only")
            return [n for a in node.args for n in self._check(a)]
        allowed = "numbers, unknowns, + - * / **, min(), max()"
        raise ValueError(f"'{ast.unparse(node)}' is not allowed here (allowed: {allowed})")

    def __call__(self, values: Mapping[str, float]) -> float:
        """The value with the unknowns set to ``values``."""
        return float(self._eval(self._tree, values))

    def _eval(self, node: ast.AST, v: Mapping[str, float]) -> float:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return v[node.id]
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self._eval(node.left, v), self._eval(node.right, v))
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](self._eval(node.operand, v))
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        return _CALLS[node.func.id](*(self._eval(a, v) for a in node.args))
