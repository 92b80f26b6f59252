"""Pages of 电子证照 (mounted at ``/licences/``)."""

from django.urls import path

from onething.licences import views

app_name = "licences"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("issued/", views.issued, name="issued"),
    path("verify/", views.verify, name="verify"),
    path("consents/", views.give_consent, name="give_consent"),
    path("consents/<str:consent_id>/withdraw/", views.withdraw_consent, name="withdraw_consent"),
    path("shared/<str:token>/", views.shared, name="shared"),
    path("<str:identifier>/", views.detail, name="detail"),
    path("<str:identifier>/face.pdf", views.face, name="face"),
    path("<str:identifier>/act/<str:name>/", views.act, name="act"),
    path("<str:identifier>/share/", views.share, name="share"),
    path("<str:identifier>/share/<str:link_id>/revoke/", views.unshare, name="unshare"),
]
