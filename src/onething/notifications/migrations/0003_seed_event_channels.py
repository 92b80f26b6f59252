"""Seed ``EventChannel`` with every event kind the cases app sends, so the admin lists them
all with a Chinese description. SMS for the applicant's milestones (受理, 不予受理, 补正, 结果
制作, 送达) — events that go to the applicant alone; everything else the inbox only. A
channel listed here is used only where the deployment enables it (``ONETHING_NOTIFY``)."""

from django.db import migrations

SMS = ["sms"]

EVENTS = [
    ("case.submit", "收到申请（申请人、窗口人员）", []),
    ("case.pre_review", "预审通过（申请人）", []),
    ("case.accept", "受理（申请人）", SMS),
    ("case.accept_with_gaps", "容缺受理（申请人）", SMS),
    ("case.accept_on_commitment", "告知承诺受理（申请人）", SMS),
    ("case.routed", "新办件待审查（审批部门）", []),
    ("case.reject", "不予受理（申请人）", SMS),
    ("case.request_correction", "需要补正材料（申请人）", SMS),
    ("case.resubmit", "已补正（窗口人员、审批部门）", []),
    ("case.withdraw", "撤回（申请人、审批部门）", []),
    ("case.decide", "子件办理决定（申请人）", []),
    ("case.stopped", "子件终止办理（申请人、审批部门）", []),
    ("case.complete", "办结（申请人、窗口人员）", []),
    ("case.special", "进入特别程序（申请人）", []),
    ("case.extend", "办理时限延长（申请人）", []),
    ("case.extension_requested", "延期申请待审批（督查）", []),
    ("case.extension_approved", "延期申请已批准（申请延期的审批人员）", []),
    ("case.extension_refused", "延期申请未批准（申请延期的审批人员）", []),
    ("case.inspection", "联合现场核查安排（申请人、审批部门）", []),
    ("case.post_check", "事后核查发现承诺不实（申请人）", []),
    ("case.result_ready", "办理结果已制作（申请人）", SMS),
    ("case.deliver", "办理结果已送达（申请人）", SMS),
    ("case.gap_overdue", "容缺材料逾期（申请人、窗口人员）", []),
    ("case.deadline", "办件时限预警（审批人员、督查）", []),
]


def seed(apps, schema_editor):
    EventChannel = apps.get_model("notifications", "EventChannel")
    existing = set(EventChannel.objects.values_list("event", flat=True))
    EventChannel.objects.bulk_create(
        [
            EventChannel(event=event, label=label, channels=list(channels))
            for event, label, channels in EVENTS
            if event not in existing
        ]
    )


def unseed(apps, schema_editor):
    EventChannel = apps.get_model("notifications", "EventChannel")
    EventChannel.objects.filter(event__in=[e for e, _, _ in EVENTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_outbox_event_channels")]

    operations = [migrations.RunPython(seed, unseed)]
