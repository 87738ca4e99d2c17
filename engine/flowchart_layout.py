"""The second graphviz pass: bands restacked in the diagram's order, drawn with ``neato -n2``.

``dot`` places each leaf band as a cluster but orders clusters to cut crossings. Here the bands
are stacked in the diagram's order by moving every band's contents across the flow; nodes keep
dot's positions along it, edges inside one band keep dot's routes, edges between bands are routed
anew, and the bands themselves are drawn as background rectangles with a header cell. Boundary
events are moved onto their activity's border, groups drawn around the nodes they enclose.

An upright model (lanes with ``isHorizontal="false"``) is laid out top to bottom by dot and read
here through a mirror across the diagonal, so the same stacking code stacks its lanes as columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from engine.flowchart_plan import Band, Plan
from engine.flowchart_style import FONT, OVERLAY_STYLES, attrs, esc, html_lines, quote, safe_id, wrap

HEADER_CELL_W = 128.0
#: The header cell's depth above an upright lane (its text runs across the column).
HEADER_CELL_H = 56.0
PAD = 14.0
MIN_BAND_H = 64.0
POOL_GAP = 12.0

Box = tuple[float, float, float, float]


def _objects(layout: Mapping[str, object], key: str) -> list[Mapping[str, object]]:
    items = layout.get(key, [])
    return [o for o in items if isinstance(o, Mapping)] if isinstance(items, list) else []


def _span(band: Band) -> None:
    if band.children:
        for child in band.children:
            _span(child)
        band.top = band.children[0].top
        band.bottom = band.children[-1].bottom


class Layout:
    """One second pass over a plan and dot's JSON layout of its first pass."""

    def __init__(self, plan: Plan, layout: Mapping[str, object]):
        self.plan = plan
        self.flip = plan.vertical
        self.cell = HEADER_CELL_H if self.flip else HEADER_CELL_W
        self.pos: dict[str, Box] = {}
        self.boxes: dict[str, Box] = {}
        for obj in _objects(layout, "objects"):
            name = str(obj.get("name", ""))
            if "pos" in obj:
                x, y = self.xy(*(float(v) for v in str(obj["pos"]).split(",")[:2]))
                w = float(str(obj.get("width", "0"))) * 72
                h = float(str(obj.get("height", "0"))) * 72
                self.pos[name] = (x, y, h, w) if self.flip else (x, y, w, h)
            elif name.startswith("cluster_sp") and "bb" in obj:
                x0, y0, x1, y1 = (float(v) for v in str(obj["bb"]).split(","))
                (ax, ay), (bx, by) = self.xy(x0, y0), self.xy(x1, y1)
                self.boxes[name] = (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))
        self.routes = {str(r.get("id", "")): r for r in _objects(layout, "edges")}
        self.moved: set[str] = set()
        self._boundaries_on_their_activity()

    def xy(self, x: float, y: float) -> tuple[float, float]:
        """Dot's coordinates in the working frame (a mirror across the diagonal when upright)."""
        return (-y, -x) if self.flip else (x, y)

    def pt(self, x: float, y: float) -> str:
        """A working-frame point as graphviz writes it."""
        ox, oy = self.xy(x, y)
        return f"{ox:.2f},{oy:.2f}"

    def spline(self, spline: str, dx: float = 0.0, dy: float = 0.0, *, into: bool = False) -> str:
        pieces = []
        for part in spline.split(";"):
            tokens = []
            for token in part.split():
                parts = token.split(",")
                prefix = ""
                if parts[0] in ("e", "s"):
                    prefix, parts = parts[0] + ",", parts[1:]
                x, y = self.xy(float(parts[0]), float(parts[1]))
                if into:
                    tokens.append(f"{prefix}{x:.2f},{y:.2f}")
                else:
                    tokens.append(prefix + self.pt(x + dx, y + dy))
            pieces.append(" ".join(tokens))
        return ";".join(pieces)

    def points(self, spline: str) -> Iterator[tuple[float, float]]:
        for token in self.spline(spline, into=True).replace(";", " ").split():
            parts = token.split(",")
            if parts[0] in ("e", "s"):
                parts = parts[1:]
            yield float(parts[0]), float(parts[1])

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: str, pen: str, dashed: bool = False) -> str:
        style = "S 6 -dashed " if dashed else "S 5 -solid "
        corners = [self.xy(x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
        points = "4 " + " ".join(f"{x:.2f} {y:.2f}" for x, y in corners)
        return f"{style}C {len(fill)} -{fill} c {len(pen)} -{pen} P {points}"

    def _boundaries_on_their_activity(self) -> None:
        """Put each boundary event on the lower border of its activity (or subprocess), side by side."""
        plan = self.plan
        on: dict[str, list[tuple[float, str, str]]] = {}
        for nid, node in plan.nodes.items():
            host_id = node.attached_to
            name = plan.dot_name.get(nid)
            if host_id and host_id in plan.nodes and name in self.pos and nid not in plan.children:
                share = self._share_along(nid, host_id)
                on.setdefault(host_id, []).append((share if share is not None else 0.8, nid, name))
        for host_id, events in on.items():
            if host_id in plan.children:
                box = self.boxes.get(plan.clusters[host_id])
                if box is None:
                    continue
                left, bottom, width = box[0], box[1], box[2] - box[0]
            elif plan.dot_name[host_id] in self.pos:
                hx, hy, hw, hh = self.pos[plan.dot_name[host_id]]
                left, bottom, width = hx - hw / 2, hy - hh / 2, hw
            else:
                continue
            previous = float("-inf")
            for share, nid, name in sorted(events):
                _, _, w, h = self.pos[name]
                x = max(left + share * width, previous + w + 4)
                previous = x
                self.pos[name] = (x, bottom, w, h)
                self.moved.add(name)
                if host_id in plan.band_of:
                    plan.band_of[nid] = plan.band_of[host_id]

    def _share_along(self, nid: str, host_id: str) -> float | None:
        """Where along its activity's border the layout puts a boundary event (0 = start, 1 = end)."""
        diagram = self.plan.diagram
        if diagram is None or nid not in diagram.shapes or host_id not in diagram.shapes:
            return None
        event, host = diagram.shapes[nid].bounds, diagram.shapes[host_id].bounds
        if self.flip:
            start, size, at = host.y, host.height, event.centre[1]
        else:
            start, size, at = host.x, host.width, event.centre[0]
        return min(0.9, max(0.1, (at - start) / size)) if size > 0 else None

    # -- stacking ------------------------------------------------------------------------------

    def source(self) -> str:
        """The final graphviz source (positions included; draw it with ``dot -Kneato -n2``)."""
        plan = self.plan
        dot_band = {plan.dot_name[nid]: band for nid, band in plan.band_of.items() if nid in plan.dot_name}
        cluster_band = {plan.clusters[n]: plan.band_of[n] for n in plan.clusters if n in plan.band_of}
        extent: dict[str, list[float]] = {}

        def grow(band: Band, y_low: float, y_high: float) -> None:
            box = extent.setdefault(band.key, [y_low, y_high])
            box[0], box[1] = min(box[0], y_low), max(box[1], y_high)

        xs: list[float] = []
        for name, (x, y, w, h) in self.pos.items():
            holder = dot_band.get(name)
            if holder is None:
                continue
            below = 16.0 if h < 45 else 0.0  # room for an event's or gateway's external label
            grow(holder, y - h / 2 - below, y + h / 2)
            xs += [x - w / 2, x + w / 2]
        for cname, (x0, y0, x1, y1) in self.boxes.items():
            cb = cluster_band.get(cname)
            if cb is not None:
                grow(cb, y0, y1)
                xs += [x0, x1]
        same_band: set[str] = set()
        for edge in plan.edges:
            tb, hb = dot_band.get(edge.tail), dot_band.get(edge.head)
            route = self.routes.get(edge.key)
            if tb is None or tb is not hb or route is None or "pos" not in route \
                    or edge.tail in self.moved or edge.head in self.moved:
                continue
            same_band.add(edge.key)
            for px, py in self.points(str(route["pos"])):
                grow(tb, py, py)
                xs.append(px)
            if "lp" in route:
                ly = self.xy(*(float(v) for v in str(route["lp"]).split(",")))[1]
                grow(tb, ly - 12, ly + 12)

        any_drawn = any(leaf.drawn for leaf in plan.leaves)
        max_depth = max((leaf.depth for leaf in plan.leaves if leaf.drawn), default=-1)
        x_content = (max_depth + 1) * self.cell + PAD if any_drawn else 0.0
        dx = x_content - min(xs, default=0.0)
        width = max(x_content + (max(xs, default=0.0) - min(xs, default=0.0)) + PAD, x_content + 200.0)

        cursor = 0.0
        previous_root: Band | None = None
        root_of = {leaf.key: root for root in plan.roots for leaf in root.leaves()}
        for leaf in plan.leaves:
            root = root_of[leaf.key]
            if previous_root is not None and root is not previous_root and (root.is_pool or previous_root.is_pool):
                cursor -= POOL_GAP
            previous_root = root
            low, high = extent.get(leaf.key, [0.0, 0.0])
            content_h = high - low
            label_h = 0.0 if self.flip else 14.0 * len(wrap(leaf.label, 20, 4)) + 2 * PAD
            height = max(content_h + 2 * PAD, label_h, MIN_BAND_H if leaf.drawn or leaf.nodes else 0.0)
            leaf.top, leaf.bottom = cursor, cursor - height
            leaf.dy = (cursor - (height - content_h) / 2) - high
            cursor -= height
        for root in plan.roots:
            _span(root)
        return "\n".join(self._emit(dx, width, max_depth, same_band, dot_band))

    def _emit(self, dx: float, width: float, max_depth: int, same_band: set[str],
              dot_band: Mapping[str, Band]) -> list[str]:
        plan = self.plan
        out = ["digraph G {",
               f"graph [splines=true forcelabels=true outputorder=edgesfirst fontname={quote(FONT)} "
               f"fontsize=10 pad=0.2];",
               f"node [fontname={quote(FONT)} fontsize=10];",
               f"edge [fontname={quote(FONT)} fontsize=9 arrowsize=0.7];"]
        label = self._graph_label()
        if label:
            out.append(f"graph [label=<{label}> labelloc=t labeljust=l];")
        drawing: list[str] = []
        bottom = min((leaf.bottom for leaf in plan.leaves), default=0.0)
        out.append(f'corner0 [shape=point style=invis width=0.01 pos="{self.pt(0, 0)}"];')
        out.append(f'corner1 [shape=point style=invis width=0.01 pos="{self.pt(width, bottom)}"];')
        for index, band in enumerate(b for root in plan.roots for b in root.walk()):
            if not band.drawn:
                continue
            x0 = band.depth * self.cell
            cell_w = (max_depth + 1 - band.depth) * self.cell if not band.children else self.cell
            if not band.children:
                drawing.append(self.rect(x0, band.bottom, width, band.top,
                                         "#f7f9fc" if index % 2 else "#ffffff", "#8a9bb0"))
            drawing.append(self.rect(x0, band.bottom, x0 + cell_w, band.top,
                                     "#dfe8f3" if band.is_pool else "#eaf0f7", "#8a9bb0"))
            if self.flip:  # the text runs across the column
                text = html_lines(band.label, max(8, int((band.top - band.bottom) / 7.5)), 3)
            else:
                text = html_lines(band.label, 20 if cell_w <= self.cell else 28, 5)
            if text:
                bold = ("<B>", "</B>") if band.is_pool or band.depth == 0 else ("", "")
                band_id = "band-" + (safe_id(band.element) or band.key)
                out.append(f'band{index} [shape=plaintext margin=0 id={quote(band_id)} '
                           f'class="bpmn band{" pool" if band.is_pool else " lane"}" '
                           f'label=<{bold[0]}{text}{bold[1]}> '
                           f'pos="{self.pt(x0 + cell_w / 2, (band.top + band.bottom) / 2)}"];')
        for nid, cname in plan.clusters.items():
            if cname not in self.boxes or nid not in plan.band_of:
                continue
            x0, y0, x1, y1 = self.boxes[cname]
            dy = plan.band_of[nid].dy
            # The title goes where dot left room for it: the top of the box as drawn.
            label_at = (x0 + dx + 11, (y0 + y1) / 2 + dy) if self.flip else ((x0 + x1) / 2 + dx, y1 + dy - 11)
            node = plan.nodes[nid]
            state = plan.status(nid)
            drawing.append(self.rect(x0 + dx, y0 + dy, x1 + dx, y1 + dy, "#fbfdff",
                                     state.border if state is not None else "#34495e",
                                     dashed=node.triggered_by_event))
            out.append(f'{cname.replace("cluster_", "label_")} [shape=plaintext margin=0 height=0.2 '
                       f'id={quote("bpmn-" + safe_id(nid))} class="bpmn {node.kind}" '
                       f'label=<{plan.subprocess_label(node)}> pos="{self.pt(*label_at)}"];')
        placed: dict[str, tuple[float, float]] = {}
        for nid, name in plan.dot_name.items():
            if nid in plan.children or nid not in plan.band_of or name not in self.pos:
                continue
            x, y, _, _ = self.pos[name]
            placed[nid] = (x + dx, y + plan.band_of[nid].dy)
            values = plan.node_attrs(nid)
            values["pos"] = self.pt(*placed[nid])
            out.append(f"{name} {attrs(values)};")
        out += self._groups(placed, drawing)
        out.insert(4, f"graph [_background={quote(' '.join(drawing))}];")
        names = {plan.dot_name[n] for n in placed}
        for i, edge in enumerate(plan.edges):
            if "attachment" in edge.attrs.get("class", ""):
                continue
            values = {k: v for k, v in edge.attrs.items() if k != "weight"}
            ends: list[str] = []
            for key, other in ((edge.tail, edge.head), (edge.head, edge.tail)):
                if key.startswith("pool:"):
                    point = self._pool_point(key, other, placed, i, width)
                    ends.append(f"pool{i}_{len(ends)}")
                    out.append(f"{ends[-1]} [shape=point style=invis width=0.01 pos=\"{self.pt(*point)}\"];")
                elif key in names:
                    ends.append(key)
            if len(ends) != 2:
                continue
            route = self.routes.get(edge.key)
            if edge.key in same_band and route is not None:
                dy = dot_band[edge.tail].dy
                values["pos"] = self.spline(str(route["pos"]), dx, dy)
                if "lp" in route:
                    lx, ly = self.xy(*(float(v) for v in str(route["lp"]).split(",")))
                    values["lp"] = self.pt(lx + dx, ly + dy)
            out.append(f"{quote(ends[0])} -> {quote(ends[1])} {attrs(values)};")
        out.append("}")
        return out

    def _groups(self, placed: Mapping[str, tuple[float, float]], drawing: list[str]) -> list[str]:
        """A dashed box around the nodes each group's shape encloses in the diagram's layout."""
        plan, out = self.plan, list[str]()
        diagram = plan.diagram
        if diagram is None:
            return out
        for index, group in enumerate(plan.groups):
            shape = diagram.shapes.get(group.id)
            if shape is None:
                continue
            members = [placed[n] + self.pos[plan.dot_name[n]][2:] for n in placed
                       if n in diagram.shapes and shape.bounds.contains(diagram.shapes[n].bounds)]
            if not members:
                continue
            x0 = min(x - w / 2 for x, _, w, _ in members) - 10
            x1 = max(x + w / 2 for x, _, w, _ in members) + 10
            y0 = min(y - h / 2 for _, y, _, h in members) - 10
            y1 = max(y + h / 2 for _, y, _, h in members) + 18
            drawing.append(self.rect(x0, y0, x1, y1, "transparent", "#7f8c8d", dashed=True))
            out.append(f'group{index} [shape=plaintext margin=0 height=0.2 id={quote("bpmn-" + safe_id(group.id))} '
                       f'class="bpmn group" label=<<FONT POINT-SIZE="9">{html_lines(group.name, 30, 2) or " "}'
                       f'</FONT>> pos="{self.pt((x0 + x1) / 2, y1 - 8)}"];')
        return out

    def _pool_point(self, key: str, other: str, placed: Mapping[str, tuple[float, float]], index: int,
                    width: float) -> tuple[float, float]:
        plan = self.plan
        bands = {b.key: b for root in plan.roots for b in root.walk()}
        band = bands[key.split(":", 1)[1]]
        other_band = bands.get(other.split(":", 1)[1]) if other.startswith("pool:") else None
        other_node = next((n for n, d in plan.dot_name.items() if d == other and n in placed), None)
        if other_node is not None:
            x, y = placed[other_node]
        elif other_band is not None:
            x, y = self.cell * 2 + 60.0 * (index + 1), (other_band.top + other_band.bottom) / 2
        else:
            x, y = width / 2, (band.top + band.bottom) / 2
        x = min(max(x, self.cell + 10), width - 10)
        return (x, band.top - 1) if y > band.top else (x, band.bottom + 1)

    def _graph_label(self) -> str:
        plan = self.plan
        rows: list[str] = []
        if plan.header is not None:
            if html_lines(plan.header.title, 120, 3):
                rows.append(f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="14"><B>'
                            f"{html_lines(plan.header.title, 120, 3)}</B></FONT></TD></TR>")
            for line in plan.header.lines():
                rows.append(f'<TR><TD ALIGN="LEFT">{html_lines(line, 160, 3)}</TD></TR>')
        if plan.legend:
            cells = "".join(
                f'<TD BGCOLOR="{s.fill}" COLOR="{s.border}" BORDER="1" CELLPADDING="3">{esc(s.label)}</TD>'
                for s in OVERLAY_STYLES.values())
            rows.append('<TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLSPACING="4" CELLPADDING="0"><TR>'
                        f"<TD>Chú giải:</TD>{cells}</TR></TABLE></TD></TR>")
        if not rows:
            return ""
        return '<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="1">' + "".join(rows) + "</TABLE>"
