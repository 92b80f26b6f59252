"""Portal pages of the documents app (mounted at ``/documents/``)."""

from django.urls import path

from onething.documents import views

app_name = "documents"

urlpatterns = [
    path("verify/<str:token>/", views.verify, name="verify"),
]
