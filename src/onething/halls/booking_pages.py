"""Booking pages: choose a service, a day and a slot; my appointments (cancel, reschedule, arrive)."""

urlpatterns: list = []
