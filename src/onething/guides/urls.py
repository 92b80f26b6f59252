"""Portal pages of the guides app (mounted at ``/guide/``)."""

from django.urls import path

from onething.guides import views

app_name = "guides"

CODE = "<str:code>"

urlpatterns = [
    path("bundles/", views.bundles, name="bundles"),
    path(f"bundles/{CODE}/", views.bundle, name="bundle"),
    path(f"bundles/{CODE}/guide/", views.bundle_guide, name="bundle_guide"),
    path(f"items/{CODE}/", views.item, name="item"),
    path(f"items/{CODE}/guide/", views.item_guide, name="item_guide"),
]
