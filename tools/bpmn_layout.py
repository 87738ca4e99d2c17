"""The layout of a generated procedure: shapes on a grid of columns and lane rows, flows routed
around them, labels placed where nothing else is drawn.

It keeps the layout rules of docs/modelling.md, as ``engine.di_check`` checks them: a task is large
enough for its name; flows are orthogonal, enter no node but their own ends, never run along another
flow, and leave each side of a node at most once; labels lie on no node, no other label, no flow.

Columns follow the longest path from the start (loops closing backwards do not count); nodes of one
lane and column stack in rows. Each flow is the cheapest path on a 10 px grid (length, bends,
crossings and awkward sides cost), found with A* among the grid segments still free.
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.di_check import label_size, task_name_fits

if TYPE_CHECKING:
    from bpmn_writer import Procedure

SIZES = {"exclusiveGateway": (50, 50), "parallelGateway": (50, 50), "inclusiveGateway": (50, 50),
         "startEvent": (36, 36), "endEvent": (36, 36), "intermediateCatchEvent": (36, 36),
         "boundaryEvent": (36, 36)}
TASK_SIZES = [(w, h) for h in (80, 100, 120) for w in (100, 120, 140, 160)]
POOL_X, POOL_Y = 160, 80
POOL_HEADER = 30
GAP_X = 120  #: between two columns (room for flows and their labels)
GAP_Y = 110  #: between two rows
STEP = 10  #: grid of the routes
#: Costs of a bend, of crossing another flow, of running under a label's place, of running a grid step
#: away from another flow.
BEND, CROSS, SOFT, NEAR = 60, 40, 400, 12
SIDES = {"R": (1, 0), "L": (-1, 0), "D": (0, 1), "U": (0, -1)}
#: Cost of leaving (source) or entering (target) a node by each side: right to left reads best.
OUT_COST = {"R": 0, "U": 30, "D": 30, "L": 300}
IN_COST = {"L": 0, "U": 30, "D": 30, "R": 300}
Point = tuple[float, float]


@dataclass
class Box:
    """A rectangle: a shape's or a label's bounds."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def overlaps(self, other: Box, margin: float = 0) -> bool:
        return (min(self.right, other.right) - max(self.x, other.x) > -margin
                and min(self.bottom, other.bottom) - max(self.y, other.y) > -margin)

    def crossed_by(self, p: Point, q: Point, margin: float = 0) -> bool:
        """Whether the axis-parallel segment p–q comes within ``margin`` of the inside."""
        x0, x1 = sorted((p[0], q[0]))
        y0, y1 = sorted((p[1], q[1]))
        return (x0 < self.right + margin and x1 > self.x - margin
                and y0 < self.bottom + margin and y1 > self.y - margin)


@dataclass
class Layout:
    """Everything the DI needs."""

    boxes: dict[str, Box]
    lanes: dict[str, Box]
    pool: Box
    waypoints: dict[str, list[Point]]
    node_labels: dict[str, Box]
    flow_labels: dict[str, Box]


def task_size(name: str) -> tuple[int, int]:
    """The smallest task box its name fits in (12 px, as bpmn-js writes it)."""
    for w, h in TASK_SIZES:
        if task_name_fits(name, w, h):
            return w, h
    raise ValueError(f"task name too long for any box: {name}")


def back_edges(proc: Procedure) -> set[str]:
    """Flows that close a loop (found by depth-first search from the start events)."""
    out: dict[str, list[tuple[str, str]]] = {n: [] for n in proc.nodes}
    for f in proc.flows:
        out[f.source].append((f.id, f.target))
    for n in proc.nodes.values():
        if n.attached_to:
            out[n.attached_to].append((f"_attach_{n.id}", n.id))
    back: set[str] = set()
    state: dict[str, int] = {}

    def visit(node: str) -> None:
        state[node] = 1
        for fid, target in out[node]:
            s = state.get(target, 0)
            if s == 1:
                back.add(fid)
            elif s == 0:
                visit(target)
        state[node] = 2

    for n in proc.nodes.values():
        if n.kind == "startEvent":
            visit(n.id)
    return back


def _columns(proc: Procedure, back: set[str]) -> dict[str, int]:
    preds: dict[str, list[str]] = {n: [] for n in proc.nodes}
    for f in proc.flows:
        if f.id not in back:
            preds[f.target].append(f.source)
    col: dict[str, int] = {}

    def column(node_id: str) -> int:
        if node_id not in col:
            node = proc.nodes[node_id]
            if node.attached_to:
                col[node_id] = column(node.attached_to)
            else:
                col[node_id] = max((column(p) + 1 for p in preds[node_id]), default=0)
        return col[node_id]

    for n in proc.nodes:
        column(n)
    return col


