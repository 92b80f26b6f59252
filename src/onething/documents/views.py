"""The public verification page: is this document genuine? Its identity, never personal data."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from onething.documents import service


@require_GET
def verify(request, token: str):
    document = service.verify(token)
    facts = service.public_facts(document) if document else None
    return render(request, "documents/verify.html", {"facts": facts}, status=200 if document else 404)
