"""``onething open311-client --name NAME --region CODE`` registers a system that files and
reads 12345 tickets through Open311 and prints its ``api_key`` once.

The key is a service token (``ApiToken.issue(..., sharing_requests=[])``): refused by the
rest of the API, it only opens Open311, for the region given. Its user is a dedicated account
without a password or staff roles.
"""

from __future__ import annotations

import secrets

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from onething.accounts.models import ApiToken, User
from onething.core import text
from onething.core.errors import ApiError
from onething.directory.models import Region
from onething.hotline.models import Open311Client


class Command(BaseCommand):
    help = "登记 Open311 接入系统并打印其 api_key（仅显示一次）"

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="接入系统名称")
        parser.add_argument("--region", required=True, help="区划范围（区划代码）")

    def handle(self, *args, name: str, region: str, **options):
        try:
            name = text.clean(name, "name", max_length=100, required=True)
        except ApiError as exc:
            raise CommandError(exc.message) from None
        found = Region.objects.filter(code=region).first()
        if found is None:
            raise CommandError(f"未知的区划代码 {region}")
        with transaction.atomic():
            user = User(username=f"open311-{secrets.token_hex(6)}", real_name=name[:50])
            user.set_unusable_password()
            user.save()
            token, raw = ApiToken.issue(user, f"Open311：{name}", sharing_requests=[])
            client = Open311Client.objects.create(name=name, token=token, region=found)
        self.stdout.write(f"已登记 Open311 接入系统 {client.name}（{found.name}），api_key（仅此一次显示）：")
        self.stdout.write(raw)
