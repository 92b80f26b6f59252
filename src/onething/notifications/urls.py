"""Pages of the inbox, mounted at ``/me/notifications/`` by ``conf/urls.py``."""

from django.urls import path

from onething.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox_page, name="inbox"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("read-all/", views.mark_all_read, name="read_all"),
]
