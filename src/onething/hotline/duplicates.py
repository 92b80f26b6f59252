"""Possible duplicates of a ticket being typed (疑似重复工单), for the operator to merge.

The same pothole, the same shop, the same stalled application is called in by several people
or by one person several times. While the operator types, the open tickets of the same city
from the last :data:`~onething.hotline.rules.DUPLICATE_DAYS` days are compared with the new
one: FixMyStreet compares distance only; a hotline call has a caller, an item and an address,
and above all words, so all four count:

- same caller phone 0.4, same item 0.25, same address 0.2;
- the Chinese text similarity of the contents (folded, jieba words with the stopwords dropped,
  plus character bigrams so short texts and different segmentations still meet; the cosine of
  the two sets, |A∩B| / √(|A|·|B|)) × 0.5.

The total is capped at 1; candidates scoring at least
:data:`~onething.hotline.rules.DUPLICATE_MIN_SCORE` are suggested, best first. Candidates
are preselected in SQL (same phone, item or address, or simply the most recent of the city;
at most :data:`CANDIDATES`) so the Python scoring has a bounded cost.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone

from onething.directory.models import Region
from onething.hotline import rules
from onething.hotline.models import Ticket
from onething.kernel.errors import Invalid
from onething.search.normalize import fold, is_cjk, runs
from onething.search.segmentation import stopwords, words

PHONE_WEIGHT = 0.4
ITEM_WEIGHT = 0.25
ADDRESS_WEIGHT = 0.2
TEXT_WEIGHT = 0.5
#: candidates read from the database at most (matches on phone/item/address first)
CANDIDATES = 300
#: contents compared on their first this many characters (a long letter says it early)
TEXT_PREFIX = 1000


@dataclass
class Suggestion:
    ticket: Ticket
    score: float
    reasons: list[str] = field(default_factory=list)


def city_path(region: Region) -> str:
    """The city of a region: the first two segments of its path (a province: itself)."""
    return "/".join(region.path.split("/")[:2])


def features(content: str) -> frozenset[str]:
    """What two contents are compared on: folded jieba words without stopwords, and the
    character bigrams of the CJK runs (latin runs as words)."""
    folded = fold(content[:TEXT_PREFIX])
    stop = stopwords()
    out = {w for w in words(folded, search_mode=False) if w not in stop and (len(w) > 1 or not is_cjk(w))}
    for run in runs(folded):
        if is_cjk(run):
            out.update(f"·{run[i : i + 2]}" for i in range(len(run) - 1))
    return frozenset(out)


def similarity(a: frozenset[str] | str, b: frozenset[str] | str) -> float:
    """Cosine similarity of two contents' feature sets (0–1)."""
    fa = features(a) if isinstance(a, str) else a
    fb = features(b) if isinstance(b, str) else b
    if not fa or not fb:
        return 0.0
    return len(fa & fb) / math.sqrt(len(fa) * len(fb))


def _norm_phone(phone: str) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())


def _norm_address(address: str) -> str:
    return "".join(runs(fold(address or "")))


def _candidates(region: Region, phone: str, item_code: str, address: str, since, exclude):
    path = city_path(region)
    qs = Ticket.objects.filter(
        Q(region__path=path) | Q(region__path__startswith=f"{path}/"),
        status__in=[s for s in Ticket.OPEN if s != Ticket.Status.MERGED],
        primary__isnull=True,
        received_at__gte=since,
    )
    if exclude:
        qs = qs.exclude(pk=exclude)
    whens = []
    if phone:
        whens.append(When(caller_phone=phone, then=Value(0)))
    if item_code:
        whens.append(When(item_code=item_code, then=Value(0)))
    if address:
        whens.append(When(address=address, then=Value(0)))
    if whens:
        qs = qs.annotate(near=Case(*whens, default=Value(1), output_field=IntegerField()))
        order = ["near", "-received_at"]
    else:
        order = ["-received_at"]
    return list(qs.select_related("region").order_by(*order)[:CANDIDATES])


def suggest(
    *,
    region: str,
    content: str,
    caller_phone: str = "",
    item_code: str = "",
    address: str = "",
    exclude: int | None = None,
    now: dt.datetime | None = None,
    limit: int = rules.DUPLICATE_LIMIT,
) -> list[Suggestion]:
    """Open tickets of the same city that may be the same matter, best first."""
    now = now or timezone.now()
    code = (region or "").strip()
    if not code:
        raise Invalid("请选择“所属区划”", "region")
    place = Region.objects.filter(code=code[:12]).first()
    if place is None:
        raise Invalid(f"未知的区划代码“{code[:12]}”", "region")
    content = (content or "")[: rules.CONTENT_MAX]
    phone = (caller_phone or "").strip()[: rules.PHONE_MAX]
    item_code = (item_code or "").strip()[:64]
    address = (address or "").strip()[: rules.ADDRESS_MAX]
    if not (content.strip() or phone or item_code or address):
        return []
    since = now - dt.timedelta(days=rules.DUPLICATE_DAYS)
    mine = features(content) if content.strip() else frozenset()
    digits, place_key = _norm_phone(phone), _norm_address(address)
    out: list[Suggestion] = []
    for ticket in _candidates(place, phone, item_code, address, since, exclude):
        score, reasons = 0.0, []
        if digits and len(digits) >= 5 and _norm_phone(ticket.caller_phone) == digits:
            score += PHONE_WEIGHT
            reasons.append("同一来电号码")
        if item_code and ticket.item_code == item_code:
            score += ITEM_WEIGHT
            reasons.append("同一事项")
        if place_key and _norm_address(ticket.address) == place_key:
            score += ADDRESS_WEIGHT
            reasons.append("同一地址")
        if mine:
            alike = similarity(mine, features(ticket.content))
            if alike >= 0.05:
                score += TEXT_WEIGHT * alike
                reasons.append(f"内容相似 {round(alike * 100)}%")
        score = min(1.0, round(score, 4))
        if score >= rules.DUPLICATE_MIN_SCORE:
            out.append(Suggestion(ticket, score, reasons))
    out.sort(key=lambda s: (-s.score, -s.ticket.received_at.timestamp()))
    return out[: max(0, limit)]
