"""Seed ``EventChannel`` for appointments: the day-before reminder goes out by SMS too (where
the deployment enables it) — people forget; a booking made, changed or cancelled is told in the
inbox only."""

from django.db import migrations

EVENTS = [
    ("halls.reminder", "预约前一天提醒", ["sms"]),
    ("halls.appointment", "预约成功、改约与取消", []),
]


def seed(apps, schema_editor):
    EventChannel = apps.get_model("notifications", "EventChannel")
    existing = set(EventChannel.objects.values_list("event", flat=True))
    EventChannel.objects.bulk_create(
        [
            EventChannel(event=e, label=label, channels=list(ch))
            for e, label, ch in EVENTS
            if e not in existing
        ]
    )


def unseed(apps, schema_editor):
    apps.get_model("notifications", "EventChannel").objects.filter(event__in=[e[0] for e in EVENTS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("halls", "0001_initial"),
        ("notifications", "0004_seed_supervision_channel"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
