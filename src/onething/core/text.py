"""The kernel's text rule (``kernel.text``) at the platform's boundaries.

* :func:`Text`, :func:`Doc`, :data:`Int`, :data:`Flag`, :func:`Date` — field types for the API
  schemas (django-ninja / pydantic): the same limits, documented in the OpenAPI document.
* :func:`clean` and friends — for domain functions and web forms: they raise an
  :class:`ApiError` (400) whose message names the field in Chinese.
* :data:`LABELS` — the Chinese name of every input field the platform takes; an app whose
  fields share a name with another's but mean something else (12345's ``address`` is where the
  matter happened, a case's is where the result is mailed) registers its own names for its
  pages and API (:func:`register_surface`), applied per request by
  ``core.middleware.SurfaceLabels`` or around a call by :func:`labelled`.

The gateway middleware (``core.middleware``) refuses unstorable characters anywhere in a
request before a view runs; the types here add each field's own limits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, WithJsonSchema
from pydantic_core import PydanticCustomError

from onething.core.errors import ApiError
from onething.kernel import text as kernel

#: Chinese names of input fields, for messages ("“理由”不能超过2000个字符")
LABELS = {
    # data sharing
    "resource": "数据资源",
    "fields": "数据项",
    "purpose": "用途",
    "legal_basis": "依据",
    "subject": "查询对象",
    "valid_until": "有效期至",
    "daily_quota": "每日调用上限",
    "request": "共享申请",
    "claimed": "正确值",
    "answer": "答复",
    "value": "更正值",
    "field": "数据项",
    "real_name": "姓名",
    "id_number": "公民身份号码",
    "phone": "手机号码",
    "code": "短信验证码",
    "password1": "密码",
    "password2": "确认密码",
    "old_password": "原密码",
    "new_password1": "新密码",
    "new_password2": "确认新密码",
    "reason": "理由",
    "note": "督办意见",
    "reasons": "决定理由",
    "items": "需补正内容",
    "received": "收取的纸质材料",
    "delivery_method": "出件方式",
    "delivery_address": "邮寄地址",
    "gaps": "容缺材料",
    "commitment_date": "承诺补齐日期",
    "commitment_text": "承诺内容",
    "signed_by_name": "承诺人姓名",
    "on": "核查日期",
    "location": "核查地点",
    "findings": "核查情况",
    "result": "核查结果",
    "tracking_number": "快递单号",
    "address": "邮寄地址",
    "method": "送达方式",
    "days": "延长工作日数",
    "decision": "决定",
    "kind": "特别程序类型",
    "passed": "核查结论",
    "outcome": "核查结论",
    "bundle": "一件事编码",
    "item": "事项编码",
    "enterprise": "企业统一社会信用代码",
    "channel": "渠道",
    "answers": "情形问题的回答",
    "form": "申请表",
    "applicant": "申请人",
    "applicant.name": "申请人姓名",
    "applicant.id_number": "申请人公民身份号码",
    "applicant.phone": "申请人联系电话",
    "applicant_name": "申请人姓名",
    "applicant_id_number": "申请人公民身份号码",
    "applicant_phone": "申请人联系电话",
    "authorisation": "授权委托",
    "authorisation.document": "授权委托书编号或说明",
    "authorisation_document": "授权委托书编号或说明",
    "agent_authorisation": "授权委托",
    "Idempotency-Key": "幂等键",
    "idempotency_key": "幂等键",
    "material": "材料",
    "file": "文件",
    "status": "状态",
    "theme": "主题",
    "q": "搜索词",
    "region": "区划",
    "limit": "条数",
    "offset": "起始位置",
    "page": "页码",
    "page_size": "每页条数",
    "unread": "未读筛选",
    "score": "评价等级",
    "indicators": "分项评价",
    "comment": "评价内容",
    "bad_reason": "差评原因",
    "reason_text": "差评说明",
    "ticket": "排队号",
    "application": "办件编号",
    "subcase": "评价环节",
    "statement": "申诉说明",
    "ground": "申诉理由",
    "satisfaction": "回访满意度",
    "plan": "整改方案",
    "plan_due": "整改期限",
    "fix_kind": "整改内容",
    "verify_note": "核实回访记录",
    "revisit_note": "回访记录",
    "decision_note": "复核意见",
    "fix_note": "整改说明",
    "start": "起始日期",
    "date": "日期",
    "mode": "申请身份",
    "sub": "子件编号",
    "username": "用户名",
    "password": "密码",
    "body": "提交的内容",
    "path": "网址",
}

#: dates a person can mean in a government form (a sanity bound; domain rules are narrower)
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2100, 12, 31)


#: the labels in force for this request or call, over :data:`LABELS` (see :func:`labelled`)
_OVERLAY: ContextVar[Mapping[str, str] | None] = ContextVar("onething_labels", default=None)
#: URL path prefixes → the labels of the app they belong to (:func:`register_surface`)
SURFACES: list[tuple[tuple[str, ...], Mapping[str, str]]] = []


def register_surface(prefixes: tuple[str, ...], labels: Mapping[str, str]) -> None:
    """Requests under ``prefixes`` name their fields by ``labels`` first."""
    SURFACES.append((tuple(prefixes), dict(labels)))


def surface_labels(path: str) -> Mapping[str, str]:
    for prefixes, labels in SURFACES:
        if path.startswith(prefixes):
            return labels
    return {}


@contextlib.contextmanager
def labelled(labels: Mapping[str, str]) -> Iterator[None]:
    """Name fields by ``labels`` first while the block runs."""
    token = _OVERLAY.set({**(_OVERLAY.get() or {}), **labels})
    try:
        yield
    finally:
        _OVERLAY.reset(token)


def _known(field: str) -> str | None:
    overlay = _OVERLAY.get() or {}
    return overlay[field] if field in overlay else LABELS.get(field)


def label(field: str | None) -> str:
    """The Chinese name of ``field`` (its last part for ``form.mother.name``-style paths)."""
    if not field:
        return "请求"
    if (name := _known(field)) is not None:
        return name
    head = field.split(".", 1)[0]
    return _known(head) or field


def refused(field: str | None, reason: str, status: int = 400) -> ApiError:
    """The error for a refused value: “<label>”<reason>, with the field for the client."""
    name = label(field)
    # a named field speaks for itself; a place inside a document ("form.mother.name") is added
    where = f"（{field}）" if field and _known(field) is None and name != field else ""
    return ApiError(status, "invalid", f"“{name}”{reason}{where}", field)


# ------------------------------------------------------------------------------- domain and forms


def clean(value: Any, field: str, *, max_length: int, multiline: bool = False, required: bool = False) -> str:
    """Text for the database, or a 400 naming ``field``. ``None`` is the empty string."""
    if value is None:
        value = ""
    try:
        value = kernel.clean_text(value, max_length=max_length, multiline=multiline)
    except kernel.TextError as exc:
        raise refused(field, exc.reason)
    if required and not value:
        raise refused(field, "必填")
    return value


def clean_list(
    values: Any, field: str, *, max_items: int, max_length: int, required: bool = False
) -> list[str]:
    """A bounded list of single-line strings (codes, correction items), blanks dropped."""
    if values is None:
        values = []
    if not isinstance(values, list | tuple):
        raise refused(field, "应为列表")
    if len(values) > max_items:
        raise refused(field, f"最多{max_items}项（现为{len(values)}项）")
    out = [clean(v, f"{field}", max_length=max_length) for v in values]
    out = [v for v in out if v]
    if required and not out:
        raise refused(field, "必填")
    return out


def integer(value: Any, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    try:
        return kernel.parse_int(value, minimum=minimum, maximum=maximum)
    except kernel.TextError as exc:
        raise refused(field, exc.reason)


def date(value: Any, field: str, *, earliest: dt.date = EARLIEST, latest: dt.date = LATEST) -> dt.date:
    try:
        return kernel.parse_date(value, earliest=earliest, latest=latest)
    except kernel.TextError as exc:
        raise refused(field, exc.reason)


def document(value: Any, field: str, **limits: int) -> Any:
    """A JSON document (answers, form, authorisation) within the kernel's bounds."""
    try:
        kernel.check_json(value, **limits)
    except kernel.TextError as exc:
        raise refused(f"{field}.{exc.path}" if exc.path else field, exc.reason)
    return value


