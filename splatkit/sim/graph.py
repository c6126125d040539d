"""The dependency graph between lock classes, and the breadth-first search lockdep runs on it.

An edge ``A -> B`` says "B was acquired while A was held"; it keeps the stack of the
first such acquisition and the set of *dependency types* seen (``calc_dep``,
lockdep-design.rst "Dependency types and strong dependency paths"): the first letter
says whether A was held as a writer (``E``) or as a reader (``S``), the second whether B
was taken as a recursive reader (``R``) or not (``N``). A path deadlocks only if it is
*strong*: it never takes an edge ending in ``R`` and then one starting with ``S``.

:meth:`DepGraph.search` is ``__bfs``: classes are visited once each, breadth first,
edges in the order they were added (``list_add_tail_rcu`` on ``locks_after`` /
``locks_before``), with each reached class keeping ``only_xr`` (every usable way here
ends in ``R``) so the next step can drop the ``S?`` types. The backward search walks
``locks_before`` with the types translated (``calc_depb``).

>>> DEP_NAMES[dep_bit(prev_read=0, next_read=2)], DEP_NAMES[dep_bit(prev_read=1, next_read=0)]
('ER', 'SN')
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .frames import Trace
from .state import ClassState

__all__ = ["DEP_NAMES", "DepGraph", "Edge", "Node", "dep_bit", "dep_bit_backward"]

#: ``DEP_SR_BIT`` .. ``DEP_EN_BIT``: bit 0 "held as a writer", bit 1 "taken non-recursively".
DEP_NAMES = ("SR", "ER", "SN", "EN")
SR, ER, SN, EN = (1 << b for b in range(4))


def dep_bit(*, prev_read: int, next_read: int) -> int:
    """``__calc_dep_bit``: the type of ``prev -> next`` as a bit number."""
    return (prev_read == 0) + ((next_read != 2) << 1)


def dep_bit_backward(*, prev_read: int, next_read: int) -> int:
    """``__calc_dep_bitb``: the same edge as the backward search sees it."""
    return (next_read != 2) + ((prev_read == 0) << 1)


@dataclass(eq=False)
class Edge:
    """``prev -> next`` with its dependency types and the stack that first recorded it."""

    prev: ClassState
    next: ClassState
    dep: int
    """Forward type mask (``1 << dep_bit``)."""
    depb: int
    """Backward type mask (``1 << dep_bit_backward``)."""
    trace: Trace

    @property
    def types(self) -> tuple[str, ...]:
        """The dependency types seen, as lockdep-design.rst names them."""
        return tuple(name for bit, name in enumerate(DEP_NAMES) if self.dep & (1 << bit))


@dataclass(eq=False)
class Node:
    """A class reached by a search (``struct lock_list``): the edge that led here and its parent."""

    cls: ClassState
    parent: Node | None = None
    edge: Edge | None = None
    """Forward: ``parent -> cls``; backward: ``cls -> parent``. None at the root."""
    only_xr: bool = False
    dep: int = 0
    depth: int = 0

    def path(self) -> list[Node]:
        """This node and its parents up to the root, in that order."""
        nodes: list[Node] = []
        node: Node | None = self
        while node is not None:
            nodes.append(node)
            node = node.parent
        return nodes


@dataclass
class DepGraph:
    """Every dependency recorded so far, with each class's edge lists in insertion order."""

    after: dict[ClassState, list[Edge]] = field(default_factory=dict)
    before: dict[ClassState, list[Edge]] = field(default_factory=dict)
    edges: dict[tuple[ClassState, ClassState], Edge] = field(default_factory=dict)

    def add(self, prev: ClassState, nxt: ClassState, *, prev_read: int, next_read: int,
            trace: Trace) -> Edge:
        """Record ``prev -> next`` (``check_prev_add`` after its checks); an edge already
        there gains the new type and keeps its first stack."""
        dep = 1 << dep_bit(prev_read=prev_read, next_read=next_read)
        depb = 1 << dep_bit_backward(prev_read=prev_read, next_read=next_read)
        edge = self.edges.get((prev, nxt))
        if edge is not None:
            edge.dep |= dep
            edge.depb |= depb
            return edge
        edge = Edge(prev, nxt, dep, depb, trace)
        self.edges[prev, nxt] = edge
        self.after.setdefault(prev, []).append(edge)
        self.before.setdefault(nxt, []).append(edge)
        return edge

    def __iter__(self) -> Iterator[Edge]:
        return iter(self.edges.values())

    def search(self, root: ClassState, *, only_xr: bool, forward: bool,
               match: Callable[[Node], bool], skip: Callable[[Node], bool] | None = None) -> Node | None:
        """``__bfs``: the first class from ``root`` (itself included) that ``match`` accepts
        along a strong path, or None. ``skip`` drops a class and every path through it."""
        queue = deque([Node(root, only_xr=only_xr)])
        seen: set[ClassState] = set()
        while queue:
            node = queue.popleft()
            if node.cls in seen:
                continue
            seen.add(node.cls)
            if node.parent is not None:
                dep = node.dep & ~(SR | SN) if node.parent.only_xr else node.dep
                if not dep:
                    continue
                node.only_xr = not dep & (SN | EN)
            if skip is not None and skip(node):
                continue
            if match(node):
                return node
            for edge in (self.after if forward else self.before).get(node.cls, ()):
                child = edge.next if forward else edge.prev
                queue.append(Node(child, node, edge, dep=edge.dep if forward else edge.depb,
                                  depth=node.depth + 1))
        return None
