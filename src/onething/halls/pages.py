"""Hall pages: the list of halls, a hall, taking a number, the ticket, kiosk, display, figures."""

urlpatterns: list = []
