"""An approved sub-case whose item's result is a certificate or approval issues its e-licence.

The catalog's ``result.license_type`` names the licence type (``licences.LicenceType``, kept
by the platform admin); an item without one, or naming a type that is not in the table, issues
nothing — its result stays the 办结通知书 and any result file. The holder is the enterprise
the application was made for when the type is held by enterprises, otherwise the applicant;
the licence's fields come from the application form along the paths the type declares.
Called inside the decision's transaction: the licence and the approval commit together.
"""

from __future__ import annotations

import logging

from onething.cases.exempt import form_value
from onething.cases.models import Application, SubCase
from onething.catalog.models import Item
from onething.licences import issuing, rules
from onething.licences.models import Licence

logger = logging.getLogger("onething.cases")


def licence_type_of(item_code: str):
    result = Item.objects.filter(code=item_code).values_list("result", flat=True).first() or {}
    if result.get("type") not in rules.ISSUED_RESULT_TYPES:
        return None
    return issuing.get_type(result.get("license_type") or "")


def issue_for(app: Application, sub: SubCase, actor, now) -> Licence | None:
    """Issue the licence of an approved sub-case (caller's transaction), or ``None``."""
    kind = licence_type_of(sub.item_code)
    if kind is None:
        return None
    if kind.holder_kind == "enterprise":
        if not app.enterprise_id:
            logger.warning(
                "办件 %s：%s 应由企业持有，但申请未以企业名义提出，未签发电子证照", sub.number, kind.name
            )
            return None
        holder_id, holder_name = app.enterprise_id, app.enterprise.name
    else:
        holder_id = app.applicant_id_number or (app.applicant.id_number if app.applicant_id else "")
        holder_name = app.applicant_name or (app.applicant.real_name if app.applicant_id else "")
    if not holder_id:
        return None
    fields = {}
    for spec in kind.fields or []:
        value = form_value(app.form or {}, spec.get("from") or spec["key"])
        if value:
            fields[spec["key"]] = value
    request = issuing.Request(
        type=kind,
        issuer=sub.department,
        holder_kind=kind.holder_kind,
        holder_id=holder_id,
        holder_name=holder_name,
        fields=fields,
        source=f"cases.subcase:{sub.number}",
    )
    return issuing.issue(request, actor=actor, now=now)
