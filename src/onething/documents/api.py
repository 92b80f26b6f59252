"""Public verification API (``/api/v1/documents``): the same facts as the verification page."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from onething.core.errors import not_found, responses
from onething.core.text import Text
from onething.documents import service

router = Router(tags=["documents"])


class DocumentOut(Schema):
    valid: bool = Field(description="真实有效（本平台出具）")
    kind: str = Field(description="文书类型标识，如 cases.notice.acceptance")
    kind_name: str = Field(description="文书类型名称，如 受理通知书")
    number: str = Field(description="文号")
    title: str
    issuer: str = Field(description="出具单位")
    issued_on: dt.date = Field(description="出具日期")
    content_sha256: str = Field(description="文书内容（规范化 JSON）的 SHA-256")


@router.get(
    "/verify/{token}",
    response=responses(DocumentOut, 404),
    summary="文书真伪核验（公开）",
    description="按文书二维码中的核验码查询文书是否由本平台出具；只返回文书的类型、文号、出具单位、日期和内容摘要，不含任何个人信息。",
)
def verify(request: HttpRequest, token: Text(64)):
    document = service.verify(token)
    if document is None:
        raise not_found("该文书，请确认核验码完整", "token")
    return {"valid": True, **service.public_facts(document)}
