"""Seed the clocks of a 12345 ticket (PRODUCT.md C11's defaults, editable per region and
category in the admin: a region's own policy of the same code wins) and the messages'
channels."""

from django.db import migrations

#: code, name, unit, limit (hotline.rules.POLICIES)
POLICIES = [
    ("hotline.dispatch", "12345工单派单时限（自然小时）", "natural_hours", 1),
    ("hotline.sign", "12345工单签收时限（派单后，工作日）", "working_days", 1),
    ("hotline.finish.consult", "12345工单办结时限：咨询（工作日）", "working_days", 2),
    ("hotline.finish.help", "12345工单办结时限：求助（工作日）", "working_days", 5),
    ("hotline.finish.complaint", "12345工单办结时限：投诉（工作日）", "working_days", 5),
    ("hotline.finish.report", "12345工单办结时限：举报（工作日）", "working_days", 5),
    ("hotline.finish.suggestion", "12345工单办结时限：建议（工作日）", "working_days", 5),
    ("hotline.finish.not_done.ordinary", "12345工单办结时限：办不成事（普通）（工作日）", "working_days", 2),
    ("hotline.finish.not_done.complex", "12345工单办结时限：办不成事（复杂）（工作日）", "working_days", 5),
    ("hotline.revisit", "12345工单回访时限（办结后，工作日）", "working_days", 2),
    ("hotline.recurrence", "重复诉求整改时限（工作日）", "working_days", 10),
]

EVENTS = [
    ("hotline.task", "12345工单交办", ["sms"]),
    ("hotline.centre", "12345热线中心待办", []),
    ("hotline.caller", "12345诉求进展", ["sms"]),
    ("hotline.yellow", "12345工单黄牌", []),
    ("hotline.red", "12345工单红牌", ["sms"]),
    ("hotline.recurrence", "重复诉求整改任务", []),
]


def seed(apps, schema_editor):
    ClockPolicy = apps.get_model("clocks", "ClockPolicy")
    for code, name, unit, limit in POLICIES:
        ClockPolicy.objects.get_or_create(
            code=code,
            region=None,
            defaults={
                "name": name,
                "unit": unit,
                "limit": limit,
                "rule": "third",
                "yellow_audience": "owner",
                "red_audience": "owner supervisor",
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
        ("hotline", "0001_initial"),
        ("clocks", "0002_clock_fillfactor"),
        ("notifications", "0004_seed_supervision_channel"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
