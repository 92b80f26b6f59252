"""申请草稿: what a person has typed and chosen before submitting, kept so that nothing is lost.

A draft holds the answers, the form as typed, the 申请身份 and delivery choice, and the files
already chosen — each checked like any upload (:func:`onething.cases.uploads.check_file`) and
stored content-addressed. The apply page saves one when asked (保存草稿) and whenever a
submission is refused, so chosen files survive the error; submitting hands the files to the
new application (:func:`onething.cases.uploads.adopt`). Its lifecycle is the ``cases.draft``
machine; only its owner sees it (404 for anyone else).
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404

from onething.cases import uploads
from onething.cases.access import APPLICANT
from onething.cases.machines import DRAFT
from onething.cases.models import Application, Draft, DraftFile
from onething.core import text
from onething.kernel.errors import DomainError
from onething.kernel.text import TextError, parse_int
from onething.workflow import engine

#: typed values kept per draft (the form's own limits apply at submission)
VALUE_MAX = 2000


def open_drafts(owner):
    return Draft.objects.filter(owner=owner, status=Draft.Status.EDITING)


def _pk(draft_id) -> int | None:
    """A draft id from the page, or ``None`` for anything that is not one (never a database
    error for 10^20)."""
    try:
        return parse_int(draft_id, minimum=1, maximum=2**63 - 1)
    except TextError:
        return None


def submitted_number(owner, draft_id) -> str | None:
    """The application a draft of ``owner``'s became, if it was submitted (a repeated post)."""
    pk = _pk(draft_id)
    found = (
        Draft.objects.filter(owner=owner, pk=pk, status=Draft.Status.SUBMITTED)
        .select_related("application")
        .first()
        if pk is not None
        else None
    )
    return found.application.number if found is not None and found.application_id else None


def get(owner, draft_id, kind: str, code: str) -> Draft:
    """The owner's open draft for this plan; 404 for anything else (another person's draft)."""
    pk = _pk(draft_id)
    draft = open_drafts(owner).filter(pk=pk, kind=kind, code=code).first() if pk is not None else None
    if draft is None:
        raise Http404("没有找到这份草稿")
    return draft


def _values(values: dict) -> dict:
    return {
        str(k)[:200]: text.clean(str(v), f"form.{k}", max_length=VALUE_MAX)
        for k, v in values.items()
        if v not in ("", None)
    }


def save(
    owner,
    draft: Draft | None,
    *,
    kind: str,
    code: str,
    name: str,
    answers: dict,
    form: dict,
    extra: dict,
    files: dict,
    lines: dict,
    now,
) -> tuple[Draft, dict[str, str]]:
    """Save what was typed and check and keep every chosen file (``files``: material code →
    upload; ``lines``: material code → name). Returns the draft and, per material, the
    refusal of a file that failed its checks (the other files are kept)."""
    form = _values(form)
    answers = _values(answers)
    extra = _values(extra)
    refused: dict[str, str] = {}
    checked = {}
    for material, upload in files.items():
        try:
            checked[material] = uploads.check_file(upload)
        except DomainError as exc:
            refused[material] = exc.message
    try:
        with transaction.atomic():
            if draft is None:
                draft = Draft(owner=owner, kind=kind, code=code)
                draft.name, draft.answers, draft.form, draft.extra = name, answers, form, extra
                engine.create(
                    DRAFT, draft, "save_draft", roles={APPLICANT}, actor=owner, at=now, save_as="draft"
                )
            else:
                draft = Draft.objects.select_for_update().get(pk=draft.pk)
                engine.fire(DRAFT, draft, "save_draft", roles={APPLICANT}, actor=owner, at=now)
                draft.name, draft.answers, draft.form, draft.extra = name, answers, form, extra
                draft.save()
            for material, one in checked.items():
                draft.files.filter(material=material).delete()  # a new choice replaces the old one
                DraftFile.objects.create(
                    draft=draft,
                    material=material,
                    name=lines.get(material, material),
                    **uploads.stored_fields(one),
                )
    finally:
        for one in checked.values():
            one.discard()
    return draft, refused


def kept_files(draft: Draft | None) -> dict[str, DraftFile]:
    return {} if draft is None else {f.material: f for f in draft.files.all()}


def submitted(draft: Draft, app: Application, actor, now) -> list[str]:
    """Hand the draft's files to ``app`` and close the draft; the names of files that could not
    be added (over a count limit) — the applicant adds those on the case page."""
    failed = []
    for stored in draft.files.all():
        try:
            uploads.adopt(app, stored.material, stored.__dict__, actor, now)
        except DomainError:
            failed.append(stored.name)
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft.pk)
        engine.fire(
            DRAFT, draft, "submit_draft", roles={APPLICANT}, actor=actor, at=now, application=app.number
        )
        draft.application = app
        draft.save()
    return failed


def discard(draft: Draft, actor, now) -> None:
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft.pk)
        engine.fire(DRAFT, draft, "discard_draft", roles={APPLICANT}, actor=actor, at=now)
        draft.save()
        draft.files.all().delete()
