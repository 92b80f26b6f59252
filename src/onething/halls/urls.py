"""Pages of halls and the queue (``/halls/``): the hall pages, taking a number, the ticket, the
kiosk, the calling display and the figures (``pages``); booking (``booking_pages``)."""

from onething.halls import booking_pages, pages

app_name = "halls"

urlpatterns = booking_pages.urlpatterns + pages.urlpatterns  # "appointments/" before "<code>/"