def _size(kind: str, name: str) -> tuple[int, int]:
    return task_size(name) if kind == "userTask" else SIZES[kind]


def _place(proc: Procedure) -> tuple[dict[str, Box], dict[str, Box], Box]:
    """Shapes of the nodes, the lanes and the pool."""
    col = _columns(proc, back_edges(proc))
    slot: dict[str, int] = {}
    used: dict[tuple[str, int], int] = {}
    for n in proc.nodes.values():
        if not n.attached_to:
            key = (n.lane, col[n.id])
            slot[n.id] = used.get(key, 0)
            used[key] = slot[n.id] + 1
    sizes = {n.id: _size(n.kind, n.name) for n in proc.nodes.values()}
    widths = [max(sizes[n][0] for n in col if col[n] == c) for c in range(max(col.values()) + 1)]
    row_h = max(h for _, h in sizes.values()) + GAP_Y
    left = POOL_X + POOL_HEADER + GAP_X
    centres = []
    for w in widths:
        centres.append(left + w / 2)
        left += w + GAP_X
    lane_w = left - (POOL_X + POOL_HEADER)
    lanes: dict[str, Box] = {}
    y = POOL_Y
    for lane in proc.lanes:
        rows = max([c for (ln, _), c in used.items() if ln == lane], default=1)
        lanes[lane] = Box(POOL_X + POOL_HEADER, y, lane_w, rows * row_h)
        y += rows * row_h
    boxes: dict[str, Box] = {}
    for n in proc.nodes.values():
        if not n.attached_to:
            w, h = sizes[n.id]
            cx, cy = centres[col[n.id]], lanes[n.lane].y + slot[n.id] * row_h + row_h / 2
            boxes[n.id] = Box(cx - w / 2, cy - h / 2, w, h)
    for n in proc.nodes.values():
        if n.attached_to:
            t = boxes[n.attached_to]
            boxes[n.id] = Box(t.right - 36 - 12, t.bottom - 18, 36, 36)
    return boxes, lanes, Box(POOL_X, POOL_Y, lane_w + POOL_HEADER, y - POOL_Y)


Port = tuple[Point, str, int]  #: where a flow may meet a node, which way it leaves, what it costs
INWARD = {"L": "R", "R": "L", "U": "D", "D": "U"}  #: the move that enters a node by a side


def _ports(box: Box, kind: str) -> list[Port]:
    """The points a flow may start or end at: the middle of each side first, then further along."""
    ports: list[Port] = [((box.right, box.cy), "R", 0), ((box.x, box.cy), "L", 0),
                         ((box.cx, box.bottom), "D", 0), ((box.cx, box.y), "U", 0)]
    if kind == "userTask":
        for off in (-20, 20):
            ports += [((box.right, box.cy + off), "R", 15), ((box.x, box.cy + off), "L", 15)]
        for off in (-30, 30):
            ports += [((box.cx + off, box.bottom), "D", 15), ((box.cx + off, box.y), "U", 15)]
    else:  # on the slanted sides of a gateway, on the circle of an event: two ways out
        a = 12 if kind.endswith("Gateway") else 13
        b = 13
        for (dx, h), (dy, v) in itertools.product(((a, "R"), (-a, "L")), ((b, "D"), (-b, "U"))):
            ports += [((box.cx + dx, box.cy + dy), h, 60), ((box.cx + dx, box.cy + dy), v, 60)]
    return ports


def _core(box: Box, kind: str) -> Box:
    """What a flow may not cross at its own end: the task, the square inside a gateway or event."""
    if kind == "userTask":
        return box
    return Box(box.cx - 12, box.cy - 12, 24, 24)


