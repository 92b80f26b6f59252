"""Seed the clocks of the 差评 loop (clock policies, editable per region in the admin), the
messages' channels, the platform's 好差评 settings, and take over the window ratings the
queue recorded before 好差评 existed (``halls.WindowRating`` → ``Rating``, channel window)."""

from django.db import migrations

#: code, name, limit in working days (ratings.rules.POLICIES)
POLICIES = [
    ("ratings.verify", "差评核实时限（回访核实，工作日）", 1),
    ("ratings.answer", "差评整改与答复时限（工作日）", 5),
    ("ratings.revisit", "差评整改回访时限（答复后，工作日）", 2),
    ("ratings.defect", "事项缺陷整改时限（工作日）", 10),
]

EVENTS = [
    ("ratings.invite", "邀请评价", []),
    ("ratings.bad", "收到差评，待核实", ["sms"]),
    ("ratings.answer", "差评整改答复", ["sms"]),
    ("ratings.appeal", "评价申诉与复核", []),
    ("ratings.defect", "事项缺陷整改任务", []),
    ("ratings.yellow", "差评整改黄灯", []),
    ("ratings.red", "差评整改红灯", ["sms"]),
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
                "red_audience": "owner supervisor",
            },
        )
    EventChannel = apps.get_model("notifications", "EventChannel")
    existing = set(EventChannel.objects.values_list("event", flat=True))
    EventChannel.objects.bulk_create(
        [EventChannel(event=e, label=label, channels=ch) for e, label, ch in EVENTS if e not in existing]
    )
    apps.get_model("ratings", "RatingPolicy").objects.get_or_create(region=None)
    WindowRating = apps.get_model("halls", "WindowRating")
    Rating = apps.get_model("ratings", "Rating")
    rows = []
    for old in WindowRating.objects.select_related("ticket", "ticket__hall", "ticket__service", "ticket__session"):
        ticket = old.ticket
        rows.append(
            Rating(
                ticket=ticket,
                channel="window",
                score=old.score,
                comment=old.comment,
                source="given",
                rater_id=ticket.person_id,
                rater_name=ticket.name,
                region_id=ticket.hall.region_id,
                hall_id=ticket.hall_id,
                window_id=ticket.window_id,
                staff_id=ticket.session.clerk_id if ticket.session_id else None,
                service_name=ticket.service.name,
                served_at=ticket.finished_at or ticket.issued_at,
                created_at=old.created_at,
            )
        )
    Rating.objects.bulk_create(rows)


def unseed(apps, schema_editor):
    apps.get_model("clocks", "ClockPolicy").objects.filter(code__in=[p[0] for p in POLICIES], region=None).delete()
    apps.get_model("notifications", "EventChannel").objects.filter(event__in=[e[0] for e in EVENTS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ratings", "0001_initial"),
        ("clocks", "0002_clock_fillfactor"),
        ("notifications", "0004_seed_supervision_channel"),
        ("halls", "0002_seed_event_channels"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
