"""Regions and departments: the coordinates every item, role and case hangs from."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from onething.directory.models import Department, Hall, Region, Window, compute_path

pytestmark = pytest.mark.django_db


def test_path_is_built_from_the_parent(demo):
    region = Region.objects.get(code="430626101000")
    assert region.path == "430000/430600/430626/430626101000"
    assert region.ancestor_codes() == ["430000", "430600", "430626"]
    assert compute_path("430000", None) == "430000"
    assert compute_path("420100", "420000") == "420000/420100"  # parent not stored yet


def test_region_clean_checks_code_level_and_parent(demo):
    Region(code="430621", name="岳阳县", level="county", parent_id="430600").clean()
    with pytest.raises(ValidationError, match="上级区划应为 430600"):
        Region(code="430621", name="岳阳县", level="county", parent_id="430100").clean()
    with pytest.raises(ValidationError, match="与所填层级"):
        Region(code="430621", name="岳阳县", level="city", parent_id="430600").clean()


def test_department_clean_checks_the_uscc(demo):
    Department(code="11430000006122244L", name="某厅", region_id="430000").clean()
    with pytest.raises(ValidationError, match="统一社会信用代码校验码错误"):
        Department(code="11430000006122244M", name="某厅", region_id="430000").clean()


def test_string_forms(demo):
    region = Region.objects.get(code="430600")
    assert str(region) == "岳阳市（430600）"
    hall = Hall.objects.create(code="h1", name="测试大厅", region=region)
    window = Window.objects.create(hall=hall, number="3", name="综合窗口")
    assert str(hall) == "测试大厅" and str(window) == "测试大厅 3号窗口"
    assert str(Department.objects.filter(region=region).first())
