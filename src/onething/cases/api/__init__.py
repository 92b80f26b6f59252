"""Applications API (``/api/v1/applications``)."""

from ninja import Router

router = Router(tags=["applications"])
