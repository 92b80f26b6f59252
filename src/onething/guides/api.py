"""Guide API (``…/guide.pdf``), mounted under ``/api/v1/catalog``.

Answers come as query parameters ``a.<question>=<value>`` (booleans as true/false), the same
form the guidance pages use, so a guide URL is shareable and its QR code reproduces it.
"""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router

from onething.core.errors import responses
from onething.documents.render import render_pdf
from onething.guides import content

router = Router(tags=["guides"])

PDF_RESPONSE = {
    "responses": {
        200: {
            "description": "PDF 办事指南（A4，内嵌中文字体，含二维码）",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    "parameters": [
        {
            "name": "a.<question>",
            "in": "query",
            "required": False,
            "description": "情形问题的回答，如 a.parents_local_hukou=true；布尔题用 true/false，选择题用选项文字",
            "schema": {"type": "string"},
        }
    ],
}


def _pdf(kind: str, code: str, request) -> HttpResponse:
    ctx = content.guide(kind, code, content.answer_params(request.GET))
    response = HttpResponse(render_pdf("guides/guide_pdf.html", ctx), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="guide-{code}.pdf"'
    response["Cache-Control"] = "no-store"  # always from the current published catalog
    return response


@router.get(
    "/bundles/{code}/guide.pdf",
    response=responses(None, 404),
    summary="一件事办事指南（PDF，按情形回答定制）",
    description="根据当前发布的目录生成。回答以查询参数 a.<问题标识>=<回答> 传入；回答无效时返回 400 并在 field 中指明 a.<问题标识>。",
    openapi_extra=PDF_RESPONSE,
)
def bundle_guide_pdf(request, code: str):
    return _pdf("bundle", code, request)


@router.get(
    "/items/{code}/guide.pdf",
    response=responses(None, 404),
    summary="事项办事指南（PDF）",
    description="根据当前发布的目录生成；材料条件涉及的问题以查询参数 a.<问题标识>=<回答> 传入。",
    openapi_extra=PDF_RESPONSE,
)
def item_guide_pdf(request, code: str):
    return _pdf("item", code, request)
