"""Demo data of data sharing (``onething load-demo``; safe to repeat).

Resources of 公安 (户籍, 居民身份证, and a 不予共享 one on the negative list), 市场监管 (企业登记
— conditional, readable about 李四's enterprise —, 营业执照), 卫健 (出生医学证明), 民政 (婚姻登记)
and 人社 (社保参保, answered by the department's own system over HTTP: ``onething
department-service``); the three lists; and approvals — made through the real request
machine — that serve the exempt materials of 新生儿出生一件事 for each of its departments, so
an application really fetches what it marks 免提交.
"""

from __future__ import annotations

from django.utils import timezone

from onething.accounts.models import StaffRole, User
from onething.catalog.models import Item
from onething.directory.models import Department
from onething.sharing import exchange, requests
from onething.sharing.models import Demand, Duty, NegativeEntry, Request, Resource, SourceRecord

DEMO_DEPARTMENT_SERVICE = "http://127.0.0.1:8101"

P = True  # a personal field


def _f(key: str, label: str, personal: bool = False, type_: str = "string") -> dict:
    return {"key": key, "label": label, "type": type_, "personal": personal}


#: code, name, provider, class, subject kind, backend, replaces, fields, legal basis, frequency, source
RESOURCES = [
    (
        "GA-HJ-001",
        "户籍信息",
        "11430600MB0600046D",
        "conditional",
        "person",
        "library",
        ["household-register"],
        [
            _f("name", "姓名", P),
            _f("id_number", "公民身份号码", P),
            _f("household_number", "户号", P),
            _f("household_head", "户主姓名", P),
            _f("relation", "与户主关系"),
            _f("address", "户籍地址", P),
            _f("registered_on", "登记日期", type_="date"),
        ],
        "《中华人民共和国户口登记条例》；《政务数据共享条例》第十四条",
        "daily",
        "湖南省人口信息管理系统",
    ),
    (
        "GA-SFZ-001",
        "居民身份证信息",
        "11430600MB0600046D",
        "unconditional",
        "person",
        "people",
        ["id-card"],
        [
            _f("name", "姓名", P),
            _f("id_number", "公民身份号码", P),
            _f("sex", "性别"),
            _f("birth_date", "出生日期", type_="date"),
            _f("region", "签发地区划"),
        ],
        "《中华人民共和国居民身份证法》；《政务数据共享条例》第十四条",
        "realtime",
        "平台实名认证",
    ),
    (
        "GA-FZJL-001",
        "违法犯罪记录信息",
        "11430600MB0600046D",
        "none",
        "person",
        "library",
        [],
        [_f("name", "姓名", P), _f("id_number", "公民身份号码", P), _f("record", "记录", P)],
        "《公安机关办理犯罪记录查询工作规定》第二条",
        "daily",
        "公安违法犯罪信息系统",
    ),
    (
        "SCJG-QYDJ-001",
        "企业登记信息",
        "11430600MB0600018G",
        "conditional",
        "enterprise",
        "enterprises",
        [],
        [
            _f("uscc", "统一社会信用代码"),
            _f("name", "企业名称"),
            _f("region", "登记区划"),
            _f("industry", "行业"),
            _f("size", "规模"),
            _f("founded", "成立日期", type_="date"),
        ],
        "《中华人民共和国市场主体登记管理条例》第三十五条；《政务数据共享条例》第十四条",
        "realtime",
        "湖南省市场主体登记系统",
    ),
    (
        "SCJG-YYZZ-001",
        "营业执照信息",
        "11430600MB0600018G",
        "unconditional",
        "enterprise",
        "library",
        ["business-license"],
        [
            _f("uscc", "统一社会信用代码"),
            _f("name", "名称"),
            _f("type", "类型"),
            _f("legal_rep", "法定代表人"),
            _f("capital", "注册资本"),
            _f("established", "成立日期", type_="date"),
            _f("address", "住所"),
            _f("scope", "经营范围"),
        ],
        "《中华人民共和国市场主体登记管理条例》第二十二条",
        "daily",
        "湖南省市场主体登记系统",
    ),
    (
        "WJ-CSZM-001",
        "出生医学证明信息",
        "11430600MB06000535",
        "conditional",
        "person",
        "library",
        ["birth-medical-certificate"],
        [
            _f("certificate_number", "出生医学证明编号"),
            _f("mother_name", "母亲姓名", P),
            _f("mother_id_number", "母亲公民身份号码", P),
            _f("child_name", "新生儿姓名", P),
            _f("child_sex", "新生儿性别"),
            _f("born_on", "出生日期", type_="date"),
            _f("birthplace", "出生地点"),
        ],
        "《中华人民共和国母婴保健法》第二十三条；《政务数据共享条例》第十四条",
        "daily",
        "湖南省出生医学证明管理系统",
    ),
    (
        "MZ-HYDJ-001",
        "婚姻登记信息",
        "11430600MB0600067J",
        "conditional",
        "person",
        "library",
        ["marriage-certificate"],
        [
            _f("name", "姓名", P),
            _f("id_number", "公民身份号码", P),
            _f("spouse_name", "配偶姓名", P),
            _f("spouse_id_number", "配偶公民身份号码", P),
            _f("status", "婚姻状况"),
            _f("registered_on", "登记日期", type_="date"),
            _f("certificate_number", "结婚证字号"),
        ],
        "《婚姻登记条例》第十八条；《政务数据共享条例》第十四条",
        "daily",
        "全国婚姻登记信息系统（湖南）",
    ),
    (
        "RS-SBCB-001",
        "社会保险参保信息",
        "11430600MB06000320",
        "conditional",
        "person",
        "http",
        [],
        [
            _f("name", "姓名", P),
            _f("id_number", "公民身份号码", P),
            _f("insured_since", "首次参保日期", type_="date"),
            _f("types", "参保险种"),
            _f("status", "参保状态"),
            _f("employer", "参保单位"),
        ],
        "《中华人民共和国社会保险法》第七十四条；《政务数据共享条例》第十四条",
        "daily",
        "岳阳市社会保险信息系统",
    ),
]

