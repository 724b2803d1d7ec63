"""Reverse-mode automatic differentiation on scalars: the chain rule on a computational graph.

Every arithmetic operation on a :class:`Value` returns a new ``Value`` that remembers the
operation (``op``), its operands (``parents``) and the *local derivative* of its result with
respect to each operand (``local_grads``), computed during the forward pass. ``backward()``
then applies the chain rule once per edge, from the output back to the inputs::

    parent.grad += local_grad * node.grad        # dL/dparent += dnode/dparent * dL/dnode

The ``+=`` is the whole story of fan-out: a value used twice (``a * a``, ``a + a``) receives
one contribution per use, and the sum is its gradient.

>>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
>>> f = (x + y) * z
>>> f.backward()
>>> f, x, z
(Value(data=-12.0, grad=1.0), Value(data=-2.0, grad=-4.0, label='x'), Value(data=-4.0, grad=3.0, label='z'))
"""

from __future__ import annotations

import math
import numbers


ONLY_CONSTANT_EXPONENTS = "Value **: only constant exponents (int or float) are supported; the exponent was a Value"


def _as_number(value, where: str) -> float:
    """``value`` as a float; a ``TypeError`` saying what was expected unless it is a real number."""
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"{where}: expected a Value, int or float; got {type(value).__name__} {value!r}")


def _as_value(other, where: str) -> Value:
    """``other`` if it is a ``Value``, else a new constant ``Value`` holding the number."""
    return other if isinstance(other, Value) else Value(_as_number(other, where))


def _result(data: float, op: str, parents: tuple, local_grads: tuple) -> Value:
    """The ``Value`` an operation produces, with its place in the graph recorded."""
    out = Value(data)
    out.op, out.parents, out.local_grads = op, parents, local_grads
    return out


