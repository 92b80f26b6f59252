"""Open311 GeoReport v2 at ``/open311/v2/`` (``services.json``, ``services/{code}.json``,
``requests.json``, ``requests/{id}.json``); any other format answers 400."""

from django.urls import re_path

from onething.hotline.open311 import views

FMT = r"\.(?P<fmt>[A-Za-z0-9]{1,10})$"

urlpatterns = [
    re_path(r"^services" + FMT, views.services, name="services"),
    re_path(r"^services/(?P<code>[A-Za-z0-9_.-]{1,40}?)" + FMT, views.service, name="service"),
    re_path(r"^requests" + FMT, views.requests, name="requests"),
    re_path(r"^requests/(?P<request_id>[A-Za-z0-9_-]{1,40})" + FMT, views.one_request, name="request"),
]
