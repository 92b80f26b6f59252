"""Catalog API (``/api/v1/catalog/…``): the published items and bundles, browse, audit.

The router is shared by the modules below, each registering its operations on import.
"""

from ninja import Router

router = Router(tags=["catalog"])

from onething.catalog.api import plan  # noqa: E402,F401,I001  (first: overview.xlsx before {code})
from onething.catalog.api import records  # noqa: E402,F401  (registers operations)
