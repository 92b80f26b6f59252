"""The rules of data sharing, in one place (pure functions: no database, no HTTP).

- which working-day limit each stage of a request runs on (审核 2, 答复 5 or 10 when the data
  must first be published, 协调, 数据异议) — the numbers are the seeded clock policies';
- what a negative-list entry's legal basis must cite;
- what the gateway answers: the one projection of a provider's record onto the approved and
  asked-for fields, and the reasons a query is refused (each with its Chinese sentence).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from onething.kernel import codes

#: clock policy codes and their seeded limits in working days (editable in the admin)
CHECK, ANSWER, ANSWER_PUBLISH, SETTLE, DISPUTE_ANSWER = (
    "sharing.check",
    "sharing.answer",
    "sharing.answer_publish",
    "sharing.settle",
    "sharing.dispute",
)
POLICIES = {
    CHECK: ("共享申请审核时限（数据主管部门，工作日）", 2),
    ANSWER: ("有条件共享答复时限（提供部门，工作日）", 5),
    ANSWER_PUBLISH: ("需先发布数据的答复时限（提供部门，工作日）", 10),
    SETTLE: ("共享争议协调时限（数据主管部门，工作日）", 5),
    DISPUTE_ANSWER: ("数据异议答复时限（提供部门，工作日）", 5),
}

#: default validity of an approval, in days, when the approver names none
DEFAULT_VALIDITY_DAYS = 365
MAX_VALIDITY_DAYS = 3 * 365
MAX_DAILY_QUOTA = 1_000_000


def answer_policy(publish_first: bool) -> str:
    """The provider's limit: 5 working days, 10 when the data must first be published."""
    return ANSWER_PUBLISH if publish_first else ANSWER


# ------------------------------------------------------------------------------ negative list

_LAW = re.compile(r"《[^《》]{2,80}(法|条例|规定|办法|决定|细则|规则|解释)(（[^（）]{1,40}）)?》")


def law_citation_problem(text: str) -> str | None:
    """Why ``text`` is not a legal basis a 负面清单 entry may stand on, or ``None``.

    It must name a law or regulation by its title in 《》 (《中华人民共和国…法》, 《…条例》 …);
    "保密", "内部数据" or an empty text is not a law."""
    if not (text or "").strip():
        return "不予共享须填写法律法规依据"
    if not _LAW.search(text):
        return "不予共享的依据须引用法律法规名称（如《中华人民共和国个人信息保护法》第十三条）"
    return None


# ------------------------------------------------------------------------------ the gateway


@dataclass(frozen=True)
class Denial:
    """Why the gateway refused: a stable code, the HTTP status the API maps it to, a sentence."""

    code: str
    status: int
    message: str
    field: str | None = None


NOT_APPROVED = "not_approved"
EXPIRED = "expired"
OTHER_PURPOSE = "other_purpose"
FIELD_OUTSIDE = "field_outside"
NOT_SHARED = "not_shared"
QUOTA = "quota"
BAD_SUBJECT = "bad_subject"
OUTSIDE_SCOPE = "outside_scope"


def deny(code: str, **names: str) -> Denial:
    sentences = {
        NOT_APPROVED: (403, "该共享申请尚未批准或已暂停、撤销，不能调用", "request"),
        EXPIRED: (403, "该共享授权已过有效期（{until}），请重新申请", "request"),
        OTHER_PURPOSE: (403, "用途与批准的用途不一致，不能调用（数据只能用于申请时声明的用途）", "purpose"),
        FIELD_OUTSIDE: (403, "数据项 {fields} 不在批准范围内", "fields"),
        NOT_SHARED: (403, "该数据资源列入负面清单，不予共享", "request"),
        QUOTA: (429, "已达到今日调用上限（{quota} 次），请明日再试", "request"),
        BAD_SUBJECT: (400, "查询对象{reason}", "subject"),
        OUTSIDE_SCOPE: (404, "未找到", "request"),
    }
    status, message, field = sentences[code]
    return Denial(code, status, message.format(**names), field)


def validate_subject(subject_kind: str, subject: str) -> tuple[str, Denial | None]:
    """The subject normalised (upper case, no spaces) and, when it is not a valid number of its
    kind (公民身份号码 for people, 统一社会信用代码 for enterprises), the denial."""
    value = (subject or "").strip().upper()
    if subject_kind == "enterprise":
        reason = codes.validate_uscc(value)
        if reason:
            return value, deny(BAD_SUBJECT, reason=f"（统一社会信用代码）{reason}")
    else:
        reason = codes.validate_id_number(value)
        if reason:
            return value, deny(BAD_SUBJECT, reason=f"（公民身份号码）{reason}")
    return value, None


def mask_subject(subject_kind: str, subject: str) -> str:
    """How a subject appears in logs and pages: a person's number masked; an enterprise's
    统一社会信用代码 is public and shown whole."""
    return subject if subject_kind == "enterprise" else codes.mask_id_number(subject)


def check_query(
    *,
    status: str,
    today: dt.date,
    valid_from: dt.date | None,
    valid_until: dt.date | None,
    sharing_class: str,
    approved_purpose: str,
    purpose: str,
    approved_fields: Iterable[str],
    asked_fields: Iterable[str] | None,
) -> Denial | None:
    """The first reason the gateway must refuse a query under an approval, or ``None``.

    Order: a 不予共享 resource, an approval past its validity, one not in force (not approved,
    suspended, revoked, not yet valid), the purpose (exactly the approved one), then fields
    outside the approval."""
    if sharing_class == "none":
        return deny(NOT_SHARED)
    if status == "expired" or (status == "approved" and valid_until is not None and today > valid_until):
        return deny(EXPIRED, until=valid_until.isoformat() if valid_until else "")
    if status != "approved" or (valid_from is not None and today < valid_from):
        return deny(NOT_APPROVED)
    if (purpose or "").strip() != approved_purpose:
        return deny(OTHER_PURPOSE)
    if asked_fields is not None:
        approved = set(approved_fields)
        outside = [f for f in asked_fields if f not in approved]
        if outside:
            return deny(FIELD_OUTSIDE, fields="、".join(outside))
    return None


def project(record: Mapping[str, Any] | None, approved: Iterable[str], asked: Iterable[str] | None) -> dict:
    """The gateway's one projection: only approved (and, when named, asked-for) fields of the
    provider's record, whatever else the provider sent."""
    if not record:
        return {}
    keep = list(approved) if asked is None else [f for f in asked if f in set(approved)]
    return {key: record[key] for key in keep if key in record}