#: whose number a material is about, when it is not the applicant's (a form field of the bundle)
SUBJECT_FIELDS = {"WJ-CSZM-001": "mother.id_number", "MZ-HYDJ-001": "mother.id_number"}

MOTHER, FATHER = "430602199201011221", "430602199001011235"
LISI = "430626198805052012"
ENTERPRISE = "91430600MA4L00001C"

#: the base library's rows (resource code → subject → record)
RECORDS = {
    "GA-HJ-001": {
        FATHER: {
            "name": "张三",
            "id_number": FATHER,
            "household_number": "430602001234",
            "household_head": "张三",
            "relation": "户主",
            "address": "湖南省岳阳市岳阳楼区洞庭路1号",
            "registered_on": "2015-03-02",
        },
        MOTHER: {
            "name": "王芳",
            "id_number": MOTHER,
            "household_number": "430602001234",
            "household_head": "张三",
            "relation": "妻",
            "address": "湖南省岳阳市岳阳楼区洞庭路1号",
            "registered_on": "2020-06-18",
        },
        LISI: {
            "name": "李四",
            "id_number": LISI,
            "household_number": "430626005678",
            "household_head": "李四",
            "relation": "户主",
            "address": "湖南省平江县城关镇天岳大道8号",
            "registered_on": "2010-09-01",
        },
    },
    "WJ-CSZM-001": {
        MOTHER: {
            "certificate_number": "S430012345",
            "mother_name": "王芳",
            "mother_id_number": MOTHER,
            "child_name": "张小宝",
            "child_sex": "男",
            "born_on": "2026-11-01",
            "birthplace": "岳阳市妇幼保健院",
        },
    },
    "MZ-HYDJ-001": {
        MOTHER: {
            "name": "王芳",
            "id_number": MOTHER,
            "spouse_name": "张三",
            "spouse_id_number": FATHER,
            "status": "已婚",
            "registered_on": "2020-05-20",
            "certificate_number": "J430602-2020-000520",
        },
        FATHER: {
            "name": "张三",
            "id_number": FATHER,
            "spouse_name": "王芳",
            "spouse_id_number": MOTHER,
            "status": "已婚",
            "registered_on": "2020-05-20",
            "certificate_number": "J430602-2020-000520",
        },
    },
    "SCJG-YYZZ-001": {
        ENTERPRISE: {
            "uscc": ENTERPRISE,
            "name": "岳阳市洞庭湖餐饮管理有限公司",
            "type": "有限责任公司（自然人独资）",
            "legal_rep": "李四",
            "capital": "50万元人民币",
            "established": "2024-04-08",
            "address": "湖南省岳阳市岳阳楼区巴陵中路88号",
            "scope": "餐饮服务；餐饮管理；食品销售",
        }
    },
}

