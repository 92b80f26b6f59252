"""The lifecycles of e-licences, declared as machines (:mod:`onething.kernel.machine`).

- :data:`LICENCE` — 证照状态 (``Licence.status``): issued valid; the issuing department may
  suspend and resume it, and revoke it with a reason code (``rules.REASON_CODES``: 注销, 吊销,
  撤销, 变更换发 …). *Expired* is not a state: it follows from the validity (``public_status``).
- :data:`CONSENT` — 用证授权 (``Consent.status``): given by the holder, withdrawn by the holder.

Roles: ``issuer`` is a department admin of the licence's issuing department (``access``);
``holder`` is the person, or a person authorised for the enterprise, who holds it.
"""

from __future__ import annotations

from onething.kernel.machine import NEW, Guard, event, machine, reason_given
from onething.licences import rules
from onething.licences.models import Consent, Licence
from onething.workflow.engine import register

ISSUER, HOLDER, SYSTEM = "issuer", "holder", "system"
ROLE_NAMES = {ISSUER: "颁发机构", HOLDER: "持证人", SYSTEM: "系统"}

L = Licence.Status
C = Consent.Status


def _reason_code_known(context) -> bool:
    return context.get("reason_code") in rules.REASON_CODES


LICENCE = register(
    machine(
        "licences.licence",
        audit_kind="licence",
        states=dict(L.choices),
        terminal=[L.REVOKED],
        role_names=ROLE_NAMES,
        guards=[
            Guard("reason_code_known", _reason_code_known, "请选择废止原因（注销、吊销、撤销、变更换发等）"),
            Guard("reason_given", reason_given, "请填写原因"),
        ],
        events=[
            event("issue", NEW, L.VALID, [ISSUER, SYSTEM], "签发"),
            event("suspend", L.VALID, L.SUSPENDED, [ISSUER], "暂停使用", guards=["reason_given"]),
            event("resume", L.SUSPENDED, L.VALID, [ISSUER], "恢复有效"),
            event(
                "revoke",
                [L.VALID, L.SUSPENDED],
                L.REVOKED,
                [ISSUER, SYSTEM],
                "废止",
                guards=["reason_code_known"],
            ),
        ],
    ),
    "licences.licence",
)

CONSENT = register(
    machine(
        "licences.consent",
        audit_kind="licence_consent",
        states=dict(C.choices),
        terminal=[C.WITHDRAWN],
        role_names=ROLE_NAMES,
        events=[
            event("give", NEW, C.GIVEN, [HOLDER], "授权使用"),
            event("withdraw", C.GIVEN, C.WITHDRAWN, [HOLDER], "撤回授权"),
        ],
    ),
    "licences.consent",
)
