"""Window figures API (``GET /halls/{hall}/figures``)."""

from ninja import Router

from onething.accounts.auth import authenticated

router = Router(tags=["halls"], auth=authenticated)
