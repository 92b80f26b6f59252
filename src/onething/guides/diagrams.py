"""Server-side SVG: the process as a flow diagram and the reduction report as a bar chart.

Generated from the plan, never drawn by hand, so the picture cannot disagree with the
catalog. Plain SVG with presentation attributes only (no ``style`` attributes, no script):
it passes the strict CSP in the browser and renders identically in WeasyPrint's PDFs.
Layout is vertical and narrow (360 units) because most applicants read it on a phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = "OneThing CJK, Noto Sans CJK SC, Noto Sans CJK, sans-serif"
WIDTH = 360
_ids = count(1)


@dataclass(frozen=True)
class Node:
    id: str
    title: str
    subtitle: str = ""
    stage: int = 1
    kind: str = "task"  # "task" | "terminal"


def _wrap(text: str, per_line: int, lines: int) -> list[str]:
    """Wrap CJK text by character count (every glyph is one em wide), ellipsis on overflow."""
    out = [text[i : i + per_line] for i in range(0, len(text), per_line)] or [""]
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: per_line - 1] + "…"
    return out


def flow_svg(
    nodes: Sequence[Node], edges: Sequence[tuple[str, str]], *, title: str, per_row: int = 2
) -> SafeString:
    """A layered flow diagram: nodes grouped by stage top to bottom, edges as arrows.

    Nodes in the same stage run in parallel (并联办理) and sit side by side, ``per_row`` to a
    row; order reads top to bottom. An edge goes from the bottom of its source to the top of
    its target and never crosses a box: between adjacent rows it is a curve within the gap;
    across rows it runs down the gap below its source to a lane outside the boxes (left or
    right margin, whichever is nearer), down the lane, and back in along the gap above its
    target.
    """
    uid = f"f{next(_ids)}"
    box_h, gap_y, margin, lane = 54, 30, 18, 7
    stages = sorted({n.stage for n in nodes})
    pos: dict[str, tuple[float, float, float]] = {}  # id -> (x, y, w)
    row_of: dict[str, int] = {}
    y = margin / 2
    row = 0
    for stage in stages:
        row_nodes = [n for n in nodes if n.stage == stage]
        for start in range(0, len(row_nodes), per_row):
            chunk = row_nodes[start : start + per_row]
            w = (WIDTH - 2 * margin - (len(chunk) - 1) * 12) / len(chunk)
            for k, n in enumerate(chunk):
                pos[n.id] = (margin + k * (w + 12), y, w)
                row_of[n.id] = row
            y += box_h + gap_y
            row += 1
    height = y - gap_y + margin / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flow" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="{WIDTH}" height="{height:.0f}" role="img" aria-labelledby="{uid}-t" font-family="{FONT}">',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<defs><marker id="{uid}-a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#44617b"/></marker></defs>',
    ]
    for a, b in edges:
        if a not in pos or b not in pos:
            continue
        ax, ay, aw = pos[a]
        bx, by, bw = pos[b]
        x1, y1, x2, y2 = ax + aw / 2, ay + box_h, bx + bw / 2, by - 2
        if row_of[b] == row_of[a] + 1:
            mid = (y1 + y2) / 2
            d = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{y2:.1f}"
        else:
            side = lane if x2 < WIDTH / 2 else WIDTH - lane
            below, above = y1 + gap_y / 2, by - gap_y / 2
            d = (
                f"M{x1:.1f},{y1:.1f} L{x1:.1f},{below:.1f} L{side:.1f},{below:.1f} "
                f"L{side:.1f},{above:.1f} L{x2:.1f},{above:.1f} L{x2:.1f},{y2:.1f}"
            )
        parts.append(
            f'<path d="{d}" fill="none" stroke="#44617b" stroke-width="1.4" marker-end="url(#{uid}-a)"/>'
        )
    for n in nodes:
        x, y0, w = pos[n.id]
        terminal = n.kind == "terminal"
        parts.append(
            f'<rect x="{x:.1f}" y="{y0:.1f}" width="{w:.1f}" height="{box_h}" rx="{box_h / 2 if terminal else 6}" '
            f'fill="{"#e7f0fa" if terminal else "#ffffff"}" stroke="#1f5f99" stroke-width="1.4"/>'
        )
        per_line = max(4, int((w - 12) // 12.5))
        lines = _wrap(n.title, per_line, 2 if n.subtitle else 3)
        text_y = y0 + (16 if len(lines) > 1 or n.subtitle else 31)
        for k, line in enumerate(lines):
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{text_y + k * 15:.1f}" font-size="12.5" text-anchor="middle" '
                f'fill="#10263b">{escape(line)}</text>'
            )
        if n.subtitle:
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{y0 + box_h - 7:.1f}" font-size="10.5" text-anchor="middle" '
                f'fill="#4a5b6b">{escape(_wrap(n.subtitle, per_line + 3, 1)[0])}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above


def bundle_flow(plan, labels: dict[str, tuple[str, str]]) -> SafeString:
    """The bundle's process: one window in, members by dependency stage, one delivery out."""
    start = Node("__start", "一窗受理 · 一表申请", "综合窗口或网上统一受理", 0, "terminal")
    last = max((m.stage for m in plan.members), default=0) + 1
    end = Node("__end", "统一出件", "结果一次送达", last, "terminal")
    nodes = [start]
    edges: list[tuple[str, str]] = []
    has_successor = {a for m in plan.members for a in m.after}
    for m in plan.members:
        name, dept = labels.get(m.item, (m.name, ""))
        days = "即办" if m.promised_limit == 0 else f"{m.promised_limit}个工作日"
        nodes.append(Node(m.item, name, f"{dept} · {days}" if dept else days, m.stage))
        edges += [("__start", m.item)] if not m.after else [(a, m.item) for a in m.after]
        if m.item not in has_successor:
            edges.append((m.item, "__end"))
    nodes.append(end)
    if len(plan.inspection) > 1:
        title = f"{plan.name}办理流程（{len(plan.inspection)}个事项一次联合踏勘）"
    else:
        title = f"{plan.name}办理流程"
    return flow_svg(nodes, edges, title=title)


