"""免提交 made real: intake obtains exempt materials through the data-sharing gateway.

After an application commits, :func:`fetch_for` takes each of its 免提交 materials and, for each
sub-case whose item asks for it, looks for an approval (``sharing.Request``) of that sub-case's
department for a resource that replaces the material and serves the item. When one exists,
the platform queries the gateway under it — for the approval's own purpose, on behalf of the
department — and keeps what came back with its provenance (:class:`~onething.cases.models.SharedData`:
resource, approval, call, time, SHA-256 of the content); the approver of the sub-case sees it.

- A 有条件共享 resource is queried only with the applicant's consent (``data_consent``).
- The subject is the applicant's 公民身份号码 (or the enterprise's 统一社会信用代码), unless the
  resource names a form field for it (``backend_config["subject_field"]``, e.g. the mother's
  number for a birth certificate).
- When the fetch fails, is refused or finds nothing, the material is marked ``failed`` and the
  applicant is told and may upload it instead (uploads accept it from then on): no dead end.
- A material with no approval at all for any of its departments is ``unrouted``: the platform
  has no sharing route for it yet and the window verifies it as before.
- A material an e-licence stands for (``exempt_via: e_license`` and a licence type listing it)
  is first looked up in the holder's licences (:func:`_from_licences`, ``licences.wallet.use``):
  with the holder's consent for the item or bundle each sub-case's department gets a verified
  reference (identifier, verification result, time) and the use is logged for the holder;
  without consent, or when the licence is revoked, the material is ``failed`` — the applicant
  is told and may upload it. Only when the holder has no such licence does the data-sharing
  route above apply (a newborn's 出生医学证明 before it is issued as a licence).

Each material is settled in its own transaction; a crash leaves the rest to
:func:`fetch_pending`, which the periodic task runs. Running twice fetches nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from onething.cases.models import Application, Material, SharedData, SubCase
from onething.core.errors import Refused
from onething.kernel import codes
from onething.kernel.errors import Invalid, NotFound, NotPermitted
from onething.kernel.hashchain import canonical
from onething.licences import rules as licence_rules
from onething.licences import wallet
from onething.notifications.service import notify
from onething.sharing import gateway
from onething.sharing.models import Request, Resource, SharingClass

logger = logging.getLogger("onething.cases")

FETCHED, FAILED, UNROUTED = "fetched", "failed", "unrouted"


def _approvals(department: str, material: str, item: str) -> list[Request]:
    """Approved requests of ``department`` whose resource replaces ``material`` and that serve
    ``item`` (an approval naming no items serves all of its department's items)."""
    today = timezone.localdate()
    rows = Request.objects.filter(status=Request.Status.APPROVED, department_id=department).select_related(
        "resource"
    )
    return [
        r
        for r in rows
        if material in (r.resource.replaces or []) and (not r.items or item in r.items) and r.usable_on(today)
    ]


def form_value(form: dict, path: str) -> str:
    if path in form:
        return str(form[path] or "")
    value: Any = form
    for part in path.split("."):
        if not isinstance(value, dict):
            return ""
        value = value.get(part)
    return str(value or "")


def subject_for(app: Application, resource: Resource) -> str:
    if resource.subject_kind == "enterprise":
        return app.enterprise_id or ""
    path = (resource.backend_config or {}).get("subject_field")
    if path:
        found = form_value(app.form or {}, path)
        if found:
            return found
    return app.applicant_id_number or (app.applicant.id_number if app.applicant_id else "")


def _digest(data: dict) -> str:
    return hashlib.sha256(canonical(data)).hexdigest()


def _fetch_one(app: Application, sub: SubCase, material: Material, request: Request, now) -> SharedData:
    resource = request.resource
    base = {
        "application": app,
        "subcase": sub,
        "material": material.material,
        "resource_code": resource.code,
        "resource_name": resource.name,
        "request_id": request.pk,
        "fetched_at": now,
        "labels": resource.field_labels(),
    }
    if resource.sharing_class == SharingClass.CONDITIONAL and not app.data_consent:
        return SharedData(**base, note="申请人未同意通过数据共享获取")
    subject = subject_for(app, resource)
    if not subject:
        return SharedData(**base, note="缺少查询对象的证件号码")
    try:
        answer = gateway.query(
            None, request.pk, subject, request.purpose, now=now, for_department=sub.department_id
        )
    except Refused as exc:
        return SharedData(**base, call_id=getattr(exc, "extra", {}).get("call"), note=str(exc)[:300])
    if not answer.found:
        return SharedData(**base, call_id=answer.call.pk, note="提供部门无该对象的数据")
    return SharedData(
        **base, call_id=answer.call.pk, found=True, data=answer.data, sha256=_digest(answer.data)
    )


LICENCE_LABELS = {
    "name": "证照名称",
    "identifier": "证照标识",
    "number": "证照编号",
    "issuer": "颁发机构",
    "issued_on": "颁证日期",
    "valid_until": "有效期至",
    "verified": "核验结果",
    "verified_at": "核验时间",
}


def licence_holder(app: Application, kinds) -> str:
    """Whose licences stand for the material: the enterprise's when the type is held by
    enterprises and the application is made for one, otherwise the applicant's."""
    if app.enterprise_id and any(k.holder_kind == "enterprise" for k in kinds):
        return app.enterprise_id
    return app.applicant_id_number or (app.applicant.id_number if app.applicant_id else "")


def licence_scopes(app: Application, subs: list[SubCase]) -> list[tuple[str, str]]:
    """What a consent may name to cover this application: its bundle or item, or the item of
    one of the sub-cases that needs the material."""
    return [(app.kind, app.code)] + [("item", sub.item_code) for sub in subs]


def licence_offers(user, enterprises, plan, kind: str, code: str) -> dict[str, list[dict]]:
    """The apply page's 用证 offers: for each 免提交 material an e-licence stands for, the
    licences the person (or an enterprise they act for) holds, and whether a consent for this
    bundle or item already covers it."""
    holders = [h for h in [getattr(user, "id_number", "")] + [e.uscc for e in enterprises] if h]
    materials = [m.material for m in plan.materials if m.exempt and m.exempt_via == "e_license"]
    out: dict[str, list[dict]] = {}
    for holder in holders:
        for material, found in wallet.candidates(holder, materials).items():
            for licence in found:
                consent = wallet.consent_for(holder, licence.type, [(kind, code)])
                out.setdefault(material, []).append(
                    {"licence": licence, "type_code": licence.type_id, "consent": consent}
                )
    return out


def consent_to_licences(app: Application, user, choices: list[str], now) -> list:
    """The applicant authorises their licences for this application (the apply page's 授权使用
    boxes): one consent per licence type, for the application's bundle or item and purpose.

    A choice is a licence type code (the holder's newest licence of the type is used) or a
    licence's identifier (that licence, kept on the materials it stands for: a parent holding
    two children's 出生医学证明 picks one). Anything else refuses the whole intake."""
    from onething.licences.models import Licence, LicenceType

    wanted = {m.material for m in Material.objects.filter(application=app, source="platform")}
    kinds: dict[str, LicenceType] = {}
    for choice in dict.fromkeys(choices):
        if codes.validate_licence_identifier(choice) is None:
            licence = Licence.objects.select_related("type").filter(identifier=choice).first()
            holder = licence_holder(app, [licence.type]) if licence is not None else None
            if (
                licence is None
                or licence.holder_id != holder
                or not wanted.intersection(licence.type.materials)
            ):
                raise Invalid("所选电子证照不属于申请人，或本次申请没有可由它替代的材料", "licence_consent")
            Material.objects.filter(
                application=app, source="platform", material__in=licence.type.materials
            ).update(licence_identifier=licence.identifier)
            kinds[licence.type_id] = licence.type
            continue
        kind = LicenceType.objects.filter(code=choice, active=True).first()
        if kind is None or not wanted.intersection(kind.materials or []):
            raise Invalid(f"本次申请没有可用证照“{choice}”替代的免提交材料", "licence_consent")
        kinds[kind.code] = kind
    return [
        wallet.give(
            user,
            holder_id=licence_holder(app, [kind]),
            kind=kind,
            scope=app.kind,
            scope_code=app.code,
            scope_name=app.name,
            purpose=licence_rules.use_purpose(app.name),
            now=now,
        )
        for kind in kinds.values()
    ]


def _reference_row(app, sub, material, use, now) -> SharedData:
    ref = use.reference()
    check = ref["verification"]
    data = {
        "name": ref["name"],
        "identifier": ref["identifier"],
        "number": ref["number"],
        "issuer": ref["issuer"],
        "issued_on": ref["issued_on"],
        "valid_until": ref["valid_until"] or "长期",
        "verified": check["message"],
        "verified_at": check["checked_at"],
        **{f"field.{k}": v for k, v in (ref["fields"] or {}).items()},
    }
    labels = {**LICENCE_LABELS, **{f"field.{f['key']}": f["label"] for f in use.licence.type.fields or []}}
    return SharedData(
        application=app,
        subcase=sub,
        material=material.material,
        resource_code=SharedData.E_LICENCE,
        resource_name=f"电子证照库 · {ref['name']}",
        fetched_at=now,
        found=True,
        data=data,
        labels=labels,
        sha256=_digest(data),
        licence_identifier=ref["identifier"],
        licence_use_id=use.record.pk,
    )


def _from_licences(app: Application, material: Material, subs: list[SubCase], now) -> list[SharedData] | None:
    """The material from the holder's e-licences, one verified reference per sub-case (a
    refusal is a row with its note); ``None`` when no licence can stand for it."""
    if material.exempt_via != "e_license" or not subs:
        return None
    kinds = wallet.types_for_material(material.material)
    if not kinds:
        return None
    holder = licence_holder(app, kinds)
    scopes = licence_scopes(app, subs)
    rows = []
    for sub in subs:
        try:
            use = wallet.use(
                holder_id=holder,
                material=material.material,
                scopes=scopes,
                department=sub.department_id,
                purpose=licence_rules.use_purpose(app.name),
                application=app.number,
                identifier=material.licence_identifier,
                now=now,
            )
        except NotFound:
            return None  # the holder has none: another route, or the window
        except NotPermitted as exc:  # no consent (nothing was read), or revoked / not genuine
            rows.append(
                SharedData(
                    application=app,
                    subcase=sub,
                    material=material.material,
                    resource_code=SharedData.E_LICENCE,
                    resource_name="电子证照库",
                    fetched_at=now,
                    note=exc.message[:300],
                )
            )
            continue
        rows.append(_reference_row(app, sub, material, use, now))
    return rows


def licence_for(app: Application, sub: SubCase, material_code: str, actor, *, now=None) -> SharedData:
    """The handling department obtains the holder's licence for ``material_code`` on demand
    (its approver, after the holder has authorised it): ``NotFound`` without such a material or
    licence, ``ConsentRequired`` (403) without consent — nothing is read —, else the reference."""
    now = now or timezone.now()
    material = Material.objects.filter(application=app, material=material_code, source="platform").first()
    kinds = wallet.types_for_material(material_code) if material is not None else []
    if material is None or not kinds or sub.item_code not in _items_needing(app, material_code):
        raise NotFound("该子件没有可由电子证照替代的此项材料", "material")
    use = wallet.use(
        holder_id=licence_holder(app, kinds),
        material=material_code,
        scopes=licence_scopes(app, [sub]),
        department=sub.department_id,
        purpose=licence_rules.use_purpose(app.name),
        application=app.number,
        identifier=material.licence_identifier,
        actor=actor,
        now=now,
    )
    row = _reference_row(app, sub, material, use, now)
    _store(app, material, [row], "未能使用电子证照")
    return SharedData.objects.get(subcase=sub, material=material_code)


def _items_needing(app: Application, material_code: str) -> list[str]:
    line = next((m for m in app.plan.get("materials", []) if m["material"] == material_code), None)
    return list(line.get("items") or []) if line else []


def _settle(app: Application, material: Material, now: dt.datetime) -> str:
    """Fetch one material for every sub-case that needs it; its new status."""
    line = next((m for m in app.plan.get("materials", []) if m["material"] == material.material), None)
    if line is None:
        return _mark(material, UNROUTED)
    subs = list(SubCase.objects.filter(application=app, item_code__in=line.get("items") or []))
    from_licences = _from_licences(app, material, subs, now)
    if from_licences is not None:
        return _store(app, material, from_licences, "未能使用电子证照")
    routed = [(sub, _approvals(sub.department_id, material.material, sub.item_code)) for sub in subs]
    routed = [(sub, found[0]) for sub, found in routed if found]
    if not routed:
        return _mark(material, UNROUTED)
    done = set(
        SharedData.objects.filter(application=app, material=material.material).values_list(
            "subcase_id", "found"
        )
    )
    results = []
    for sub, request in routed:
        if (sub.pk, True) in done:
            continue
        results.append(_fetch_one(app, sub, material, request, now))
    return _store(app, material, results, "未能通过数据共享获取")


def _store(app: Application, material: Material, results: list[SharedData], failure: str) -> str:
    """Keep what was obtained, mark the material and tell the applicant of a failure."""
    with transaction.atomic():
        for row in results:
            SharedData.objects.update_or_create(
                subcase=row.subcase,
                material=row.material,
                defaults={
                    f.name: getattr(row, f.name)
                    for f in SharedData._meta.concrete_fields
                    if f.name not in ("id",)
                },
            )
        failed = [r for r in results if not r.found]
        status = FAILED if failed else FETCHED
        note = failed[0].note if failed else ""
        Material.objects.filter(pk=material.pk).update(fetch_status=status, fetch_note=note[:300])
        if failed and app.applicant_id:
            notify(
                app.applicant,
                "case.fetch_failed",
                f"{failure}“{material.name}”",
                f"{note}。请在办件页面上传该材料，或到窗口提交。",
                f"/cases/{app.number}/",
            )
    return status


def _mark(material: Material, status: str) -> str:
    Material.objects.filter(pk=material.pk).update(fetch_status=status)
    return status


def fetch_for(app: Application, *, now: dt.datetime | None = None) -> dict[str, str]:
    """Obtain the application's 免提交 materials; material code → fetched | failed | unrouted.
    Never raises for a provider's failure: the material is marked and the applicant told."""
    now = now or timezone.now()
    out: dict[str, str] = {}
    for material in Material.objects.filter(application=app, source="platform", fetch_status=""):
        try:
            status = _settle(app, material, now)
        except Exception:  # a bug must not lose the application: the periodic task retries
            logger.exception("免提交材料获取失败：%s %s", app.number, material.material)
            continue
        out[material.material] = status
    return out


def fetch_after_commit(app: Application) -> None:
    """Schedule :func:`fetch_for` for right after the intake's commit."""
    transaction.on_commit(lambda: fetch_for(Application.objects.get(pk=app.pk)))


def fetch_pending(limit: int = 200) -> int:
    """The periodic sweep: applications of the last two days with 免提交 materials not yet
    settled (a crash between the intake's commit and its fetch)."""
    since = timezone.now() - dt.timedelta(days=2)
    numbers = (
        Material.objects.filter(source="platform", fetch_status="", application__created_at__gte=since)
        .values_list("application_id", flat=True)
        .distinct()[:limit]
    )
    count = 0
    for app in Application.objects.filter(pk__in=list(numbers)):
        count += len(fetch_for(app))
    return count


def shared_for(sub: SubCase) -> list[SharedData]:
    """What the gateway returned for this sub-case (the approver's view)."""
    return list(SharedData.objects.filter(subcase=sub).order_by("id"))


def may_upload_instead(app: Application, material_code: str) -> bool:
    """A 免提交 material the platform could not obtain: the applicant may upload it."""
    return Material.objects.filter(
        application=app, material=material_code, source="platform", fetch_status=FAILED
    ).exists()
