"""The operator's aids in the API (mounted at ``/api/v1/hotline``; bearer token or session):

- ``GET /knowledge?q=&region=`` — answers from item guides and the centre's articles
  (hotline staff of any role);
- ``GET /duplicates?region=&content=&caller_phone=&item=&address=`` — possible duplicates of
  a ticket being typed (operators; only tickets they may read);
- ``POST /knowledge/articles``, ``PUT /knowledge/articles/{id}`` — writing articles
  (operators and platform admins).

Not signed in: 401; without the role: 403; a value refused: 400 naming the field.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from onething.accounts.auth import authenticated
from onething.accounts.masking import mask_text
from onething.core.errors import responses
from onething.core.text import Flag, RowId, Text
from onething.hotline import access, duplicates, knowledge, rules
from onething.hotline.machines import OPERATOR, TICKET
from onething.hotline.models import Article
from onething.hotline.service import link
from onething.kernel.errors import NotFound, NotPermitted

router = Router(tags=["12345"], auth=authenticated)


class AnswerOut(Schema):
    kind: str
    key: str
    title: str
    summary: str
    link: str
    region_name: str
    score: float


class AnswersOut(Schema):
    answers: list[AnswerOut]


class SuggestionOut(Schema):
    number: str
    category: str
    category_label: str
    status: str
    status_label: str
    received_at: str
    region: str
    content: str
    score: float
    reasons: list[str]
    link: str


class SuggestionsOut(Schema):
    suggestions: list[SuggestionOut]


class ArticleIn(Schema):
    title: Text(rules.TITLE_MAX)
    body: Text(rules.ARTICLE_MAX, multiline=True)
    keywords: Text(200) = ""
    region: Text(12) = ""
    item_code: Text(64) = ""
    published: Flag = True


class ArticleOut(Schema):
    id: int
    title: str
    body: str
    keywords: str
    region: str | None
    item_code: str
    published: bool
    uses: int
    updated_at: str


def _require(allowed: bool) -> None:
    if not allowed:
        raise NotPermitted("仅12345热线工作人员可使用")


def _article_out(article: Article) -> dict:
    return {
        "id": article.pk,
        "title": article.title,
        "body": article.body,
        "keywords": article.keywords,
        "region": article.region_id,
        "item_code": article.item_code,
        "published": article.published,
        "uses": article.uses,
        "updated_at": article.updated_at.isoformat(),
    }


@router.get(
    "/knowledge",
    response=responses(AnswersOut, 401, 403),
    summary="知识库检索：办事指南与热线答复口径（与门户同一套中文检索）",
)
def search_knowledge(request: HttpRequest, q: Text(400) = "", region: Text(12) = ""):
    _require(knowledge.may_search(request.user))
    answers = knowledge.search(q, region=region or None)
    return {"answers": [a.as_dict() for a in answers]}


@router.get(
    "/duplicates",
    response=responses(SuggestionsOut, 401, 403),
    summary="疑似重复工单：同一来电号码、同一事项、同一地址、内容相似",
)
def suggest_duplicates(
    request: HttpRequest,
    region: Text(12) = "",
    content: Text(rules.CONTENT_MAX, multiline=True) = "",
    caller_phone: Text(rules.PHONE_MAX) = "",
    item: Text(64) = "",
    address: Text(rules.ADDRESS_MAX) = "",
):
    _require(OPERATOR in access.staff_roles(request.user))
    found = duplicates.suggest(
        region=region, content=content, caller_phone=caller_phone, item_code=item, address=address
    )
    return {
        "suggestions": [
            {
                "number": s.ticket.number,
                "category": s.ticket.category,
                "category_label": rules.CATEGORIES.get(s.ticket.category, s.ticket.category),
                "status": s.ticket.status,
                "status_label": TICKET.state_label(s.ticket.status),
                "received_at": s.ticket.received_at.isoformat(),
                "region": s.ticket.region_id,
                "content": mask_text(s.ticket.content),
                "score": s.score,
                "reasons": s.reasons,
                "link": link(s.ticket),
            }
            for s in found
            if access.may_read(request.user, s.ticket)
        ]
    }


@router.post(
    "/knowledge/articles",
    response=responses(ArticleOut, 401, 403, status=201),
    summary="新建知识库答复口径（话务人员、系统管理员）",
)
def create_article(request: HttpRequest, payload: ArticleIn):
    _require(knowledge.may_edit(request.user))
    article = knowledge.save_article(payload.dict(), request.user)
    return Status(201, _article_out(article))


@router.put(
    "/knowledge/articles/{article_id}",
    response=responses(ArticleOut, 401, 403, 404),
    summary="修改知识库答复口径（话务人员、系统管理员）",
)
def update_article(request: HttpRequest, article_id: RowId, payload: ArticleIn):
    _require(knowledge.may_edit(request.user))
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        raise NotFound("未找到该答复口径", "article")
    return _article_out(knowledge.save_article(payload.dict(), request.user, article))
