"""跨省通办 between nodes at ``/federation/v1/``: the inbox endpoint and this node's descriptor."""

from django.urls import path

from onething.federation import views

urlpatterns = [
    path("envelopes", views.envelopes, name="envelopes"),
    path("descriptor", views.descriptor, name="descriptor"),
]
