"""Pages of 数据共享 (mounted at ``/sharing/``)."""

from django.urls import path

from onething.sharing import views

app_name = "sharing"

urlpatterns = [
    path("", views.home, name="home"),
    path("resources/", views.resources, name="resources"),
    path("resources/<str:code>/", views.resource_detail, name="resource"),
    path("requests/new/", views.new_request, name="new"),
    path("requests/<str:request_id>/", views.request_detail, name="request"),
    path("requests/<str:request_id>/act/<str:name>/", views.act, name="act"),
    path("requests/<str:request_id>/query/", views.query, name="query"),
    path("requests/<str:request_id>/calls/", views.calls, name="calls"),
    path("me/", views.my_data, name="me"),
    path("me/disputes/", views.raise_dispute, name="raise_dispute"),
    path("disputes/<str:dispute_id>/", views.dispute_detail, name="dispute"),
    path("disputes/<str:dispute_id>/answer/", views.answer_dispute, name="answer_dispute"),
]
