"""Demo e-licences (``make run`` loads them; safe to repeat).

- The licence-type table for the demo catalog's certificate results (出生医学证明, 结婚证,
  机动车驾驶证, 营业执照, 食品经营许可证 …). The ministries' codes are shaped like national ones
  (a USCC with a valid check character plus a 3-digit sequence); they are demo values.
- 张三 holds a 结婚证 (岳阳楼区民政局) and a 机动车驾驶证 (岳阳市公安局).
- 李四's enterprise holds its 营业执照 from 岳阳市市场监督管理局.
- Deciding a 新生儿出生一件事 application issues the child's 出生医学证明 to the parent who
  applied (the cases hook); the next application that needs it uses it with consent.
"""

from __future__ import annotations

import datetime as dt

from onething.accounts.models import Enterprise, User
from onething.directory.models import Department
from onething.kernel import codes
from onething.licences import issuing
from onething.licences.models import Licence, LicenceType


def ministry_code(seed: str, sequence: int) -> str:
    """A demo 证照类型代码: an 18-character ministry USCC (valid check character) + 3 digits."""
    first17 = f"11100000{seed:0>9}"[:17]
    return f"{first17}{codes.uscc_check_char(first17)}{sequence:03d}"


#: (name, ministry seed, sequence, holder kind, validity years, materials, fields)
TYPES = [
    (
        "出生医学证明",
        "000013610",
        1,
        "person",
        None,
        ["birth-medical-certificate"],
        [
            ("child_name", "新生儿姓名", "child.name"),
            ("child_birth_date", "出生日期", "child.birth_date"),
            ("child_gender", "性别", "child.gender"),
            ("mother_name", "母亲姓名", "mother.name"),
            ("father_name", "父亲姓名", "father.name"),
        ],
    ),
    ("预防接种证", "000013610", 2, "person", None, [], [("child_name", "受种者姓名", "child.name")]),
    (
        "结婚证",
        "000013375",
        1,
        "person",
        None,
        ["marriage-certificate"],
        [("spouse_name", "配偶姓名", "spouse.name"), ("registered_on", "登记日期", "registered_on")],
    ),
    ("居民身份证", "000013338", 1, "person", 20, ["id-card"], []),
    (
        "机动车驾驶证",
        "000013338",
        11,
        "person",
        6,
        ["driver-license"],
        [("vehicle_class", "准驾车型", "vehicle_class")],
    ),
    ("社会保障卡", "000013474", 1, "person", 10, [], []),
    (
        "营业执照",
        "00000MB0143",
        1,
        "enterprise",
        None,
        ["business-license"],
        [
            ("name", "名称", "enterprise.name"),
            ("enterprise_type", "类型", "enterprise.type"),
            ("legal_rep", "法定代表人", "legal_rep.name"),
            ("address", "住所", "business.address"),
            ("scope", "经营范围", "business.scope"),
        ],
    ),
    (
        "食品经营许可证",
        "00000MB0143",
        2,
        "enterprise",
        5,
        ["food-business-license"],
        [("name", "经营者名称", "enterprise.name"), ("address", "经营场所", "business.address")],
    ),
    ("公共场所卫生许可证", "000013610", 3, "enterprise", 4, [], [("name", "单位名称", "enterprise.name")]),
    ("不动产权证书", "000013395", 1, "person", None, ["real-estate-certificate"], []),
    ("民办学校办学许可证", "000013363", 1, "enterprise", 5, ["school-license"], []),
    ("道路运输经营许可证", "000013385", 1, "enterprise", 4, ["road-transport-permit"], []),
]


def create_types() -> int:
    made = 0
    for name, seed, sequence, holder, years, materials, fields in TYPES:
        _, created = LicenceType.objects.update_or_create(
            name=name,
            defaults={
                "code": ministry_code(seed, sequence),
                "holder_kind": holder,
                "validity_years": years,
                "materials": materials,
                "fields": [{"key": k, "label": label, "from": path} for k, label, path in fields],
            },
        )
        made += created
    return made


def _held(holder_id: str, type_name: str) -> bool:
    return Licence.objects.filter(holder_id=holder_id, type__name=type_name).exists()


def _issue(type_name, issuer_code, holder_kind, holder_id, holder_name, fields, issued_on) -> str | None:
    kind = LicenceType.objects.filter(name=type_name).first()
    issuer = Department.objects.filter(code=issuer_code).first()
    if kind is None or issuer is None or _held(holder_id, type_name):
        return None
    licence = issuing.issue(
        issuing.Request(
            type=kind,
            issuer=issuer,
            holder_kind=holder_kind,
            holder_id=holder_id,
            holder_name=holder_name,
            fields=fields,
            source="demo",
            issued_on=issued_on,
        )
    )
    return f"演示电子证照：{holder_name} 的{licence.name}（{licence.number}）"


def create_demo_licences() -> list[str]:
    lines = []
    made = create_types()
    if made:
        lines.append(f"证照类型：新增 {made} 种")
    zhangsan = User.objects.filter(username="zhangsan").first()
    if zhangsan is not None and zhangsan.id_number:
        for line in (
            _issue(
                "结婚证",
                "11430602MB06002605",
                "person",
                zhangsan.id_number,
                zhangsan.real_name,
                {"spouse_name": "王芳", "registered_on": "2018-05-20"},
                dt.date(2018, 5, 20),
            ),
            _issue(
                "机动车驾驶证",
                "11430600MB0600046D",
                "person",
                zhangsan.id_number,
                zhangsan.real_name,
                {"vehicle_class": "C1"},
                dt.date(2022, 3, 15),
            ),
        ):
            if line:
                lines.append(line)
    enterprise = Enterprise.objects.filter(uscc="91430600MA4L00001C").first()
    if enterprise is not None:
        line = _issue(
            "营业执照",
            "11430600MB0600018G",
            "enterprise",
            enterprise.uscc,
            enterprise.name,
            {
                "name": enterprise.name,
                "enterprise_type": "有限责任公司（自然人投资或控股）",
                "legal_rep": "李四",
                "address": "岳阳市岳阳楼区洞庭南路 88 号",
                "scope": "餐饮服务；食品销售",
            },
            dt.date(2020, 6, 8),
        )
        if line:
            lines.append(line)
    return lines
