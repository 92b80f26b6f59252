"""Search and browse API, mounted under ``/api/v1/catalog``."""

from ninja import Router

router = Router(tags=["search"])
