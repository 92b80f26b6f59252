"""Seed the working-day limits of data sharing (clock policies, editable in the admin) and
the SMS channel of the messages that need someone at work soon: a request waiting for the
provider's answer and a red light."""

from django.db import migrations

#: code, name, limit in working days (sharing.rules.POLICIES)
POLICIES = [
    ("sharing.check", "共享申请审核时限（数据主管部门，工作日）", 2),
    ("sharing.answer", "有条件共享答复时限（提供部门，工作日）", 5),
    ("sharing.answer_publish", "需先发布数据的答复时限（提供部门，工作日）", 10),
    ("sharing.settle", "共享争议协调时限（数据主管部门，工作日）", 5),
    ("sharing.dispute", "数据异议答复时限（提供部门，工作日）", 5),
]

EVENTS = [
    ("sharing.check", "共享申请待提供部门答复", ["sms"]),
    ("sharing.red", "数据共享时限红灯", ["sms"]),
]


def seed(apps, schema_editor):
    ClockPolicy = apps.get_model("clocks", "ClockPolicy")
    for code, name, limit in POLICIES:
        ClockPolicy.objects.get_or_create(
            code=code,
            region=None,
            defaults={
                "name": name,
                "unit": "working_days",
                "limit": limit,
                "rule": "third",
                "yellow_audience": "owner",
                "red_audience": "owner authority",
            },
        )
    EventChannel = apps.get_model("notifications", "EventChannel")
    existing = set(EventChannel.objects.values_list("event", flat=True))
    EventChannel.objects.bulk_create(
        [EventChannel(event=e, label=label, channels=ch) for e, label, ch in EVENTS if e not in existing]
    )


def unseed(apps, schema_editor):
    apps.get_model("clocks", "ClockPolicy").objects.filter(code__in=[p[0] for p in POLICIES], region=None).delete()
    apps.get_model("notifications", "EventChannel").objects.filter(event__in=[e[0] for e in EVENTS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sharing", "0001_initial"),
        ("clocks", "0002_clock_fillfactor"),
        ("notifications", "0004_seed_supervision_channel"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