class _Router:
    """Routes flows one after the other on the grid; a routed flow's segments are taken."""

    def __init__(self, pool: Box, boxes: dict[str, Box], kinds: dict[str, str], soft: list[Box]) -> None:
        xs = {float(x) for x in range(int(pool.x + POOL_HEADER) + STEP, int(pool.right), STEP)}
        ys = {float(y) for y in range(int(pool.y) + STEP, int(pool.bottom), STEP)}
        self.ports = {node: _ports(box, kinds[node]) for node, box in boxes.items()}
        for ports in self.ports.values():
            xs |= {pt[0] for pt, _, _ in ports}
            ys |= {pt[1] for pt, _, _ in ports}
        self.xs, self.ys = sorted(xs), sorted(ys)
        self.x_at = {x: i for i, x in enumerate(self.xs)}
        self.y_at = {y: i for i, y in enumerate(self.ys)}
        # A flow meets its own ends only at a port, straight on (not along the border).
        self.straight_on = {node: {(pt, side in "RL") for pt, side, _ in ports} for node, ports in self.ports.items()}
        self.cores = {node: _core(box, kinds[node]) for node, box in boxes.items()}
        self.boxes = boxes
        self._margins = {n: (b.x - 6, b.y - 6, b.right + 6, b.bottom + 6) for n, b in boxes.items()}
        self._soft = [(b.x, b.y, b.right, b.bottom) for b in soft]
        self.taken: set[tuple[Point, Point]] = set()  # unit segments of routed flows
        self.points: set[Point] = set()  # grid points routed flows pass
        self.used: set[Point] = set()  # ports already met by a flow
        self._next: dict[tuple[Point, str], Point | None] = {}
        self._blockers: dict[tuple[Point, Point], tuple[frozenset[str], float]] = {}

    def neighbour(self, p: Point, side: str) -> Point | None:
        key = (p, side)
        if key not in self._next:
            dx, dy = SIDES[side]
            axis, i = (self.xs, self.x_at[p[0]] + dx) if dx else (self.ys, self.y_at[p[1]] + dy)
            q = None
            if 0 <= i < len(axis):
                q = (axis[i], p[1]) if dx else (p[0], axis[i])
            self._next[key] = q
        return self._next[key]

    def _static(self, p: Point, q: Point) -> tuple[frozenset[str], float]:
        """The nodes a unit segment comes too near, and what running under labels' places costs."""
        key = (p, q) if p <= q else (q, p)
        found = self._blockers.get(key)
        if found is None:
            (x0, y0), (x1, y1) = key  # a unit segment is horizontal or vertical: its ends are ordered
            near = frozenset(n for n, (a, b, c, d) in self._margins.items() if x0 < c and x1 > a and y0 < d and y1 > b)
            soft = sum(SOFT for (a, b, c, d) in self._soft if x0 < c and x1 > a and y0 < d and y1 > b)
            found = self._blockers[key] = near, soft
        return found

    def step(self, p: Point, q: Point, ends: tuple[str, str]) -> float | None:
        """What moving from p to q costs, None when it is not allowed."""
        if (min(p, q), max(p, q)) in self.taken:
            return None
        near, soft = self._static(p, q)
        horizontal = p[1] == q[1]
        for node in near:
            if node not in ends:
                return None
            if self.cores[node].crossed_by(p, q, 0.5) and not (
                    {(p, horizontal), (q, horizontal)} & self.straight_on[node]):
                return None
        return abs(p[0] - q[0]) + abs(p[1] - q[1]) + soft + (CROSS if q in self.points else 0) + self._near(p, q)

    def _near(self, p: Point, q: Point) -> float:
        dx, dy = (0, STEP) if p[1] == q[1] else (STEP, 0)
        total = 0.0
        for s in (1, -1):
            a, b = (p[0] + s * dx, p[1] + s * dy), (q[0] + s * dx, q[1] + s * dy)
            total += NEAR if (min(a, b), max(a, b)) in self.taken else 0
        return total

    def route(self, source: str, target: str, out_sides: str) -> list[Point]:
        ends = (source, target)
        goals: dict[tuple[Point, str], float] = {
            (pt, INWARD[side]): extra + IN_COST[side] for pt, side, extra in self.ports[target] if pt not in self.used}
        tick = itertools.count()
        heap: list[tuple[float, int, float, Point, str]] = []
        came: dict[tuple[Point, str], tuple[Point, str] | None] = {}
        best: dict[tuple[Point, str], float] = {}
        target_box = self.boxes[target]
        for pt, side, extra in self.ports[source]:
            if side in out_sides and pt not in self.used:
                start = float(extra + OUT_COST[side])
                best[(pt, side)] = start
                came[(pt, side)] = None
                heapq.heappush(heap, (start, next(tick), start, pt, side))
        while heap:
            _, _, g, p, d = heapq.heappop(heap)
            if g > best.get((p, d), float("inf")):
                continue
            if (p, d) in goals and came[(p, d)] is not None:
                return self._finish(came, (p, d))
            for side in SIDES:
                if side == INWARD[d] or (came[(p, d)] is None and side != d):
                    continue
                q = self.neighbour(p, side)
                if q is None or (move := self.step(p, q, ends)) is None:
                    continue
                cost = g + move + (BEND if side != d else 0) + goals.get((q, side), 0)
                if cost < best.get((q, side), float("inf")):
                    best[(q, side)] = cost
                    came[(q, side)] = (p, d)
                    h = max(0.0, abs(q[0] - target_box.cx) - target_box.w / 2) + max(
                        0.0, abs(q[1] - target_box.cy) - target_box.h / 2)
                    heapq.heappush(heap, (cost + h, next(tick), cost, q, side))
        raise ValueError(f"no route from {source} to {target}")

    def _finish(self, came: dict[tuple[Point, str], tuple[Point, str] | None], state: tuple[Point, str]) -> list[Point]:
        path: list[Point] = []
        cur: tuple[Point, str] | None = state
        while cur is not None:
            path.append(cur[0])
            cur = came[cur]
        path.reverse()
        self.used |= {path[0], path[-1]}
        for p, q in itertools.pairwise(path):
            self.taken.add((min(p, q), max(p, q)))
        self.points |= set(path)
        corners = [path[0]]
        for i in range(1, len(path) - 1):
            a, b, c = corners[-1], path[i], path[i + 1]
            if not (a[0] == b[0] == c[0] or a[1] == b[1] == c[1]):
                corners.append(b)
        corners.append(path[-1])
        return corners


