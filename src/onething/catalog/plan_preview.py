"""The plan preview shown in the admin while a maintainer edits a bundle (working records)."""

from __future__ import annotations

from onething.catalog import planner
from onething.catalog.plans import material_and_element_records
from onething.catalog.publishing import current


def plan_preview_html(code: str, answers_json: str | None = None) -> str:
    """The plan and reduction report of the *working* bundle ``code`` for the admin form.

    Answers come from ``answers_json`` (the ``plan_answers`` query parameter of the change
    page); without it the bundle's maximal plan is shown. Links list the answer combinations
    so a maintainer can check each case without typing JSON. Faults are shown, not raised.
    """
    import json
    from urllib.parse import quote

    from django.utils.html import escape, format_html_join

    from onething.catalog import records

    bundle = records.working_record("bundle", code)
    if bundle is None:
        return "保存后可预览规划"
    items = {}
    for m in bundle["members"]:
        record = records.working_record("item", m["item"]) or current("item", m["item"])
        if record is not None:
            items[m["item"]] = record
    materials, elements = material_and_element_records(items)
    try:
        if answers_json:
            answers = json.loads(answers_json)
            plan = planner.plan_bundle(bundle, items, materials, elements, answers)
            basis = f"情形：{escape(json.dumps(plan.answers, ensure_ascii=False))}"
        else:
            plan = planner.maximal_plan(bundle, items, materials, elements)
            basis = f"最大情形：{escape(json.dumps(plan.answers, ensure_ascii=False))}"
    except (ValueError, planner.PlanError) as exc:
        return f'<p class="errornote">无法计算规划：{escape(getattr(exc, "message", str(exc)))}</p>'
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((r["label"], r["separate"], r["bundled"]) for r in plan.reduction.rows()),
    )
    members = "、".join(escape(f"{m.name}（{m.promised_limit}日）") for m in plan.members) or "无"
    materials_text = (
        "、".join(escape(m.name + ("（免提交）" if m.exempt else "")) for m in plan.materials) or "无"
    )
    combos = []
    for q in planner.questions_of(bundle)[:3]:
        values = (True, False) if q.type == "boolean" else q.choices
        for v in values:
            query = quote(json.dumps({**plan.answers, q.id: v}, ensure_ascii=False))
            combos.append(f'<a href="?plan_answers={query}">{escape(q.text)}→{escape(str(v))}</a>')
    return (
        f"<div><p>{basis}；办理时限 {plan.limit_days} 个工作日</p>"
        f"<p>适用事项：{members}</p><p>合并材料：{materials_text}</p>"
        f"<table><tr><th>项目</th><th>分别办理</th><th>一件事</th></tr>{rows}</table>"
        f"<p>其他情形（或在地址栏加 ?plan_answers={{JSON}}）：{' · '.join(combos)}</p></div>"
    )
