"""``onething node``: this 跨省通办 node's identity, keys and trusted peers.

- ``node init --code REGION --name NAME --url URL [--hub]`` — the node's code (GB/T 2260; a
  province's ``PP0000``, a hub any code of its own), name, URL and first signing key;
- ``node descriptor`` — prints the descriptor a peer trusts (JSON: code, name, url, hub, keys);
- ``node trust FILE [--via HUB]`` — trusts a peer's descriptor (``-`` reads standard input);
  again later to take the peer's new keys or URL;
- ``node rotate [--overlap-days N]`` — a new current key; the old one verifies N more days;
- ``node peers`` — the trusted peers.
- ``node ping PEER`` — sends ``node.ping`` to a trusted peer and runs the relay once: prints the
  receipt's outcome, or the error and when the relay tries again (exit status 1).
- ``node log --export FILE`` / ``node log --verify FILE`` — the message log as JSON lines for
  offline checking (``-``: standard output / input), and that check: the hash chain and every
  envelope and receipt signature against the keys in the file.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from onething.federation import keys, log, nodes, outbox, relay
from onething.kernel import envelope
from onething.kernel.errors import DomainError


class Command(BaseCommand):
    help = "跨省通办节点：初始化本节点、打印描述文件、信任其他节点、轮换签名密钥、列出信任节点"
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{init,descriptor,trust,rotate,peers,log,ping}"
        )
        init = actions.add_parser("init", help="初始化本节点：代码、名称、网址和签名密钥")
        init.add_argument("--code", required=True, help="行政区划代码（省级节点如 430000）")
        init.add_argument("--name", required=True, help="节点名称")
        init.add_argument("--url", required=True, help="节点网址（http:// 或 https://）")
        init.add_argument("--hub", action="store_true", help="作为枢纽节点（转发其他节点的签名报文）")
        actions.add_parser("descriptor", help="打印本节点描述文件（JSON）")
        trust = actions.add_parser("trust", help="信任另一节点的描述文件")
        trust.add_argument("file", metavar="FILE", help="描述文件路径，- 为标准输入")
        trust.add_argument("--via", default="", metavar="HUB", help="经由的枢纽节点代码（默认点对点）")
        rotate = actions.add_parser("rotate", help="轮换签名密钥")
        rotate.add_argument("--overlap-days", type=int, default=7, help="旧密钥继续验证的天数（默认7）")
        actions.add_parser("peers", help="列出信任节点")
        log_ = actions.add_parser("log", help="导出或离线验证报文日志").add_mutually_exclusive_group(
            required=True
        )
        log_.add_argument("--export", metavar="FILE", help="把报文日志导出为 JSON 行文件（- 为标准输出）")
        log_.add_argument(
            "--verify", metavar="FILE", help="验证导出的报文日志：哈希链和每个签名（- 为标准输入）"
        )
        actions.add_parser("ping", help="向信任节点发送 node.ping 并投递一次").add_argument(
            "peer", metavar="PEER"
        )

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _init(self, *, code, name, url, hub, **_):
        node = nodes.init(code, name, url, hub=hub)
        key = keys.current_key()
        role = "枢纽节点" if node.hub else "节点"
        self.stdout.write(f"本{role}：{node.code} {node.name} {node.url}")
        self.stdout.write(f"当前签名密钥 {key.kid}，私钥在 {keys.key_dir()}")
        self.stdout.write("把 onething node descriptor 的输出交给对方节点运行 onething node trust")

    def _descriptor(self, **_):
        self.stdout.write(json.dumps(nodes.descriptor(), ensure_ascii=False, indent=2))

    def _trust(self, *, file, via, stdin=None, **_):
        if file == "-":
            text = (stdin or sys.stdin).read()
        else:
            try:
                with open(file, encoding="utf-8") as handle:
                    text = handle.read()
            except FileNotFoundError:
                raise CommandError(f"找不到描述文件 {file}") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"无法读取描述文件 {file}：{exc}") from None
        try:
            found = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"描述文件不是有效的 JSON（第{exc.lineno}行第{exc.colno}列：{exc.msg}）"
            ) from None
        peer = nodes.trust(found, via=via)
        current = peer.keys.filter(current=True).first()
        route = f"经由枢纽 {peer.via}" if peer.via else "点对点"
        self.stdout.write(
            f"已信任节点 {peer.code} {peer.name}（{route}，{peer.keys.count()}个公钥，当前 {current.kid}）"
        )

    def _rotate(self, *, overlap_days, **_):
        if overlap_days < 0:
            raise CommandError("--overlap-days 不能为负数")
        nodes.this_node()
        old = keys.current_key()
        key = keys.rotate(overlap_days)
        old.refresh_from_db()
        until = timezone.localtime(old.valid_until).strftime("%Y-%m-%d %H:%M")
        self.stdout.write(f"新的当前签名密钥 {key.kid}；旧密钥 {old.kid} 继续验证至 {until}")
        self.stdout.write("请在此之前把新的描述文件（onething node descriptor）交给各信任节点重新信任")

    def _peers(self, **_):
        found = nodes.peers()
        if not found:
            self.stdout.write("尚未信任任何节点")
            return
        now = timezone.now()
        for peer in found:
            valid = [k for k in peer.keys.all() if k.valid_at(now)]
            current = next((k.kid for k in valid if k.current), "—")
            route = f"经由 {peer.via}" if peer.via else "点对点"
            role = "枢纽" if peer.hub else "省级"
            self.stdout.write(
                f"{peer.code}\t{peer.name}\t{role}\t{peer.url}\t{route}\t"
                f"{len(valid)}个有效公钥，当前 {current}\t"
                f"更新于 {timezone.localtime(peer.updated_at):%Y-%m-%d %H:%M}"
            )

    def _ping(self, *, peer, **_):
        row = outbox.send(peer, "node.ping", {})
        relay.deliver_due()
        row.refresh_from_db()
        status = row.Status
        if row.status == status.DELIVERED:
            receipt = envelope.peek(row.receipt)[1]  # verified by the relay before it was stored
            why = f"：{receipt['reason']}" if receipt.get("reason") else ""
            self.stdout.write(
                f"节点 {peer} 已收到 ping（报文 {row.message_id}），回执结果 {receipt['outcome']}{why}"
            )
        elif row.status == status.RETRYING:
            at = timezone.localtime(row.next_attempt_at).strftime("%Y-%m-%d %H:%M:%S")
            raise CommandError(
                f"ping 未送达节点 {peer}：{row.last_error}；报文 {row.message_id} 留在发件箱，第{row.attempts + 1}次尝试在 {at} 之后"
            )
        else:
            self.stdout.write(
                f"ping（报文 {row.message_id}）已写入发件箱，正由后台发送进程投递（{row.get_status_display()}）"
            )

    def _log(self, *, export, verify, stdin=None, **_):
        if export:
            if export == "-":
                count = log.export(self.stdout)
            else:
                try:
                    with open(export, "w", encoding="utf-8") as out:
                        count = log.export(out)
                except OSError as exc:
                    raise CommandError(f"无法写入 {export}：{exc}") from None
                self.stdout.write(f"已导出 {count} 条报文日志到 {export}")
            return
        if verify == "-":
            report = log.verify_export(stdin or sys.stdin)
        else:
            try:
                with open(verify, encoding="utf-8") as handle:
                    report = log.verify_export(handle)
            except FileNotFoundError:
                raise CommandError(f"找不到日志文件 {verify}") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"无法读取日志文件 {verify}：{exc}") from None
        for problem in report["problems"]:
            where = f"第{problem['line']}行" + (
                f"（条目 {problem['id']}）" if problem["id"] is not None else ""
            )
            self.stderr.write(f"{where}：{problem['reason']}")
        summary = (
            f"节点 {report['node'] or '?'}：{report['entries']} 条，验证签名 {report['signatures_checked']} 个，"
            f"仅校验哈希链 {report['chain_only']} 条（拒收的报文）"
        )
        if not report["ok"]:
            raise CommandError(f"报文日志验证未通过（{len(report['problems'])} 处问题）；{summary}")
        self.stdout.write(f"报文日志验证通过：哈希链完整，签名全部有效；{summary}")
