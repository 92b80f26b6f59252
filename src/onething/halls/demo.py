"""Demo halls and queue (``make run``): 岳阳市政务服务中心 with zones, three comprehensive windows
where ``chuangkou``, ``chuangkou2`` and ``chuangkou3`` are signed in, a 社保医保 specialist window
and a 出件 window; 平江县's county centre, the 安定镇 township centre and a village station; a
bank outlet; a kiosk account (``quhao``) and a 帮办 account (``bangban``); slots for the coming
weeks. Safe to repeat."""

from __future__ import annotations

from django.utils import timezone

from onething.accounts.demo import DEMO_PASSWORD
from onething.accounts.models import StaffRole, User
from onething.directory.models import Hall, Region, Window
from onething.halls import booking, offer, queue
from onething.halls.models import HallPolicy, Service, WindowSession

SERVICES = [
    # code, name, prefix, themes
    ("zonghe", "综合受理", "A", []),
    ("shebao", "社保医保", "B", ["社保", "退休"]),
    ("kaiban", "企业开办与经营", "C", ["开办", "经营", "变更", "注销"]),
]

HALLS = [
    # code, name, kind, region, address, opening
    ("yueyang-city-hall", "岳阳市政务服务中心", "hall", "430600", "岳阳市岳阳楼区巴陵中路市民之家一楼", {}),
    ("pingjiang-county-hall", "平江县政务服务中心", "hall", "430626", "平江县城关镇天岳大道政务服务中心", {}),
    ("anding-township", "安定镇便民服务中心", "township", "430626101000", "平江县安定镇政府一楼", {}),
    (
        "anding-village",
        "安定镇桃花村便民服务站",
        "village",
        "430626101201",
        "平江县安定镇桃花村村部",
        {"sessions": [["08:30", "12:00"], ["14:00", "17:30"]]},
    ),
    (
        "ccb-yueyanglou",
        "建设银行岳阳楼支行政务服务网点",
        "bank",
        "430602",
        "岳阳市岳阳楼区建设银行营业厅",
        {"sessions": [["09:00", "17:00"]], "every_day": True},
    ),
]

#: hall code → (window code, number, name, zone, comprehensive, themes, specialist service)
WINDOWS = {
    "yueyang-city-hall": [
        ("yy-1", "1", "综合受理窗口", "A区 综合受理区", True, [], None),
        ("yy-2", "2", "综合受理窗口", "A区 综合受理区", True, [], None),
        ("yy-3", "3", "综合受理窗口", "A区 综合受理区", True, [], None),
        ("yy-8", "8", "社保医保窗口", "B区 社保医保专区", False, [], "shebao"),
        ("yy-9", "9", "综合出件窗口", "C区 出件区", True, [], None),
    ],
    "pingjiang-county-hall": [
        ("pj-1", "1", "综合受理窗口", "综合受理区", True, [], None),
        ("pj-9", "9", "综合出件窗口", "出件区", True, [], None),
    ],
    "anding-township": [("ad-1", "1", "便民服务窗口", "", True, [], None)],
    "anding-village": [("ad-taohua-1", "1", "代办窗口", "", True, ["社保", "退休", "户籍", "生育"], None)],
    "ccb-yueyanglou": [("ccb-1", "1", "政银合作窗口", "", True, ["开办", "经营", "变更"], None)],
}

CLERKS = [("chuangkou", "王窗口", "yy-1"), ("chuangkou2", "李窗口", "yy-2"), ("chuangkou3", "刘窗口", "yy-3")]


def _village() -> None:
    if (
        Region.objects.filter(code="430626101000").exists()
        and not Region.objects.filter(code="430626101201").exists()
    ):
        Region.objects.create(code="430626101201", name="桃花村", level="village", parent_id="430626101000")


def _user(username: str, name: str, role: str, hall: Hall, lines: list[str]) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"real_name": name})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
        lines.append(f"创建演示账号 {username}（{name}）")
    StaffRole.objects.get_or_create(user=user, role=role, hall=hall)
    return user


def create_demo_halls() -> list[str]:
    lines: list[str] = []
    _village()
    for position, (code, name, prefix, themes) in enumerate(SERVICES):
        Service.objects.update_or_create(
            code=code, defaults={"name": name, "prefix": prefix, "themes": themes, "position": position}
        )
    halls = {}
    for code, name, kind, region, address, opening in HALLS:
        if not Region.objects.filter(code=region).exists():
            continue
        hall, _ = Hall.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "region_id": region,
                "address": address,
                "opening": opening,
                "hours": "周一至周五 9:00-12:00，13:30-17:00（法定节假日除外）" if not opening else "",
                "phone": "12345",
            },
        )
        HallPolicy.objects.get_or_create(hall=hall)
        halls[code] = hall
        for wcode, number, wname, zone, comprehensive, themes, specialist in WINDOWS[code]:
            items = []
            if specialist:
                service = Service.objects.get(code=specialist)
                items = [i["code"] for i in offer.service_items(service, offer.hall_items(hall))]
            Window.objects.update_or_create(
                hall=hall,
                number=number,
                defaults={
                    "code": wcode,
                    "name": wname,
                    "zone": zone,
                    "comprehensive": comprehensive,
                    "themes": themes,
                    "items": items,
                },
            )
    lines.append(f"演示大厅 {len(halls)} 个，排队业务 {len(SERVICES)} 项")
    city = halls.get("yueyang-city-hall")
    if city is None:
        return lines
    for username, name, window_code in CLERKS:
        clerk = _user(username, name, StaffRole.WINDOW_CLERK, city, lines)
        window = Window.objects.get(code=window_code)
        if not WindowSession.objects.filter(
            clerk=clerk, status__in=WindowSession.OPEN, window=window
        ).exists():
            queue.sign_in(clerk, window, now=timezone.now())
            lines.append(f"{username} 已在{city.name}{window.number}号窗口签到")
    _user("quhao", "市政务服务中心取号机", StaffRole.KIOSK, city, lines)
    _user("bangban", "陈帮办", StaffRole.ASSISTANT, city, lines)
    made = sum(booking.ensure_slots(hall) for hall in halls.values())
    lines.append(f"预约时段：新建 {made} 个")
    return lines
