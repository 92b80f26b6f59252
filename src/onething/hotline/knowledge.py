"""The knowledge base an operator searches while taking a call (知识库).

Two sources, one list of answers:

- **catalog items** — the answer to "how do I …" is the item's guide. Found through the
  portal's own search engine (:func:`onething.search.engine.find`: folding, pinyin, the
  glossary-aware jieba, colloquial synonyms, one result per item with the caller's region's
  implementation first), then read from the *published* revision and told in a few sentences
  the operator can read out (:func:`item_answer`): conditions, materials, the promised limit,
  fees, where and how far online;
- **articles** the hotline centre writes (:class:`~onething.hotline.models.Article`) for what
  no guide answers — policy lines, local arrangements. Matched with the same query
  understanding (:func:`onething.search.query.parse`) and scored by concept coverage of the
  title (weighted), the keywords and the body, on about the scale of the portal's ranking so
  both lists merge by score.

A key names an answer (``article:<id>``, ``item:<code>``): the operator's workbench records
it on a ticket answered on the spot (``Ticket.answered_from``) and :func:`record_use` counts
an article's uses.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import opencc
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse

from onething.accounts.models import StaffRole
from onething.catalog.models import Item
from onething.catalog.plans import published_inputs
from onething.catalog.views import EXEMPT_NAMES, ONLINE_NAMES, fee_text
from onething.core import text
from onething.directory.models import Department, Hall, Region
from onething.hotline import access, rules
from onething.hotline.models import Article
from onething.kernel import text as kernel_text
from onething.kernel.errors import DomainError, Invalid
from onething.search import engine, regions
from onething.search.normalize import fold, runs
from onething.search.query import MAX_LENGTH, ParsedQuery, parse

#: what an operator reads out, at most (a guide's full text is one tap away)
SUMMARY_MAX = 600
#: articles read per search at most (the SQL prefilter keeps this far above what matches)
ARTICLE_SCAN = 300
#: article scoring, on the scale of ``search.ranking`` (a name covering every concept: 2.0)
TITLE_COVERAGE = 2.0
KEYWORD_COVERAGE = 1.0
BODY_COVERAGE = 0.6
WHOLE_QUERY_IN_TITLE = 0.5
EXACT_TITLE = 3.0
MAX_LIMIT = 30
KEY = re.compile(r"^(article|item):(.{1,64})$")


@dataclass
class Answer:
    """One answer the operator may read to the caller."""

    kind: str  # "article" | "item"
    key: str  # "article:<id>" | "item:<code>"
    title: str
    summary: str
    link: str
    region_name: str
    score: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _shorten(value: str, limit: int = SUMMARY_MAX) -> str:
    value = value.strip()
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


# ------------------------------------------------------------------------------ catalog items


def guide_link(code: str) -> str:
    """The item's service guide on the portal (``/guide/items/<code>/guide/``), as the portal
    links it from a guidance page."""
    return reverse("guides:item_guide", args=[code])


def _materials_text(record: dict, materials: dict[str, dict]) -> str:
    parts = []
    for line in record.get("materials") or ():
        info = materials.get(line["material"], {})
        name = info.get("name") or line["material"]
        copies = []
        if line.get("originals"):
            copies.append(f"原件{line['originals']}份")
        if line.get("copies"):
            copies.append(f"复印件{line['copies']}份")
        notes = [*copies]
        if line.get("note"):
            notes.append(line["note"])
        if line.get("required") is False or line.get("when"):
            notes.append("视情形提交")
        if info.get("exempt_via"):
            notes.append(f"可通过{EXEMPT_NAMES.get(info['exempt_via'], '')}免提交")
        parts.append(name + (f"（{'，'.join(notes)}）" if notes else ""))
    return "、".join(parts)


def _where(record: dict) -> str:
    online = record.get("online") or ""
    depth = ONLINE_NAMES.get(online, "")
    hall = None
    region_code = record.get("region")
    if region_code:
        region = Region.objects.filter(pk=region_code).only("code", "path").first()
        if region is not None:
            chain = list(reversed(region.path.split("/")))
            halls = {h.region_id: h for h in Hall.objects.filter(region_id__in=chain, kind="hall")}
            hall = next((halls[c] for c in chain if c in halls), None)
    visits = record.get("visits", 1)
    if online == "full":
        how = "可全程网办（政务服务网或掌上办），无需到现场"
    elif online == "apply":
        how = "可网上申请" + (f"，需到现场{visits}次" if visits else "")
    else:
        how = (depth or "需到现场办理") + (f"，需到现场{visits}次" if visits else "")
    if hall is not None and online != "full":
        how += f"；办理地点：{hall.name}" + (f"（{hall.address}）" if hall.address else "")
    return how


def item_answer(item: Item | str, *, score: float = 0.0, region_name: str = "") -> Answer | None:
    """The answer an item's guide gives, from its published revision (``None``: not published).

    What an operator tells a caller asking "how do I …": what it is and who does it, the
    conditions, the materials, the promised limit, the fee, where and how far online.
    """
    code = item.code if isinstance(item, Item) else str(item)
    try:
        inputs = published_inputs("item", code)
    except DomainError:
        return None
    record = inputs.record
    department = Department.objects.filter(pk=record.get("department")).values_list("name", flat=True).first()
    if not region_name and record.get("region"):
        region_name = Region.objects.filter(pk=record["region"]).values_list("name", flat=True).first() or ""
    promised = record.get("promised_limit", 0)
    legal = record.get("legal_limit", 0)
    limit = (
        "即办件，当场办结"
        if not promised
        else f"承诺{promised}个工作日办结"
        + (f"（法定{legal}个工作日）" if legal and legal != promised else "")
    )
    sentences = [f"“{record['name']}”由{department or '实施部门'}办理。"]
    if record.get("conditions"):
        sentences.append(f"受理条件：{record['conditions'].strip()}")
    materials = _materials_text(record, inputs.materials)
    if materials:
        sentences.append(f"需要材料：{materials}。")
    sentences.append(f"时限：{limit}；{fee_text(record.get('fee') or {})}。")
    sentences.append(f"办理方式：{_where(record)}。")
    result = (record.get("result") or {}).get("name")
    if result:
        sentences.append(f"办理结果：{result}。")
    return Answer(
        kind="item",
        key=f"item:{code}",
        title=record["name"],
        summary=_shorten("".join(sentences)),
        link=guide_link(code),
        region_name=region_name,
        score=round(score, 4),
    )


def _items(q: str, scope: regions.RegionScope | None, limit: int) -> list[Answer]:
    page = engine.find(q, scope, scope, limit=limit)
    out = []
    for result in page.results:
        if result["kind"] != "item":
            continue
        answer = item_answer(result["code"], score=result["score"], region_name=result["region_name"])
        if answer is not None:
            out.append(answer)
    return out


# ------------------------------------------------------------------------------ articles


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def region_chain(region: Region) -> list[str]:
    """The region and the regions above it (an article of any of them applies)."""
    return region.path.split("/")


def _articles_in(region: Region | None):
    qs = Article.objects.filter(published=True).select_related("region")
    if region is not None:
        qs = qs.filter(Q(region__isnull=True) | Q(region_id__in=region_chain(region)))
    return qs


def _prefilter(query: ParsedQuery) -> Q:
    """Articles containing any alternative of any concept (as typed in Simplified or
    Traditional characters) — the Python scoring then folds both sides."""
    condition = Q()
    for concept in query.concepts:
        for term in concept.alternatives:
            for variant in {term, _s2t().convert(term)}:
                condition |= Q(title__icontains=variant) | Q(keywords__icontains=variant)
                condition |= Q(body__icontains=variant)
    return condition


def article_score(article: Article, query: ParsedQuery) -> float:
    """Each concept counts once, where it is best placed: the title (weighted as the portal
    weighs an item's name), else the keywords, else the body; plus the whole query in the
    title — comparable with the portal's item ranking (``search.ranking``)."""
    if not query.concepts:
        return 0.0
    title, keywords, body = fold(article.title), fold(article.keywords), fold(article.body)
    covered = 0.0
    for concept in query.concepts:
        alts = concept.alternatives
        if any(a in title for a in alts):
            covered += TITLE_COVERAGE
        elif any(a in keywords for a in alts):
            covered += KEYWORD_COVERAGE
        elif any(a in body for a in alts):
            covered += BODY_COVERAGE
    if not covered:
        return 0.0
    compact, compact_title = query.compact, "".join(runs(title))
    value = (
        covered / len(query.concepts)
        + WHOLE_QUERY_IN_TITLE * (len(compact) > 1 and compact in compact_title)
        + EXACT_TITLE * (bool(compact) and compact == compact_title)
    )
    return round(value, 4)


def article_answer(article: Article, score: float = 0.0) -> Answer:
    return Answer(
        kind="article",
        key=f"article:{article.pk}",
        title=article.title,
        summary=_shorten(article.body),
        link=reverse("hotline:knowledge_article", args=[article.pk]),
        region_name=article.region.name if article.region_id else "全省",
        score=score,
    )


def _articles(query: ParsedQuery, region: Region | None, limit: int) -> list[Answer]:
    rows = _articles_in(region).filter(_prefilter(query)).order_by("-updated_at")[:ARTICLE_SCAN]
    scored = [(article_score(a, query), a) for a in rows]
    scored = [(s, a) for s, a in scored if s > 0]
    scored.sort(key=lambda sa: (-sa[0], -sa[1].uses, -sa[1].pk))
    return [article_answer(a, s) for s, a in scored[:limit]]


# ------------------------------------------------------------------------------ search


def clean_query(q: Any) -> str:
    """The query as typed, stripped; over :data:`~onething.search.query.MAX_LENGTH` characters
    is refused (as the portal refuses it)."""
    if isinstance(q, str) and len(q.strip()) > MAX_LENGTH:
        raise Invalid(f"“搜索词”不能超过{MAX_LENGTH}个字", "q")
    return text.clean(q, "q", max_length=MAX_LENGTH).strip()


def region_of(code: Any) -> Region | None:
    code = text.clean(code, "region", max_length=12).strip()
    if not code:
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise Invalid(f"未知的区划代码“{code}”", "region")
    return region


def search(q: str, *, region: str | None = None, limit: int = 8) -> list[Answer]:
    """Answers for what the caller asks, best first: the guides of catalog items found by the
    portal's search (scoped to ``region`` like the portal) and the centre's published articles
    of that region or above, merged by score. A blank query has no answers."""
    q = clean_query(q)
    if not q:
        return []
    scope_region = region_of(region)
    limit = max(1, min(int(limit), MAX_LIMIT))
    query = parse(q)
    scope = regions.scope(scope_region.code) if scope_region is not None else None
    answers = _items(q, scope, limit) + (_articles(query, scope_region, limit) if query else [])
    answers.sort(key=lambda a: (-a.score, a.kind != "article"))
    return answers[:limit]


def use(key: str) -> Answer | None:
    """The answer a key names (``article:<id>`` of a published article, ``item:<code>`` of a
    published item), or ``None``."""
    match = KEY.match((key or "").strip())
    if not match:
        return None
    kind, ident = match.groups()
    if kind == "item":
        return item_answer(ident)
    if not ident.isdigit() or len(ident) > 18:
        return None
    article = Article.objects.filter(pk=int(ident), published=True).select_related("region").first()
    return article_answer(article) if article is not None else None


def record_use(key: str) -> None:
    """Count one use of an article (an item's guide is counted by nobody)."""
    match = KEY.match((key or "").strip())
    if match and match.group(1) == "article" and match.group(2).isdigit() and len(match.group(2)) <= 18:
        Article.objects.filter(pk=int(match.group(2))).update(uses=F("uses") + 1)


# ------------------------------------------------------------------------------ management


def _flag(value: Any, field: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    if value in (True, "true", "1", "on", "yes"):
        return True
    if value in (False, "false", "0", "off", "no"):
        return False
    raise Invalid(f"“{text.label(field)}”应为是或否", field)


def _body(value: Any) -> str:
    """The article's text, named “答复口径” (the platform's label of ``body`` is a request's
    body, which this module must not rename for everyone)."""
    try:
        body = kernel_text.clean_text(
            "" if value is None else value, max_length=rules.ARTICLE_MAX, multiline=True
        )
    except kernel_text.TextError as exc:
        raise Invalid(f"“答复口径”{exc.reason}", "body") from None
    if not body:
        raise Invalid("“答复口径”必填", "body")
    return body


def save_article(data: dict, actor, article: Article | None = None) -> Article:
    """Create or change an article from ``data`` (title, body, keywords, region, item_code,
    published), validated whole first (a message naming the field, nothing written). Who may
    edit is the caller's check (operators and platform admins)."""
    if not isinstance(data, dict):
        raise Invalid("请求体应为 JSON 对象", "body")
    title = text.clean(data.get("title"), "title", max_length=rules.TITLE_MAX, required=True)
    body = _body(data.get("body"))
    keywords = " ".join(text.clean(data.get("keywords"), "keywords", max_length=200).split())
    region = region_of(data.get("region"))
    item_code = text.clean(data.get("item_code"), "item_code", max_length=64).strip()
    if item_code and not Item.objects.filter(code=item_code).exists():
        raise Invalid(f"未找到事项“{item_code}”", "item_code")
    published = _flag(data.get("published"), "published", True if article is None else article.published)
    article = article or Article()
    article.title, article.body, article.keywords = title, body, keywords
    article.region, article.item_code, article.published = region, item_code, published
    article.updated_by = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        article.save()
    return article


# ------------------------------------------------------------------------------ who


def may_search(user) -> bool:
    """Hotline staff of any role (operator, handler, supervisor, window) read the knowledge base."""
    return bool(access.staff_roles(user))


def may_edit(user) -> bool:
    """Hotline operators and platform admins write it."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        getattr(user, "is_superuser", False)
        or StaffRole.objects.filter(
            user=user, role__in=(StaffRole.HOTLINE_OPERATOR, StaffRole.PLATFORM_ADMIN)
        ).exists()
    )


def home_region(user) -> str:
    """The region a staff member works for (their first operator or supervisor region), the
    default scope of their searches; "" when none."""
    if not getattr(user, "is_authenticated", False):
        return ""
    code = (
        StaffRole.objects.filter(
            user=user, role__in=(StaffRole.HOTLINE_OPERATOR, StaffRole.SUPERVISOR), region__isnull=False
        )
        .order_by("pk")
        .values_list("region_id", flat=True)
        .first()
    )
    return code or ""
