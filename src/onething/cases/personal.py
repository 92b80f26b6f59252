"""Personal data in an application's form, as each viewer may see it.

The owner (the applicant person, ``access.is_owner``) sees the form as typed. Everyone else
sees personal numbers masked the way ID numbers are (``4306**********1234``):

- 公民身份号码 and phone fields by their data-element type, always;
- account and certificate numbers — bank accounts, card numbers, property certificate numbers —
  by their element's key or label (the catalog has no data-element type for them), whatever
  their length or shape; *except* for the approvers of a sub-case that is being reviewed now
  and whose item asks for that field (the 医保 approver who pays a benefit into the account):
  the step needs them, so they see them in full while it runs, and masked again once decided;
- any other text through ``mask_text`` (a number typed inside an address or a remark).
"""

from __future__ import annotations

import re

from onething.accounts.masking import mask_text
from onething.kernel.codes import mask_id_number, mask_phone

#: key segments (``bank.account``, ``payee.card_no``) of fields holding a personal account or
#: certificate number
ACCOUNT_KEY = re.compile(r"(^|[._])(bank|account|card|card_no|iban|certificate_number|passport)($|[._])")
#: label words of such fields (``银行账号``, ``社保卡号``, ``不动产权证书号``)
ACCOUNT_LABEL = re.compile(r"账号|账户|卡号|银行|证书号|权证号|护照")


def is_account_field(field: dict) -> bool:
    """Whether the plan's form field holds an account or certificate number (masked for staff)."""
    if field.get("type") in ("id_number", "phone"):
        return False
    return bool(ACCOUNT_KEY.search(field.get("element", "")) or ACCOUNT_LABEL.search(field.get("label", "")))


def mask_number(value: str) -> str:
    """An account or certificate number for someone who does not own it: first and last four
    characters kept (``6222***********3445``), as ID numbers are."""
    return mask_id_number(value.strip()) if value.strip() else value


def form_for_viewer(plan: dict, form: dict, *, owner: bool, needed_items=frozenset()) -> dict:
    """``form`` as a viewer sees it; ``needed_items``: the items whose running review is the
    viewer's (their account fields are shown in full)."""
    if owner:
        return dict(form)
    fields = {f["element"]: f for f in plan.get("form", [])}
    out = {}
    for key, value in form.items():
        field = fields.get(key, {"element": key})
        if not isinstance(value, str):
            out[key] = value
        elif field.get("type") == "id_number":
            out[key] = mask_id_number(value)
        elif field.get("type") == "phone":
            out[key] = mask_phone(value)
        elif is_account_field(field):
            needed = bool(set(field.get("items") or ()) & set(needed_items))
            out[key] = value if needed else mask_number(value)
        else:
            out[key] = mask_text(value)
    return out