def item_flow(item: dict) -> SafeString:
    """A single item's steps (受理 → 审查 → 决定 → 送达) as a vertical chain."""
    steps = item.get("steps") or [{"name": "受理"}, {"name": "审查"}, {"name": "决定"}, {"name": "送达"}]
    nodes = [Node("__start", "提交申请", "网上或窗口", 0, "terminal")]
    for k, s in enumerate(steps, start=1):
        days = s.get("days")
        sub = "" if days is None else ("当场办理" if days == 0 else f"{days}个工作日")
        nodes.append(Node(f"s{k}", s["name"], sub, k))
    nodes.append(
        Node("__end", "取得结果", (item.get("result") or {}).get("name", ""), len(steps) + 1, "terminal")
    )
    edges = [(nodes[k].id, nodes[k + 1].id) for k in range(len(nodes) - 1)]
    return flow_svg(nodes, edges, title=f"{item.get('name', '')}办理流程", per_row=1)


def reduction_chart(rows: Sequence[dict], *, title: str = "分别办理与一件事办理对比") -> SafeString:
    """Two bars per figure (分别办 grey, 一件事 blue), each row scaled to its own maximum."""
    uid = f"r{next(_ids)}"
    row_h, label_w, bar_h = 44, 74, 14
    height = 26 + row_h * len(rows)
    track = WIDTH - label_w - 46
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" aria-labelledby="{uid}-t" font-family="{FONT}">',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<rect x="{label_w}" y="4" width="10" height="10" fill="#b7c2cc"/>'
        f'<text x="{label_w + 14}" y="13" font-size="11" fill="#333">分别办理</text>'
        f'<rect x="{label_w + 80}" y="4" width="10" height="10" fill="#1f6fb2"/>'
        f'<text x="{label_w + 94}" y="13" font-size="11" fill="#333">一件事办理</text>',
    ]
    for k, r in enumerate(rows):
        y = 24 + k * row_h
        top = max(r["separate"], r["bundled"], 1)
        parts.append(f'<text x="0" y="{y + 19}" font-size="12" fill="#10263b">{escape(r["label"])}</text>')
        for j, (value, color) in enumerate(((r["separate"], "#b7c2cc"), (r["bundled"], "#1f6fb2"))):
            w = max(track * value / top, 1.5)
            by = y + 2 + j * (bar_h + 3)
            parts.append(f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>')
            parts.append(
                f'<text x="{label_w + w + 4:.1f}" y="{by + 11}" font-size="11" fill="#10263b">{value}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above
