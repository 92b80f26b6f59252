"""Guide API (``…/guide.pdf``), mounted under ``/api/v1/catalog``."""

from ninja import Router

router = Router(tags=["guides"])