# ------------------------------------------------------------------------------- API schema types


def _pydantic(reason: str) -> PydanticCustomError:
    # the API's validation handler shows ``reason`` after the field's Chinese name
    return PydanticCustomError("invalid_text", "{reason}", {"reason": reason})


def Text(max_length: int, *, multiline: bool = False):
    """A string field: no control characters or lone surrogates, at most ``max_length``."""

    def check(value: str) -> str:
        try:
            return kernel.clean_text(value, max_length=max_length, multiline=multiline)
        except kernel.TextError as exc:
            raise _pydantic(exc.reason)

    return Annotated[str, Field(max_length=max_length * 2), AfterValidator(check), _doc_max(max_length)]


def _doc_max(max_length: int):
    return WithJsonSchema({"type": "string", "maxLength": max_length})


def Doc(**limits: int):
    """A JSON object field (answers, form, authorisation), bounded in depth, size and text."""

    def check(value: dict) -> dict:
        try:
            kernel.check_json(value, **limits)
        except kernel.TextError as exc:
            where = f"{exc.path}：" if exc.path else ""
            raise _pydantic(f"{where}{exc.reason}")
        return value

    return Annotated[dict[str, Any], AfterValidator(check)]


def _ascii_int(minimum: int | None, maximum: int | None):
    def parse(value: Any) -> int:
        try:
            return kernel.parse_int(value, minimum=minimum, maximum=maximum)
        except kernel.TextError as exc:
            raise _pydantic(exc.reason)

    return parse


def Int(minimum: int | None = None, maximum: int | None = None):
    """An integer: a JSON number that is not a boolean, or ASCII digits in a query string."""
    schema: dict[str, Any] = {"type": "integer"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return Annotated[int, BeforeValidator(_ascii_int(minimum, maximum)), WithJsonSchema(schema)]


#: a database row id in a path or query (a bigint: larger numbers are not ids, they overflow)
RowId = Int(1, 2**63 - 1)

#: a boolean that is a JSON boolean (``"yes"``, ``1`` are not)
Flag = StrictBool


def Date(earliest: dt.date = EARLIEST, latest: dt.date = LATEST):
    """An ISO date (``YYYY-MM-DD``) within bounds."""

    def parse(value: Any) -> dt.date:
        try:
            return kernel.parse_date(value, earliest=earliest, latest=latest)
        except kernel.TextError as exc:
            raise _pydantic(exc.reason)

    return Annotated[dt.date, BeforeValidator(parse), WithJsonSchema({"type": "string", "format": "date"})]
