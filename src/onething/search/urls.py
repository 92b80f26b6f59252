"""Portal pages of the search app (mounted at ``/search/``)."""

from django.urls import path

from onething.search import views

app_name = "search"

urlpatterns = [
    path("", views.results, name="results"),
    path("browse", views.browse, name="browse"),
    path("region", views.choose_region, name="region"),
]
