"""API authentication: bearer tokens (``Authorization: Bearer ot_…``) and session login."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from onething.accounts.models import ApiToken


class BearerToken(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str):
        user = ApiToken.authenticate(token)
        if user is not None:
            request.user = user
        return user


class Session(SessionAuth):
    """Session cookie login (CSRF checked on unsafe methods by django-ninja).

    Someone who is not signed in has nothing to forge: the CSRF check runs only for a signed-in
    session, so an anonymous POST is told 401 (sign in), not 403 (CSRF)."""

    def _get_key(self, request: HttpRequest):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


#: Use on every operation that needs a signed-in user.
authenticated = [BearerToken(), Session()]
