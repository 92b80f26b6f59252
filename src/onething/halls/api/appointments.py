"""Slots and appointments API (``GET /halls/{hall}/slots``, ``/appointments``)."""

from ninja import Router

from onething.accounts.auth import authenticated

slots_router = Router(tags=["halls"], auth=authenticated)
appointments_router = Router(tags=["halls"], auth=authenticated)
