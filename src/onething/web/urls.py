"""Portal URLs (citizen, window clerk, approver, supervisor pages)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from onething.web import views
from onething.web.forms import LoginForm

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="web/login.html", authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("bundles/", views.bundle_list, name="bundles"),
    path("bundles/<str:code>/", views.bundle_detail, name="bundle"),
    path("items/<str:code>/", views.item_detail, name="item"),
    path("departments/", views.department_list, name="departments"),
    path("departments/<str:code>/", views.department_detail, name="department"),
    path("regions/<str:code>/", views.region_detail, name="region"),
]
