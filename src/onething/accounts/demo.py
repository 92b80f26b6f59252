"""Demo people, enterprise, halls and staff for the Yueyang demo catalog (``make run``).

Every demo account has the password in :data:`DEMO_PASSWORD` (documented in the README);
they exist only where ``onething load-demo`` was run, never in production.
"""

from __future__ import annotations

from onething.accounts.models import Enterprise, EnterpriseAuthorisation, StaffRole, User
from onething.directory.models import Department, Hall, Region

DEMO_PASSWORD = "onething-demo"  # noqa: S105 - documented demo credential, demo data only

#: username, real name, ID number (valid check characters), phone
PEOPLE = [
    ("zhangsan", "张三", "430602199001011235", "13800000001"),
    ("lisi", "李四", "430626198805052012", "13800000002"),
]


def _department(name_part: str, region: str) -> Department | None:
    return Department.objects.filter(name__contains=name_part, region_id=region).order_by("code").first()


def create_demo_accounts() -> list[str]:
    lines: list[str] = []
    for username, name, id_number, phone in PEOPLE:
        user, created = User.objects.get_or_create(
            username=username, defaults={"real_name": name, "id_number": id_number, "phone": phone}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            lines.append(f"创建演示申请人 {username}（{name}）")

    enterprise, _ = Enterprise.objects.get_or_create(
        uscc="91430600MA4L00001C",
        defaults={
            "name": "岳阳市洞庭湖餐饮管理有限公司",
            "region_id": "430600" if Region.objects.filter(code="430600").exists() else None,
            "industry": "餐饮业",
            "size": "小型",
        },
    )
    EnterpriseAuthorisation.objects.get_or_create(
        enterprise=enterprise, user=User.objects.get(username="lisi"), defaults={"role": "legal_rep"}
    )

    halls = {}
    for code, name, region in [
        ("yueyang-city-hall", "岳阳市政务服务中心", "430600"),
        ("pingjiang-county-hall", "平江县政务服务中心", "430626"),
    ]:
        if Region.objects.filter(code=region).exists():
            hall, _ = Hall.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "region_id": region,
                    "address": f"{name}一楼综合受理区",
                    "hours": "周一至周五 9:00-12:00，13:30-17:00（法定节假日除外）",
                    "phone": "12345",
                },
            )
            halls[code] = hall

    staff = [
        ("admin", "平台管理员", StaffRole.PLATFORM_ADMIN, {}, True),
        ("chuangkou", "王窗口", StaffRole.WINDOW_CLERK, {"hall": halls.get("yueyang-city-hall")}, False),
        ("ducha", "赵督查", StaffRole.SUPERVISOR, {"region_id": "430600"}, False),
        # 大厅管理人员: answers for the window visits' 差评 (好差评 差评整改)
        ("dating", "周大厅", StaffRole.HALL_MANAGER, {"hall": halls.get("yueyang-city-hall")}, False),
        # 12345: the city's hotline centre (话务、派单、审核、回访)
        ("jiexian", "钱接线", StaffRole.HOTLINE_OPERATOR, {"region_id": "430600"}, False),
    ]
    # 12345 工单承办人员 of the departments tickets are dispatched to
    for username, part in [
        ("chengban_shichang", "市场监督管理"),
        ("chengban_renshe", "人力资源和社会保障"),
        ("chengban_gongan", "公安"),
        ("chengban_weijian", "卫生健康"),
    ]:
        dept = _department(part, "430600")
        if dept:
            staff.append(
                (
                    username,
                    f"{dept.short_name or dept.name}12345承办员",
                    StaffRole.HOTLINE_HANDLER,
                    {"department": dept},
                    False,
                )
            )
    for username, part in [
        ("shenpi_weijian", "卫生健康"),
        ("shenpi_gongan", "公安"),
        ("shenpi_yibao", "医疗保障"),
        ("shenpi_renshe", "人力资源和社会保障"),
        ("shenpi_shichang", "市场监督管理"),
    ]:
        dept = _department(part, "430600")
        if dept:
            staff.append(
                (
                    username,
                    f"{dept.short_name or dept.name}审批员",
                    StaffRole.APPROVER,
                    {"department": dept},
                    False,
                )
            )
    dept = _department("市场监督管理", "430600")
    if dept:
        staff.append(
            ("bumen_admin", "市场监管目录管理员", StaffRole.DEPARTMENT_ADMIN, {"department": dept}, False)
        )

    for username, name, role, scope, superuser in staff:
        if role in (StaffRole.WINDOW_CLERK, StaffRole.HALL_MANAGER) and scope.get("hall") is None:
            continue
        user, created = User.objects.get_or_create(username=username, defaults={"real_name": name})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = role in (StaffRole.PLATFORM_ADMIN, StaffRole.DEPARTMENT_ADMIN)
            user.is_superuser = superuser
            user.save()
            lines.append(f"创建演示工作人员 {username}（{name}）")
        if role == StaffRole.DEPARTMENT_ADMIN:
            from django.contrib.auth.models import Permission

            perms = Permission.objects.filter(
                content_type__app_label="catalog",
                codename__in=[
                    "view_item",
                    "change_item",
                    "add_item",
                    "view_bundle",
                    "view_materialtype",
                    "view_dataelement",
                    "add_itemmaterial",
                    "change_itemmaterial",
                    "delete_itemmaterial",
                    "add_itemformfield",
                    "change_itemformfield",
                    "delete_itemformfield",
                    "view_department",
                    "view_region",
                ],
            )
            user.user_permissions.add(*perms)
            user.user_permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="directory", codename__in=["view_department", "view_region"]
                )
            )
            user.user_permissions.add(  # 容缺逾期处理规则 of the department's items
                *Permission.objects.filter(
                    content_type__app_label="cases",
                    codename__in=["view_gaprule", "add_gaprule", "change_gaprule", "delete_gaprule"],
                )
            )
        StaffRole.objects.get_or_create(user=user, role=role, **scope)
    return lines
