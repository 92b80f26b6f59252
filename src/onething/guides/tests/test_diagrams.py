"""The flow diagrams read top to bottom and draw no line through a box: every edge of every
demo bundle's and item's diagram stays outside the boxes it does not start or end at."""

from __future__ import annotations

import re

import pytest

from onething.catalog.models import Revision
from onething.guides.diagrams import Node, flow_svg

pytestmark = pytest.mark.django_db

SVG = re.compile(r'<svg[^>]*class="flow".*?</svg>', re.S)
RECT = re.compile(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"')
PATH = re.compile(r'<path d="(M[^"]+)" fill="none"')


def _points(d: str, steps: int = 40):
    """Points along an SVG path of M, L and C commands (absolute)."""
    tokens = re.findall(r"[MLC]|-?[\d.]+", d)
    x = y = 0.0
    k = 0
    while k < len(tokens):
        cmd = tokens[k]
        k += 1
        if cmd == "M":
            x, y = float(tokens[k]), float(tokens[k + 1])
            k += 2
            yield x, y
        elif cmd == "L":
            nx, ny = float(tokens[k]), float(tokens[k + 1])
            k += 2
            for t in range(1, steps + 1):
                yield x + (nx - x) * t / steps, y + (ny - y) * t / steps
            x, y = nx, ny
        elif cmd == "C":
            c = [float(v) for v in tokens[k : k + 6]]
            k += 6
            for t in (i / steps for i in range(1, steps + 1)):
                u = 1 - t
                yield (
                    u**3 * x + 3 * u * u * t * c[0] + 3 * u * t * t * c[2] + t**3 * c[4],
                    u**3 * y + 3 * u * u * t * c[1] + 3 * u * t * t * c[3] + t**3 * c[5],
                )
            x, y = c[4], c[5]


def crossings(svg: str) -> list[str]:
    boxes = [tuple(map(float, m)) for m in RECT.findall(svg)]
    found = []
    for d in PATH.findall(svg):
        for px, py in _points(d):
            for bx, by, bw, bh in boxes:
                if bx + 1 < px < bx + bw - 1 and by + 1 < py < by + bh - 1:
                    found.append(f"{d[:40]}… through the box at ({bx:.0f},{by:.0f})")
                    break
    return found


def test_an_edge_skipping_rows_goes_around_the_boxes():
    nodes = [Node("s", "开始", stage=0, kind="terminal")]
    nodes += [Node(f"m{k}", f"事项{k}", stage=1) for k in range(5)]  # three rows of one stage
    nodes.append(Node("e", "结束", stage=2, kind="terminal"))
    edges = [("s", f"m{k}") for k in range(5)] + [(f"m{k}", "e") for k in range(5)]
    svg = flow_svg(nodes, edges, title="测试")
    assert crossings(svg) == []
    # the check itself finds a line drawn straight through a box
    straight = svg.replace("</svg>", '<path d="M180,0 L180,400" fill="none"/></svg>')
    assert crossings(straight)


def test_no_demo_diagram_draws_a_line_through_a_box(client, demo):
    bundles = Revision.objects.filter(kind="bundle").values_list("code", flat=True).distinct()
    items = Revision.objects.filter(kind="item").values_list("code", flat=True).distinct()[:20]
    pages = [f"/guide/bundles/{c}/guide/" for c in bundles] + [f"/guide/items/{c}/guide/" for c in items]
    # the local-hukou chain of 新生儿出生 (卫健 → 公安 → 医保): edges across several rows
    pages.append(
        "/guide/bundles/430600-YJS-XSECS/guide/?a.parents_local_hukou=true&a.parents_married=true"
        "&a.mother_insured=true&a.want_social_card=true"
    )
    seen = 0
    for url in pages:
        html = client.get(url).content.decode()
        for svg in SVG.findall(html):
            seen += 1
            assert crossings(svg) == [], url
            ys = [float(m[1]) for m in RECT.findall(svg)]
            assert ys == sorted(ys) or len(set(ys)) < len(ys), url  # rows read top to bottom
    assert seen >= len(pages) // 2
