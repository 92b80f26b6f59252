"""``onething department-service --host 127.0.0.1 --port 8101``: the simulated department
system (``sharing.department_service``) the demo's ``http`` resource RS-SBCB-001 calls."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from onething.sharing.department_service import DEMO_RECORDS, DepartmentService, serve


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Command(BaseCommand):
    help = "运行模拟的部门业务系统（数据共享 http 提供方式的演示与测试用）"
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认仅本机 127.0.0.1）")
        parser.add_argument("--port", type=int, default=8101, help="监听端口（默认 8101）")
        parser.add_argument("--token", default="", help="要求调用方携带的 Bearer 令牌（默认不要求）")
        parser.add_argument("--records", help="数据文件（JSON：{资源编码: {查询对象: 记录}}），默认演示数据")
        parser.add_argument(
            "--allow-remote", action="store_true", help="允许监听非本机地址（仅限隔离的测试网络）"
        )

    def handle(self, host, port, token, records, allow_remote, **options):
        if not _loopback(host) and not allow_remote:
            raise CommandError(
                f"{host} 不是本机地址：模拟部门系统默认只监听本机，确需对外请加 --allow-remote"
            )
        data = DEMO_RECORDS
        if records:
            try:
                data = json.loads(Path(records).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"无法读取数据文件 {records}：{exc}")
            if not isinstance(data, dict):
                raise CommandError("数据文件应为 JSON 对象：{资源编码: {查询对象: 记录}}")
        try:
            server = serve(DepartmentService(data, token=token), host, port)
        except OSError as exc:
            raise CommandError(f"无法监听 {host}:{port}：{exc}")
        count = sum(len(v) for v in data.values())
        self.stdout.write(
            f"模拟部门系统：http://{host}:{server.server_port}/records/<资源编码>/<查询对象>（{count} 条记录）"
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