#: the sharing demand of the newborn bundle: department → resources it uses (for which items)
NEWBORN = "430600-YJS-XSECS"
APPROVALS = [
    # department (USCC), resource, fields (None: all), purpose, items
    ("11430600MB0600046D", "GA-HJ-001", None, "出生登记（户口登记）", ["430600-GA-0701-01"]),
    ("11430600MB0600046D", "GA-SFZ-001", None, "出生登记（户口登记）", ["430600-GA-0701-01"]),
    ("11430600MB0600046D", "WJ-CSZM-001", None, "出生登记（户口登记）", ["430600-GA-0701-01"]),
    ("11430600MB0600046D", "MZ-HYDJ-001", None, "出生登记（户口登记）", ["430600-GA-0701-01"]),
    (
        "11430600MB06000535",
        "GA-SFZ-001",
        None,
        "出生医学证明及预防接种证办理",
        ["430600-WJ-2001-01", "430600-WJ-2002-01"],
    ),
    ("11430600MB06000535", "WJ-CSZM-001", None, "出生医学证明及预防接种证办理", ["430600-WJ-2002-01"]),
    (
        "11430600MB0600039M",
        "GA-SFZ-001",
        None,
        "城乡居民医保参保登记及生育保险待遇核准",
        ["430600-YB-2001-01", "430600-YB-0501-01"],
    ),
    (
        "11430600MB0600039M",
        "GA-HJ-001",
        None,
        "城乡居民医保参保登记及生育保险待遇核准",
        ["430600-YB-2001-01"],
    ),
    (
        "11430600MB0600039M",
        "WJ-CSZM-001",
        None,
        "城乡居民医保参保登记及生育保险待遇核准",
        ["430600-YB-0501-01"],
    ),
    (
        "11430600MB0600039M",
        "MZ-HYDJ-001",
        None,
        "城乡居民医保参保登记及生育保险待遇核准",
        ["430600-YB-0501-01"],
    ),
    ("11430600MB06000320", "GA-SFZ-001", None, "社会保障卡申领", ["430600-RS-2002-01"]),
    ("11430600MB06000320", "GA-HJ-001", None, "社会保障卡申领", ["430600-RS-2002-01"]),
    # 卫健 reads 李四's enterprise for its 公共场所卫生许可 (市场监管's conditional resource)
    (
        "11430600MB06000535",
        "SCJG-QYDJ-001",
        ["uscc", "name", "industry", "founded"],
        "公共场所卫生许可审查",
        ["430600-WJ-0101-01"],
    ),
    ("11430600MB06000535", "SCJG-YYZZ-001", None, "公共场所卫生许可审查", ["430600-WJ-0101-01"]),
]
#: left waiting, so the data authority and the providers each have one to decide in the demo;
#: the last value: already checked by the authority, waiting for the provider's answer
PENDING = [
    ("11430600MB06000535", "RS-SBCB-001", ["name", "insured_since", "status"], "生育医疗费用核查", ["430600-WJ-2001-01"], False),
    ("11430600MB0600039M", "SCJG-QYDJ-001", ["uscc", "name", "founded"], "医保定点机构资格核验", [], True),
]  # fmt: skip


def _staff_of(department: str):
    return (
        User.objects.filter(staff_roles__department_id=department, staff_roles__role=StaffRole.APPROVER)
        .order_by("id")
        .first()
    )


def _authority():
    return User.objects.filter(username="admin").first()


def _provider_admin(department: str):
    return (
        User.objects.filter(
            staff_roles__department_id=department, staff_roles__role=StaffRole.DEPARTMENT_ADMIN
        )
        .order_by("id")
        .first()
    )


#: what a department admin may do in the sharing admin (its own department's rows only)
ADMIN_PERMISSIONS = [
    "view_resource", "add_resource", "change_resource", "view_resourceversion",
    "view_demand", "add_demand", "change_demand", "delete_demand",
    "view_duty", "add_duty", "change_duty", "delete_duty",
    "view_negativeentry", "add_negativeentry", "change_negativeentry", "delete_negativeentry",
    "view_request", "view_call", "view_dispute",
    "view_sourcerecord", "add_sourcerecord", "change_sourcerecord", "delete_sourcerecord",
]  # fmt: skip


def _grant_admin_permissions() -> None:
    from django.contrib.auth.models import Permission

    perms = list(Permission.objects.filter(content_type__app_label="sharing", codename__in=ADMIN_PERMISSIONS))
    for user in User.objects.filter(staff_roles__role=StaffRole.DEPARTMENT_ADMIN).distinct():
        user.user_permissions.add(*perms)
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])


