"""Turn restrictions and the edge-based search graph that honours them.

OSM ``type=restriction`` relations (``no_left_turn``, ``only_straight_on`` ...) forbid a
turn from one way onto another at a via node. They are kept on the street graph as
``G.graph["turn_restrictions"]`` (a tuple of :class:`TurnRestriction`), in OSM ids, and
mapped to pairs of graph edges here. Restrictions with via ways (rare) are counted and
skipped.

With restrictions, travel times come from an edge-based graph: a vertex per directed street
segment (reaching its end), an arc per allowed turn. U-turns (back along the street just
driven) are allowed only at dead ends, or everywhere with
``TruckProfile.uturn_penalty_s`` added (``G.graph["uturn_penalty_s"]``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from ._errors import GeodataError

__all__ = ["TurnRestriction", "banned_turns", "parse_restriction", "restriction_via_nodes"]

logger = logging.getLogger(__name__)

_TRUCK_MODES = ("hgv", "goods", "motor_vehicle", "vehicle")


@dataclass(frozen=True, slots=True)
class TurnRestriction:
    """One OSM turn restriction, in OSM ids.

    Parameters
    ----------
    relation_id
        The relation's id.
    kind
        ``"no"`` (the turn is forbidden) or ``"only"`` (every other turn is).
    value
        The restriction value as tagged, e.g. ``"no_left_turn"``.
    from_ways, to_ways
        Way ids of the ``from`` and ``to`` members.
    via_node
        Node id of the ``via`` member, or None when the via is a way.
    via_ways
        Way ids of ``via`` way members (empty for a via node).
    """

    relation_id: int
    kind: str
    value: str
    from_ways: tuple[int, ...]
    to_ways: tuple[int, ...]
    via_node: int | None = None
    via_ways: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in {"no", "only"}:
            raise ValueError(f"TurnRestriction.kind must be 'no' or 'only', got {self.kind!r}")
        if (self.via_node is None) == (not self.via_ways):
            raise ValueError("TurnRestriction needs exactly one of via_node and via_ways")


def parse_restriction(
    relation_id: int, tags: Mapping[str, Any], members: Iterable[tuple[str, int, str]]
) -> TurnRestriction | None:
    """Read a restriction relation for a truck, or None if it does not apply or is broken.

    Parameters
    ----------
    relation_id
        Relation id.
    tags
        Relation tags; ``restriction:hgv`` (then ``:goods``, ...) wins over ``restriction``;
        ``except`` naming ``hgv`` or ``goods`` exempts trucks.
    members
        ``(type, ref, role)`` with type ``"n"``/``"node"``, ``"w"``/``"way"``.
    """
    if tags.get("type") != "restriction":
        return None
    value = next((tags[f"restriction:{m}"] for m in _TRUCK_MODES
                  if f"restriction:{m}" in tags), tags.get("restriction"))  # fmt: skip
    exempt = {e.strip() for e in str(tags.get("except", "")).split(";")}
    if not value or exempt & {"hgv", "goods"}:
        return None
    value = str(value).strip()
    kind = value.split("_", 1)[0]
    if kind not in {"no", "only"}:
        return None
    frm, to, via_n, via_w = [], [], [], []
    for mtype, ref, role in members:
        t = str(mtype)[0]
        if role == "from" and t == "w":
            frm.append(int(ref))
        elif role == "to" and t == "w":
            to.append(int(ref))
        elif role == "via" and t == "n":
            via_n.append(int(ref))
        elif role == "via" and t == "w":
            via_w.append(int(ref))
    if not frm or not to or len(via_n) + (1 if via_w else 0) != 1:
        return None
    return TurnRestriction(relation_id, kind, value, tuple(frm), tuple(to),
                           via_n[0] if via_n else None, tuple(via_w))  # fmt: skip


def _osmids(data: Mapping[str, Any]) -> set[int]:
    ids = data.get("osmid")
    if isinstance(ids, list | tuple | set):
        return {int(i) for i in ids}
    return {int(ids)} if ids is not None else set()


def restriction_via_nodes(G: nx.MultiDiGraph) -> set[Any]:
    """Graph nodes that are the via node of a turn restriction of ``G``."""
    return {r.via_node for r in G.graph.get("turn_restrictions", ())
            if r.via_node is not None and r.via_node in G}  # fmt: skip


def banned_turns(
    G: nx.MultiDiGraph, edge_index: Mapping[tuple[Any, Any, Any], int]
) -> set[tuple[int, int]]:
    """Pairs ``(from edge, to edge)`` of edge indices that the restrictions of ``G`` forbid.

    A ``no_*`` restriction bans the turns from the edges of its ``from`` way into the via
    node onto the edges of its ``to`` way out of it (only the U-turn when both are the
    same way); an ``only_*`` restriction bans every other turn from its ``from`` edges.
    """
    banned: set[tuple[int, int]] = set()
    skipped = {"via way": 0, "via node not in graph": 0, "ways not at via node": 0}
    for r in G.graph.get("turn_restrictions", ()):
        if not isinstance(r, TurnRestriction):
            raise GeodataError(f"G.graph['turn_restrictions'] holds a {type(r).__name__}, "
                               "not geodata.TurnRestriction; load the graph with "
                               "geodata.load_network")
        if r.via_node is None:
            skipped["via way"] += 1
            continue
        x = r.via_node
        if x not in G:
            skipped["via node not in graph"] += 1
            continue
        frm, to = set(r.from_ways), set(r.to_ways)
        ins = [(u, x, k) for u, _, k, d in G.in_edges(x, keys=True, data=True) if _osmids(d) & frm]
        outs = list(G.out_edges(x, keys=True, data=True))
        hit = [(x, v, k) for _, v, k, d in outs if _osmids(d) & to]
        if not ins or not hit:
            skipped["ways not at via node"] += 1
            continue
        for e in ins:
            # the same way on both sides: the U-turn only
            targets = ([h for h in hit if h[1] == e[0]] or hit) if frm & to else hit
            if r.kind == "only":
                keep = {edge_index[t] for t in targets}
                bans = [edge_index[(x, v, k)] for _, v, k, _ in outs]
                banned.update((edge_index[e], b) for b in bans if b not in keep)
            else:
                banned.update((edge_index[e], edge_index[t]) for t in targets)
    if any(skipped.values()):
        logger.info("turn restrictions not applied: %s", skipped)
    return banned


def turn_arcs(
    ua: np.ndarray, va: np.ndarray, banned: set[tuple[int, int]], N: int,
    uturn_penalty_s: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Allowed turns between edges ``i -> j`` (head of i = tail of j) and their penalty (s).

    Parameters
    ----------
    ua, va
        Tail and head node index of every edge.
    banned
        Forbidden ``(i, j)`` pairs (:func:`banned_turns`).
    N
        Number of nodes.
    uturn_penalty_s
        Added to a U-turn (j goes back to the tail of i) at a node that is not a dead end;
        None forbids those U-turns.

    Returns
    -------
    tuple of numpy.ndarray
        ``(from edge, to edge, penalty s)``.
    """
    order = np.argsort(ua, kind="stable")
    starts = np.searchsorted(ua[order], np.arange(N + 1))
    counts = starts[1:] - starts[:-1]
    # every (i, j) with head(i) == tail(j), vectorised by repeating i per out-edge of head(i)
    reps = counts[va]
    i = np.repeat(np.arange(len(ua)), reps)
    offs = np.arange(len(i)) - np.repeat(np.cumsum(reps) - reps, reps)
    j = order[starts[va[i]] + offs]
    uturn = va[j] == ua[i]
    # a dead end: every edge out of the node goes back where the truck came from
    out_other = np.bincount(i[~uturn], minlength=len(ua)) if len(i) else np.zeros(len(ua))
    dead_end = out_other[i] == 0
    pen = np.zeros(len(i))
    keep = np.ones(len(i), dtype=bool)
    soft = uturn & ~dead_end
    if uturn_penalty_s is None:
        keep &= ~soft
    else:
        pen[soft] = float(uturn_penalty_s)
    if banned:
        codes = i.astype(np.int64) * len(ua) + j
        bad = np.fromiter((a * len(ua) + b for a, b in banned), dtype=np.int64, count=len(banned))
        keep &= ~np.isin(codes, bad)
    return i[keep], j[keep], pen[keep]
