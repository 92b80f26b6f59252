"""统一出件: every result goes out together — made ready, delivered (window, mail or
electronically), archived. The last stretch of the application machine."""

from __future__ import annotations

from django.db import transaction

from onething.cases import inputs
from onething.cases.lifecycle.base import InvalidAction, clock, fire, lock, roles, tell_applicant
from onething.cases.machines import APPLICATION
from onething.cases.models import Application, Delivery

DELIVERY_METHODS = dict(Application._meta.get_field("delivery_method").choices)


def result_ready(application, actor, *, method: str = "window", now=None, today=None) -> Application:
    """结果已制作: ready to go out together (综合窗口出件), by mail or electronically."""
    now, today = clock(now, today)
    if method not in DELIVERY_METHODS:
        raise InvalidAction("出件方式应为 window、mail 或 electronic", "method")
    with transaction.atomic():
        app = lock(application)
        fire(APPLICATION, app, "result_ready", actor, now, roles=roles(actor, app), method=method)
        app.delivery_method = method
        app.save()
        tell_applicant(
            app,
            "result_ready",
            f"您的办件 {app.number} 办理结果已制作",
            f"出件方式：{DELIVERY_METHODS[method]}。欢迎评价本次服务：/ratings/cases/{app.number}/",
        )
    return app


def deliver(
    application, actor, *, method: str, tracking_number: str = "", address: str = "", now=None, today=None
) -> Application:
    """送达: handed out at the window, mailed (tracking number) or delivered electronically."""
    now, today = clock(now, today)
    if method not in DELIVERY_METHODS:
        raise InvalidAction("送达方式应为 window、mail 或 electronic", "method")
    tracking_number = inputs.line(tracking_number, "tracking_number", inputs.TRACKING_MAX)
    address = inputs.line(address, "address", inputs.ADDRESS_MAX)
    if method == "mail" and not tracking_number:
        raise InvalidAction("邮寄送达须填写邮件单号", "tracking_number")
    with transaction.atomic():
        app = lock(application)
        fire(
            APPLICATION,
            app,
            "deliver",
            actor,
            now,
            roles=roles(actor, app),
            method=method,
            tracking_number=tracking_number,
        )
        app.delivery_method = method
        app.closed_at = now
        app.save()
        Delivery.objects.create(
            application=app,
            method=method,
            tracking_number=tracking_number,
            address=address,
            delivered_by=actor,
            delivered_at=now,
        )
        body = f"邮件单号：{tracking_number}" if tracking_number else ""
        tell_applicant(app, "deliver", f"您的办件 {app.number} 办理结果已送达", body)
    return app


def close(application, actor, *, now=None, today=None, reason: str = "") -> Application:
    """归档."""
    now, today = clock(now, today)
    reason = inputs.reason(reason)
    with transaction.atomic():
        app = lock(application)
        fire(APPLICATION, app, "close", actor, now, roles=roles(actor, app), reason=reason)
        app.closed_at = app.closed_at or now
        app.save()
    return app
