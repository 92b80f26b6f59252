"""Portal pages of the cases app (mounted at ``/cases/``)."""

from django.urls import path

from onething.cases import views

app_name = "cases"

NUMBER = "<str:number>"

urlpatterns = [
    path("", views.my_applications, name="mine"),
    path("staff/", views.staff_home, name="staff"),
    path("window/", views.window, name="window"),
    path("window/counter/", views.counter, name="counter"),
    path("window/counter/<str:action>/", views.counter_act, name="counter_act"),
    path("window/new/<str:kind>/<str:code>/", views.apply, {"window": True}, name="window_new"),
    path("approver/", views.approver_queue, name="approver"),
    path("supervisor/", views.supervisor_board, name="supervisor"),
    path("supervisor/extensions/<int:extension_id>/", views.decide_extension, name="decide_extension"),
    path("supervisor/supervise/<str:sub>/", views.supervise_subcase, name="supervise"),
    path("supervisor/export.xlsx", views.supervisor_export, name="supervisor_export"),
    path("post-checks/", views.post_checks, name="post_checks"),
    path("post-checks/<str:sub>/", views.post_check_record, name="post_check_record"),
    path("apply/<str:kind>/<str:code>/", views.apply, name="apply"),
    path("drafts/<int:draft_id>/discard/", views.discard_draft, name="discard_draft"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path(f"{NUMBER}/", views.detail, name="detail"),
    path(f"{NUMBER}/act/<str:event>/", views.act, name="act"),
    path(f"{NUMBER}/decide/", views.decide, name="decide"),
    path(f"{NUMBER}/licences/", views.use_licence, name="use_licence"),
    path(f"{NUMBER}/results/<int:file_id>/", views.result_file, name="result_file"),
    path(f"{NUMBER}/notices/<uuid:notice_id>.pdf", views.notice_pdf, name="notice_pdf"),
    path(f"{NUMBER}/materials/<int:material_id>/", views.material_file, name="material"),
]
