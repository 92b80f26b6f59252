"""``onething service-token USERNAME --requests 3,4 [--days 90] [--name …]`` prints a service
token for a department's system: it may call the sharing gateway under those approvals only,
until it expires, and is refused by every other endpoint (deny by default). USERNAME is the
staff account the system acts for; each approval must be one of that person's departments'.
Revoke it with ``onething token revoke HINT``."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from onething.accounts.models import ApiToken, User
from onething.sharing import access
from onething.sharing.models import Request

MAX_DAYS = 366


class Command(BaseCommand):
    help = "为部门业务系统创建共享网关服务令牌（仅可调用指定的共享授权，到期失效）"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--requests", required=True, help="共享授权编号，以逗号分隔")
        parser.add_argument("--days", type=int, default=90, help=f"有效天数（1–{MAX_DAYS}，默认 90）")
        parser.add_argument("--name", default="部门系统", help="令牌用途说明")

    def handle(self, username, requests, days, name, **options):
        try:
            user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"用户 {username} 不存在") from None
        try:
            ids = sorted({int(part) for part in requests.split(",") if part.strip()})
        except ValueError:
            raise CommandError("--requests 应为以逗号分隔的编号") from None
        if not ids:
            raise CommandError("请至少指定一个共享授权")
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days 应在 1 至 {MAX_DAYS} 之间")
        found = {r.pk: r for r in Request.objects.filter(pk__in=ids)}
        for pk in ids:
            request = found.get(pk)
            if request is None or not access.may_call(user, request):
                raise CommandError(f"共享授权 {pk} 不存在或不属于 {username} 所在部门")
        expires = timezone.now() + dt.timedelta(days=days)
        _, raw = ApiToken.issue(user, name=name, sharing_requests=ids, expires_at=expires)
        self.stdout.write(raw)
        self.stderr.write(f"服务令牌：可调用授权 {ids}，{expires:%Y-%m-%d} 到期")
