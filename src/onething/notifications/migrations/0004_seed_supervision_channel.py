"""Seed ``EventChannel`` for 督办 (a supervisor's note on a yellow or red sub-case, told to the
department's approvers): SMS besides the inbox, where the deployment enables it — a 督办 is
urgent work for staff who may not be at their desk."""

from django.db import migrations

EVENTS = [
    ("case.supervise", "督办（审批部门）", ["sms"]),
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
    dependencies = [("notifications", "0003_seed_event_channels")]

    operations = [migrations.RunPython(seed, unseed)]