def _demo_provider_admins() -> None:
    """A department admin for each providing department without one (bumen_admin is 市场监管's)."""
    from onething.accounts.demo import DEMO_PASSWORD

    for username, code, name in [
        ("shuju_gongan", "11430600MB0600046D", "公安数据管理员"),
        ("shuju_weijian", "11430600MB06000535", "卫健数据管理员"),
        ("shuju_minzheng", "11430600MB0600067J", "民政数据管理员"),
        ("shuju_renshe", "11430600MB06000320", "人社数据管理员"),
    ]:
        if not Department.objects.filter(code=code).exists():
            continue
        user, created = User.objects.get_or_create(username=username, defaults={"real_name": name})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        StaffRole.objects.get_or_create(user=user, role=StaffRole.DEPARTMENT_ADMIN, department_id=code)


def _request(department, resource, fields, purpose, items, *, approve: bool, check: bool = False) -> None:
    found = Resource.objects.get(code=resource)
    if Request.objects.filter(department_id=department, resource=found, purpose=purpose).exists():
        return
    staff = _staff_of(department)
    if staff is None:
        return
    items = [code for code in items if Item.objects.filter(code=code).exists()]
    request = requests.submit(
        staff,
        resource=resource,
        fields=fields or found.field_keys(),
        purpose=purpose,
        legal_basis=found.legal_basis,
        items=items,
        department=department,
    )
    authority = _authority()
    if check:
        requests.approve(authority, request.pk, reason="符合共享条件，转提供部门")
    if not approve:
        return
    request = requests.approve(authority, request.pk, reason="符合共享条件")
    if request.status == Request.Status.CHECKED:
        requests.approve(_provider_admin(found.provider_id), request.pk, reason="同意按申请的数据项共享")


def create_demo_sharing() -> list[str]:
    lines: list[str] = []
    if not Department.objects.filter(code="11430600MB0600046D").exists():
        return lines
    admin = _authority()
    if admin is not None:
        StaffRole.objects.get_or_create(user=admin, role=StaffRole.DATA_AUTHORITY)
    _demo_provider_admins()
    _grant_admin_permissions()
    now = timezone.now()
    for code, name, provider, klass, kind, backend, replaces, fields, basis, freq, source in RESOURCES:
        config = {"url": f"{DEMO_DEPARTMENT_SERVICE}/records/{code}"} if backend == "http" else {}
        if code in SUBJECT_FIELDS:
            config["subject_field"] = SUBJECT_FIELDS[code]
        resource, created = Resource.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "provider_id": provider,
                "sharing_class": klass,
                "subject_kind": kind,
                "backend": backend,
                "backend_config": config,
                "replaces": replaces,
                "fields": fields,
                "legal_basis": basis,
                "update_frequency": freq,
                "source_system": source,
                "refreshed_at": now,
            },
        )
        if created:
            exchange.record_version(resource, None, "载入演示数据", created=True)
            lines.append(f"创建演示数据资源 {code}（{name}）")
        for subject, data in RECORDS.get(code, {}).items():
            SourceRecord.objects.get_or_create(
                resource=resource, subject=subject, defaults={"data": data, "updated_at": now}
            )
    negative = Resource.objects.get(code="GA-FZJL-001")
    NegativeEntry.objects.get_or_create(
        department_id=negative.provider_id,
        name=negative.name,
        defaults={"resource": negative, "legal_basis": negative.legal_basis},
    )
    Duty.objects.get_or_create(
        department_id="11430600MB0600067J",
        name="婚姻登记信息",
        defaults={"resource": Resource.objects.get(code="MZ-HYDJ-001"), "description": "结婚、离婚登记结果"},
    )
    Duty.objects.get_or_create(
        department_id="11430600MB06000535",
        name="死亡医学证明信息",
        defaults={"description": "居民死亡医学证明（推断）书签发结果（尚未编目）"},
    )
    Demand.objects.get_or_create(
        department_id="11430600MB06000320",
        name="死亡医学证明信息",
        defaults={
            "description": "丧葬补助金、抚恤金申领时核验死亡信息",
            "items": ["430600-RS-0502-01"],
            "materials": ["death-medical-certificate"],
        },
    )
    Demand.objects.get_or_create(
        department_id="11430600MB0600046D",
        name="出生医学证明信息",
        defaults={
            "resource": Resource.objects.get(code="WJ-CSZM-001"),
            "items": ["430600-GA-0701-01"],
            "materials": ["birth-medical-certificate"],
        },
    )
    for department, resource, fields, purpose, items in APPROVALS:
        _request(department, resource, fields, purpose, items, approve=True)
    for department, resource, fields, purpose, items, checked in PENDING:
        _request(department, resource, fields, purpose, items, approve=False, check=checked)
    return lines
