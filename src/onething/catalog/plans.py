"""Plans from the published catalog: load a bundle or item with what planning it needs, plan it.

The planning itself is :mod:`onething.catalog.planner` (pure). This module reads the current
published revisions it needs (a handful of queries, independent of the catalog's size) and is
shared by the plan API, the guides, the portal pages and case intake, so they all plan alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q

from onething.catalog import planner
from onething.catalog.models import Revision
from onething.catalog.publishing import current, current_many, current_version
from onething.directory.models import Department, Region
from onething.kernel import errors


def material_and_element_records(items: dict[str, dict]) -> tuple[dict[str, dict], dict[str, dict]]:
    """Material types and data elements the items name, in one query."""
    material_codes = sorted({m["material"] for i in items.values() for m in i.get("materials") or ()})
    element_keys = sorted({f["element"] for i in items.values() for f in i.get("form") or ()})
    out: dict[str, dict[str, dict]] = {"material": {}, "data_element": {}}
    rows = Revision.objects.filter(current=True, withdrawn=False).filter(
        Q(kind="material", code__in=material_codes) | Q(kind="data_element", code__in=element_keys)
    )
    for kind, code, data in rows.values_list("kind", "code", "data"):
        out[kind][code] = data
    return out["material"], out["data_element"]


def planner_error(exc: planner.PlanError, prefix: str = "answers") -> errors.DomainError:
    """A planner error as a domain error, the same everywhere (plan API, guides, intake): a bad
    answer is :class:`~onething.kernel.errors.Invalid` naming the question, a fault of the
    published definition a :class:`~onething.kernel.errors.Conflict`."""
    if isinstance(exc, planner.AnswerError):
        return errors.Invalid(exc.message, f"{prefix}.{exc.field}" if prefix else exc.field, code=exc.code)
    return errors.Conflict(f"一件事定义有误，暂不能生成规划：{exc.message}", exc.field, code=exc.code)


@dataclass(frozen=True)
class PlanInputs:
    """Everything planning needs from the published catalog for one bundle or item.

    Shared between requests (see :func:`published_inputs`): treat it as read-only.
    """

    kind: str
    code: str
    record: dict
    items: dict[str, dict]
    materials: dict[str, dict]
    elements: dict[str, dict]
    questions: tuple[planner.Question, ...]
    version: int | None
    department_regions: dict[str, str]


_CACHE_LIMIT = 4096
_cache: dict[tuple[str, str], tuple[tuple, PlanInputs]] = {}


def catalog_fingerprint() -> tuple:
    """Changes whenever anything is published or withdrawn (revisions are append-only, and the
    latest creation time tells apart a rolled-back revision whose id was reused).

    Asked before every plan, so it is one hand-written statement whose parts each read an
    index — the newest revision by primary key, the withdrawn ones by a partial index — and
    cost the same for 300 revisions or 300,000 (the ORM aggregate it replaces compiled anew
    on every call and counted withdrawn rows by scanning the table).
    """
    table = connection.ops.quote_name(Revision._meta.db_table)
    sql = (
        f"SELECT (SELECT id FROM {table} ORDER BY id DESC LIMIT 1), "  # noqa: S608 - names from the model
        f"(SELECT created_at FROM {table} ORDER BY id DESC LIMIT 1), "
        f"(SELECT COUNT(*) FROM {table} WHERE withdrawn)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


def declared_item_questions(item: dict) -> dict[str, planner.Question]:
    """Questions of published bundles that contain ``item``: they give its material conditions
    a text and a type (a single item declares no questions of its own). An item no bundle
    contains takes them from bundles containing the same item of another region (the code after
    the region prefix: ``430602-GA-0701-01`` and ``430600-GA-0701-01``), so a person applying for
    it alone is asked in words, with choices, not by a variable name."""
    out: dict[str, planner.Question] = {}
    same_item = item["code"].split("-", 1)[-1]
    bundles = list(current_many("bundle").values())
    for exact in (True, False):
        for bundle in bundles:
            codes = [m["item"] for m in bundle["members"]]
            if item["code"] in codes if exact else any(c.split("-", 1)[-1] == same_item for c in codes):
                for q in planner.questions_of(bundle):
                    out.setdefault(q.id, q)
    return out


def _read_inputs(kind: str, code: str) -> PlanInputs:
    record = current(kind, code)
    if record is None:
        raise errors.NotFound(f"未找到{'一件事' if kind == 'bundle' else '事项'} {code}", "code")
    if kind == "bundle":
        items = current_many("item", [m["item"] for m in record["members"]])
        questions = planner.questions_of(record)
    else:
        items = {code: record}
        questions = planner.item_questions(record, declared_item_questions(record))
    materials, elements = material_and_element_records(items)
    departments = {i.get("department") for i in items.values()} | {record.get("lead_department")}
    return PlanInputs(
        kind=kind,
        code=code,
        record=record,
        items=items,
        materials=materials,
        elements=elements,
        questions=questions,
        version=current_version(kind, code),
        department_regions=dict(
            Department.objects.filter(code__in=[d for d in departments if d]).values_list("code", "region_id")
        ),
    )


def published_inputs(kind: str, code: str) -> PlanInputs:
    """The published bundle or item with what planning it needs; 404 when not published.

    Cached per process until the catalog changes (one aggregate query checks): plans, guides
    and case intake read the same immutable revisions on every request otherwise.
    """
    if kind not in ("bundle", "item"):
        raise errors.Invalid("应指定 bundle 或 item", "kind")
    fingerprint = catalog_fingerprint()
    hit = _cache.get((kind, code))
    if hit is not None and hit[0] == fingerprint:
        return hit[1]
    inputs = _read_inputs(kind, code)
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[(kind, code)] = (fingerprint, inputs)
    return inputs


def load_bundle(code: str) -> tuple[dict, dict[str, dict], dict[str, dict], dict[str, dict]]:
    """(bundle, member items, material types, data elements) of a published bundle; 404 if not."""
    inputs = published_inputs("bundle", code)
    return inputs.record, inputs.items, inputs.materials, inputs.elements


def load_item(code: str) -> tuple[dict, dict[str, dict], dict[str, dict], tuple[planner.Question, ...]]:
    """(item, material types, data elements, questions) of a published item; 404 if not."""
    inputs = published_inputs("item", code)
    return inputs.record, inputs.materials, inputs.elements, inputs.questions


def plan(inputs: PlanInputs, answers: Any, prefix: str = "answers", *, strings: bool = False) -> planner.Plan:
    """The plan of published ``inputs`` for ``answers`` — the one place a planner error becomes
    a domain error (:func:`planner_error`). ``strings``: the answers came from a web form."""
    try:
        if strings:
            answers = planner.answers_from_strings(inputs.questions, answers or {})
        if inputs.kind == "bundle":
            return planner.plan_bundle(
                inputs.record, inputs.items, inputs.materials, inputs.elements, answers
            )
        return planner.plan_item(
            inputs.record, inputs.materials, inputs.elements, answers, questions=inputs.questions
        )
    except planner.PlanError as exc:
        raise planner_error(exc, prefix) from exc


def bundle_plan(code: str, answers: Any, prefix: str = "answers") -> tuple[dict, planner.Plan]:
    """(published bundle, plan); ``NotFound`` unknown, ``Invalid`` bad answer."""
    inputs = published_inputs("bundle", code)
    return inputs.record, plan(inputs, answers, prefix)


def item_plan(code: str, answers: Any, prefix: str = "answers") -> tuple[dict, planner.Plan]:
    inputs = published_inputs("item", code)
    return inputs.record, plan(inputs, answers, prefix)


OVERVIEW_BASIS = "maximal"
OVERVIEW_BASIS_TEXT = (
    "按各一件事的最大情形计算：在全部回答组合中选取适用成员事项最多的一种（同等时取材料最多者）"
)


def bundles_overview() -> list[dict]:
    """Every published bundle with its reduction figures for its maximal plan.

    "All members applicable" is not always possible (个体工商户 and 企业 exclude each other), so
    the overview uses each bundle's widest real case; the answers used are listed.
    """
    bundles = sorted(current_many("bundle").values(), key=lambda b: b["code"])
    items = current_many("item", {m["item"] for b in bundles for m in b["members"]})
    materials, elements = material_and_element_records(items)
    departments = dict(
        Department.objects.filter(pk__in={b["lead_department"] for b in bundles}).values_list("pk", "name")
    )
    regions = dict(
        Region.objects.filter(pk__in={b["region"] for b in bundles if b.get("region")}).values_list(
            "pk", "name"
        )
    )
    rows = []
    for b in bundles:
        try:
            plan = planner.maximal_plan(b, items, materials, elements)
        except planner.PlanError:
            continue  # a member withdrawn after publication: the bundle cannot be planned now
        rows.append(
            {
                "code": b["code"],
                "name": b["name"],
                "region": {"code": b.get("region") or "", "name": regions.get(b.get("region"), "")},
                "lead_department": {
                    "code": b["lead_department"],
                    "name": departments.get(b["lead_department"], ""),
                },
                "members": plan.member_codes,
                "member_count": len(b["members"]),
                "answers": plan.answers,
                "limit_days": plan.limit_days,
                "reduction": plan.reduction.as_dict(),
                "plan": plan,
            }
        )
    return rows
