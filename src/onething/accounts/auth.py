"""API authentication: bearer tokens (``Authorization: Bearer ot_…``) and session login."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from onething.accounts.models import ApiToken


class BearerToken(HttpBearer):
    """A person's token. A service token (scoped to data-sharing approvals) is refused here:
    deny by default — only the gateway accepts it (:class:`ServiceToken`)."""

    openapi_scheme = "bearer"
    service = False

    def authenticate(self, request: HttpRequest, token: str):
        user = ApiToken.authenticate(token)
        if user is None:
            return None
        scope = getattr(user, "token_sharing_requests", None)
        if scope is not None and not self.service:
            return None
        user.service_scope = scope
        request.user = user
        return user


class ServiceToken(BearerToken):
    """A person's token or a department system's service token (the sharing gateway)."""

    service = True


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
#: The data-sharing gateway: a person's login or token, or a service token.
gateway_callers = [ServiceToken(), Session()]
