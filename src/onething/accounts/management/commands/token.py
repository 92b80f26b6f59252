"""``onething token create USERNAME`` prints a new bearer token; ``revoke`` and ``list`` manage them."""

from django.core.management.base import BaseCommand, CommandError

from onething.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "管理 API 访问令牌：create USERNAME | list USERNAME | revoke HINT"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("target", help="用户名（create/list）或令牌前缀（revoke）")
        parser.add_argument("--name", default="", help="令牌用途说明")

    def handle(self, action, target, name, **options):
        if action == "revoke":
            count = 0
            for token in ApiToken.objects.filter(hint=target, revoked_at__isnull=True):
                token.revoke()
                count += 1
            if not count:
                raise CommandError(f"没有前缀为 {target} 的有效令牌")
            self.stdout.write(f"已吊销 {count} 个令牌")
            return
        try:
            user = User.objects.get(username=target)
        except User.DoesNotExist:
            raise CommandError(f"用户 {target} 不存在")
        if action == "create":
            _, raw = ApiToken.issue(user, name=name)
            self.stdout.write(raw)
        else:
            for token in user.api_tokens.order_by("created_at"):
                state = "已吊销" if token.revoked_at else "有效"
                self.stdout.write(f"{token.hint}…\t{token.name}\t{token.created_at:%Y-%m-%d %H:%M}\t{state}")