class Value:
    """A scalar that records how it was computed, so its gradient can be taken.

    Attributes:
        data (float): the number.
        grad (float): dL/d(this value) after ``L.backward()``; 0.0 before.
        op (str): the operation that produced it (``"+"``, ``"*"``, ``"**2"``, ``"tanh"``, ``"max"``, ...),
            ``""`` for an input or a constant.
        parents (tuple[Value, ...]): its operands, in order (``a * a`` has ``(a, a)``).
        local_grads (tuple[float, ...]): d(this value)/d(parent) for each parent.
        label (str): an optional name for printing and drawing.

    Errors: an operand that is not a ``Value`` or a real number (int, float, numpy scalar),
    e.g. a string, ``None`` or a numpy array, raises ``TypeError``, as does a ``Value`` used as
    an exponent (only constant exponents). Dividing by zero and ``0 ** negative`` raise
    ``ZeroDivisionError``; a negative base with a fractional exponent raises ``ValueError``
    (the result would be complex). These are raised in the forward pass, where the mistake is.
    """

    __array_ufunc__ = None  # numpy then hands ``array + Value`` to Value, which refuses it

    def __init__(self, data, label: str = ""):
        self.data = _as_number(data, "Value")
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.parents: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()

    def __add__(self, other) -> Value:
        other = _as_value(other, "Value +")
        return _result(self.data + other.data, "+", (self, other), (1.0, 1.0))

    def __mul__(self, other) -> Value:
        other = _as_value(other, "Value *")
        return _result(self.data * other.data, "*", (self, other), (other.data, self.data))

    def __sub__(self, other) -> Value:
        other = _as_value(other, "Value -")
        return _result(self.data - other.data, "-", (self, other), (1.0, -1.0))

    def __truediv__(self, other) -> Value:
        other = _as_value(other, "Value /")
        if other.data == 0:
            raise ZeroDivisionError(f"Value /: division by zero ({self.data!r} / {other.data!r})")
        b = other.data
        return _result(self.data / b, "/", (self, other), (1.0 / b, -self.data / b**2))

    def __pow__(self, exponent) -> Value:
        if isinstance(exponent, Value):
            raise TypeError(ONLY_CONSTANT_EXPONENTS)
        p, x = _as_number(exponent, "Value **"), self.data
        if x == 0 and p < 0:
            raise ZeroDivisionError(f"Value **: 0 cannot be raised to the negative power {p:g}")
        if x < 0 and not p.is_integer():
            raise ValueError(f"Value **: {x!r} ** {p:g} is not a real number (negative base, fractional power)")
        if p == 0:
            slope = 0.0
        elif x == 0 and p < 1:
            slope = math.inf  # like sqrt at 0: the curve is vertical there
        else:
            slope = p * x ** (p - 1)
        return _result(x**p, f"**{p:g}", (self,), (slope,))

    def __rpow__(self, base):
        raise TypeError(ONLY_CONSTANT_EXPONENTS)

    def __neg__(self) -> Value:
        return _result(-self.data, "neg", (self,), (-1.0,))

    def __radd__(self, other) -> Value:
        return _as_value(other, "Value +") + self

    def __rmul__(self, other) -> Value:
        return _as_value(other, "Value *") * self

    def __rsub__(self, other) -> Value:
        return _as_value(other, "Value -") - self

    def __rtruediv__(self, other) -> Value:
        return _as_value(other, "Value /") / self

    def exp(self) -> Value:
        e = math.exp(self.data)
        return _result(e, "exp", (self,), (e,))

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return _result(t, "tanh", (self,), (1.0 - t * t,))

    def relu(self) -> Value:
        """max(0, x); its slope at exactly 0 is taken as 0."""
        return _result(max(0.0, self.data), "relu", (self,), (float(self.data > 0),))

    def sigmoid(self) -> Value:
        """1 / (1 + e^-x) as one gate, with local gradient s (1 - s) where s is the output."""
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))  # no overflow
        return _result(s, "sigmoid", (self,), (s * (1.0 - s),))

    def max(self, other) -> Value:
        """The larger of ``self`` and ``other``: local gradient 1 towards the larger, 0 towards the other.

        At a tie (``self.data == other.data``) max has no derivative; the whole gradient then goes
        to ``self``, the first argument, as the book's max pooling sends it to the first maximum.
        """
        other = _as_value(other, "Value.max")
        first_wins = self.data >= other.data
        return _result(max(self.data, other.data), "max", (self, other), (float(first_wins), float(not first_wins)))

    def backward(self) -> None:
        """Fill ``.grad`` of every value in this graph with d(self)/d(value).

        Gradient reset policy: ``backward()`` first sets every grad in the graph to 0, then
        seeds ``self.grad = 1.0`` and visits the nodes in reverse topological order, each
        adding (``+=``) its contribution to its parents. So fan-out is summed within one pass,
        and calling ``backward()`` twice gives the same gradients, not double. We chose this
        over micrograd's accumulate-and-``zero_grad()`` because a chapter's cells get re-run,
        and silently doubled gradients are the worst way to learn the chain rule. To combine
        several outputs, add them into one ``Value`` and call ``backward()`` on the sum.
        """
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            for parent, local_grad in zip(node.parents, node.local_grads):
                parent.grad += local_grad * node.grad

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"


def topological_order(root: Value) -> list[Value]:
    """Every value ``root`` depends on, each once, inputs first and ``root`` last.

    A value always comes after all of its parents. Iterative (an explicit stack instead of
    recursion), so a chain of many thousands of operations does not hit Python's recursion limit.
    """
    order: list[Value] = []
    expanded: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif id(node) not in expanded:
            expanded.add(id(node))
            stack.append((node, True))  # popped again only after all of its parents
            stack.extend((parent, False) for parent in reversed(node.parents))
    return order


def computational_graph(root: Value) -> tuple[list[Value], list[tuple[Value, Value]]]:
    """The nodes of ``root``'s graph in topological order and its edges ``(parent, child)``.

    An edge appears once per use: ``a * a`` has the edge ``(a, a * a)`` twice.
    """
    nodes = topological_order(root)
    edges = [(parent, node) for node in nodes for parent in node.parents]
    return nodes, edges