def _label_free(box: Box, boxes: dict[str, Box], labels: list[Box], routes: list[list[Point]], area: Box) -> bool:
    if not (area.x <= box.x and box.right <= area.right and area.y <= box.y and box.bottom <= area.bottom):
        return False
    if any(box.overlaps(b, 2) for b in boxes.values()) or any(box.overlaps(b, 2) for b in labels):
        return False
    return not any(box.crossed_by(p, q, 2) for pts in routes for p, q in itertools.pairwise(pts))


def _label_box(name: str) -> tuple[float, float]:
    w, h = label_size(name)
    return float(math.ceil(w)), float(math.ceil(h))


def _node_label(box: Box, name: str, taken: list[Box], boxes: dict[str, Box], routes: list[list[Point]],
                area: Box) -> Box:
    w, h = _label_box(name)
    for cand in (Box(box.cx - w / 2, box.bottom + 5, w, h), Box(box.cx - w / 2, box.y - 5 - h, w, h),
                 Box(box.right + 5, box.bottom + 2, w, h), Box(box.x - w - 5, box.bottom + 2, w, h),
                 Box(box.right + 5, box.y - h - 2, w, h), Box(box.x - w - 5, box.y - h - 2, w, h)):
        if _label_free(cand, boxes, taken, routes, area):
            return cand
    raise ValueError(f"no room for the label {name!r}")


def _flow_label(points: list[Point], name: str, taken: list[Box], boxes: dict[str, Box],
                routes: list[list[Point]], area: Box) -> Box:
    w, h = _label_box(name)
    for p, q in itertools.pairwise(points):
        if p[1] == q[1]:  # horizontal: above, then below, walking from the start
            sign = 1 if q[0] > p[0] else -1
            for along in range(6, int(abs(q[0] - p[0])), 10):
                x = p[0] + sign * along - (0 if sign > 0 else w)
                for y in (p[1] - h - 4, p[1] + 4):
                    if _label_free(cand := Box(x, y, w, h), boxes, taken, routes, area):
                        return cand
        else:  # vertical: right, then left
            sign = 1 if q[1] > p[1] else -1
            for along in range(6, int(abs(q[1] - p[1])), 10):
                y = p[1] + sign * along - (0 if sign > 0 else h)
                for x in (p[0] + 5, p[0] - w - 5):
                    if _label_free(cand := Box(x, y, w, h), boxes, taken, routes, area):
                        return cand
    raise ValueError(f"no room for the label {name!r}")




def layout(proc: Procedure) -> Layout:
    """Shapes, lanes, pool, routed flows and labels of the procedure."""
    boxes, lanes, pool = _place(proc)
    named = [n for n in proc.nodes.values() if n.kind != "userTask" and n.name]
    soft = []
    for n in named:
        w, h = _label_box(n.name)
        soft.append(Box(boxes[n.id].cx - w / 2, boxes[n.id].bottom + 5, w, h))
    router = _Router(pool, boxes, {n.id: n.kind for n in proc.nodes.values()}, soft)
    back = back_edges(proc)
    waypoints: dict[str, list[Point]] = {}
    for f in sorted(proc.flows, key=lambda f: f.id in back):
        # A boundary event's flow leaves downwards, away from its task.
        out_sides = "D" if proc.nodes[f.source].kind == "boundaryEvent" else "RLDU"
        waypoints[f.id] = router.route(f.source, f.target, out_sides)
    routes = [waypoints[f.id] for f in proc.flows]
    taken: list[Box] = []
    node_labels: dict[str, Box] = {}
    area = Box(pool.x + POOL_HEADER, pool.y, pool.w - POOL_HEADER, pool.h)
    for n in named:
        node_labels[n.id] = _node_label(boxes[n.id], n.name, taken, boxes, routes, area)
        taken.append(node_labels[n.id])
    flow_labels: dict[str, Box] = {}
    for f in proc.flows:
        if f.name:
            flow_labels[f.id] = _flow_label(waypoints[f.id], f.name, taken, boxes, routes, area)
            taken.append(flow_labels[f.id])
    return Layout(boxes, lanes, pool, {f.id: waypoints[f.id] for f in proc.flows}, node_labels, flow_labels)
