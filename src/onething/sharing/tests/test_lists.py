"""The three-lists report on the demo data, plus constructed cases."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from onething.catalog.models import MaterialType
from onething.catalog.publishing import current_many
from onething.sharing import lists
from onething.sharing.models import Demand, Duty, Request, Resource

pytestmark = pytest.mark.django_db

RENSHE, WEIJIAN, GONGAN = "11430600MB06000320", "11430600MB06000535", "11430600MB0600046D"


def test_demo_report():
    data = lists.report()
    demands = {d["name"]: d for d in data["unsupplied_demands"]}
    assert "死亡医学证明信息" in demands and "未对应任何数据资源" in demands["死亡医学证明信息"]["reasons"]
    assert "出生医学证明信息" not in demands  # 公安's demand is met by WJ-CSZM-001
    assert [r["code"] for r in data["unused_resources"]] == ["RS-SBCB-001"]  # only a pending request
    assert [(d["department"], d["name"]) for d in data["unmet_duties"]] == [(WEIJIAN, "死亡医学证明信息")]
    assert data["missed_exemptions"] == []  # the demo marks every replaced material 免提交


def test_demand_of_a_none_resource_and_unreplaced_materials():
    negative = Resource.objects.get(code="GA-FZJL-001")
    Demand.objects.create(
        department_id=RENSHE, name="犯罪记录", resource=negative, materials=["kinship-proof"]
    )
    found = {d["name"]: d for d in lists.unsupplied_demands()}["犯罪记录"]
    assert found["reasons"] == [
        "对应的数据资源 GA-FZJL-001 不予共享",
        "材料 kinship-proof 尚无可共享的数据资源替代",
    ]
    assert "GA-FZJL-001" not in {r["code"] for r in lists.unused_resources()}  # not a supply


def test_a_resource_becomes_used_once_approved_and_duty_met_once_catalogued():
    Request.objects.filter(resource__code="GA-HJ-001").update(status=Request.Status.SUSPENDED)
    assert "GA-HJ-001" in {r["code"] for r in lists.unused_resources()}
    Duty.objects.filter(name="死亡医学证明信息").update(resource=Resource.objects.get(code="GA-HJ-001"))
    assert lists.unmet_duties() == []


def test_material_still_asked_although_an_approval_could_supply_it():
    MaterialType.objects.filter(code="household-register").update(exempt_via="")
    asking = [
        item
        for item in current_many("item").values()
        if any(m["material"] == "household-register" for m in item.get("materials", []))
    ]
    assert asking, "the demo has items asking for 户口簿"
    found = lists.missed()
    assert {f["item"] for f in found} == {i["code"] for i in asking}
    assert all(f["material"] == "household-register" for f in found)
    assert all(f["sources"] and f["sources"][0].startswith("GA-HJ-001（共享申请 ") for f in found)
    assert found == sorted(found, key=lambda f: (f["department"], f["item"], f["material"]))
    # no approval left: nothing to claim
    Request.objects.filter(resource__code="GA-HJ-001").update(status=Request.Status.REVOKED)
    assert lists.missed() == []


def test_command_prints_chinese_and_json():
    out = StringIO()
    call_command("sharing_report", stdout=out)
    text = out.getvalue()
    assert "一、有需求、无供给的共享需求（1 项）" in text
    assert "社会保险参保信息（RS-SBCB-001）" in text
    assert "四、可通过已批准的数据共享免提交、但仍要求申请人提交的材料（0 处）" in text
    out = StringIO()
    call_command("sharing_report", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert set(data) == {"unsupplied_demands", "unused_resources", "unmet_duties", "missed_exemptions"}
