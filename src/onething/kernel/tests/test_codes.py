"""Code checksums and region arithmetic (domain facts: GB 11643, GB 32100, GB/T 2260, GB/T 36901).

These validators guard every identity the platform stores; a wrong check character here
would let a mistyped ID number or USCC through import, registration and case intake.
"""

from __future__ import annotations

import pytest

from onething.kernel import codes

# ----------------------------------------------------------------- 公民身份号码


def test_domain_facts_id_number_example_is_valid():
    assert codes.validate_id_number("11010519491231002X") is None
    assert codes.id_number_check_char("11010519491231002") == "X"


@pytest.mark.parametrize(
    "value",
    ["430602199001011235", "430626198805052012"],  # the demo applicants
)
def test_other_valid_id_numbers(value):
    assert codes.validate_id_number(value) is None


def test_wrong_check_character_is_refused():
    assert codes.validate_id_number("110105194912310021") == "校验码错误"


def test_impossible_birth_date_is_refused():
    # 1949-02-30 does not exist; the check character is recomputed so only the date is wrong
    first17 = "11010519490230002"
    assert codes.validate_id_number(first17 + codes.id_number_check_char(first17)) == "出生日期不存在"


def test_implausibly_early_birth_date_is_refused():
    first17 = "11010518000101002"
    assert codes.validate_id_number(first17 + codes.id_number_check_char(first17)) == "出生日期不合理"


def test_unknown_province_prefix_is_refused():
    first17 = "99010519491231002"
    assert codes.validate_id_number(first17 + codes.id_number_check_char(first17)) == "地址码不合理"


@pytest.mark.parametrize(
    "value", ["", "11010519491231002", "11010519491231002x", "1101051949123100XX", "A1010519491231002X", None]
)
def test_bad_shape_is_refused(value):
    assert codes.validate_id_number(value) == "应为18位，前17位为数字，末位为数字或X"


# ----------------------------------------------------------------- 统一社会信用代码


@pytest.mark.parametrize(
    "value", ["91350100M000100Y43", "11100000000013338W", "11430000006122244L", "91110000802100433B"]
)
def test_domain_facts_uscc_examples_are_valid(value):
    assert codes.validate_uscc(value) is None
    assert codes.uscc_check_char(value[:17]) == value[17]


def test_uscc_wrong_check_character():
    assert codes.validate_uscc("91350100M000100Y44") == "校验码错误"


@pytest.mark.parametrize("bad", ["I", "O", "S", "V", "Z", "a"])
def test_uscc_characters_outside_the_31_set_are_named(bad):
    value = "91350100M000100Y4" + bad
    assert codes.validate_uscc(value) == f"含有不允许的字符：{bad}"


def test_uscc_length_and_authority_and_area():
    assert codes.validate_uscc("91350100M000100Y4") == "应为18位"
    assert codes.validate_uscc(None) == "应为18位"
    first17 = "H1350100M000100Y4"  # H is in the set but not a registration authority
    assert codes.validate_uscc(first17 + codes.uscc_check_char(first17)) == "登记管理部门代码无效"
    first17 = "9135A100M000100Y4"
    assert codes.validate_uscc(first17 + codes.uscc_check_char(first17)) == "第3至8位应为行政区划代码"


# ----------------------------------------------------------------- 行政区划


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("430000", "province", None),
        ("430600", "city", "430000"),
        ("430626", "county", "430600"),
        ("430602001000", "township", "430602"),  # 岳阳楼街道
        ("430626101000", "township", "430626"),  # 安定镇
        ("430626200000", "township", "430626"),  # 三阳乡
        ("430626101201", "village", "430626101000"),
    ],
)
def test_region_levels_and_parents(code, level, parent):
    assert codes.region_level(code) == level
    assert codes.region_parent(code) == parent
    assert codes.validate_region_code(code, level, parent) is None


def test_region_ancestors_nearest_first():
    assert codes.region_ancestors("430626101201") == ["430626101000", "430626", "430600", "430000"]
    assert codes.region_ancestors("430000") == []


@pytest.mark.parametrize("code", ["43060", "4306000", "43060600100", "430626000000", "abcdef", None])
def test_malformed_region_codes(code):
    assert codes.region_level(code) is None
    assert codes.region_parent(code) is None
    assert codes.validate_region_code(code) == "应为6位行政区划代码或12位统计用区划代码"


def test_region_level_mismatch_names_both_levels():
    reason = codes.validate_region_code("430600", "county", "430000")
    assert reason == "区划代码表示“市”级，与所填层级“县”不符"


def test_region_parent_rules():
    assert codes.validate_region_code("430000", "province", "420000") == "省级区划不应有上级"
    assert codes.validate_region_code("430600", "city", None) == "缺少上级区划"
    assert codes.validate_region_code("430626", "county", "430100") == "上级区划应为 430600"
    # 省直辖县级行政单位: a county may hang directly under its province
    assert codes.validate_region_code("429004", "county", "420000") is None
    assert codes.validate_region_code("430626101000", "township", "430600") == "上级区划应为 430626"


# ----------------------------------------------------------------- 电子证照标识

LICENCE = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"


def test_domain_facts_licence_identifier_is_valid():
    assert codes.validate_licence_identifier(LICENCE) is None


def test_licence_identifier_is_rebuilt_exactly():
    assert (
        codes.licence_identifier("11100000000013338W011", "11430000006122244L", "20230000403", 1) == LICENCE
    )


@pytest.mark.parametrize(
    "mutated",
    [
        LICENCE[:-1] + "V",  # check character
        LICENCE.replace("20230000403", "20230000404"),  # serial
        LICENCE.replace(".001.", ".002."),  # version
        LICENCE.replace("11430000006122244L", "11430000006122244M"),  # issuer
    ],
)
def test_mutated_licence_identifier_fails_the_check(mutated):
    assert codes.validate_licence_identifier(mutated) == "证照标识校验码错误"


@pytest.mark.parametrize(
    "bad", ["", None, LICENCE.replace("1.2.156.3005.2", "1.2.156.3005.3"), LICENCE + "X"]
)
def test_licence_identifier_layout(bad):
    assert codes.validate_licence_identifier(bad) == "证照标识格式错误"


def test_every_single_character_substitution_is_caught():
    """MOD 37,36 detects all single substitutions: the point of a check character."""
    body = "11100000000013338W01111430000006122244L20230000403001"
    check = codes.mod37_36_check_char(body)
    for position in range(len(body)):
        for replacement in "0A9Z":
            if body[position] != replacement:
                changed = body[:position] + replacement + body[position + 1 :]
                assert codes.mod37_36_check_char(changed) != check


# ----------------------------------------------------------------- masking


def test_mask_id_number_keeps_four_and_four():
    assert codes.mask_id_number("11010519491231002X") == "1101**********002X"
    assert codes.mask_id_number("1234567") == "1******"
    assert codes.mask_id_number("") == ""


def test_mask_phone():
    assert codes.mask_phone("13812345678") == "138****5678"
    assert codes.mask_phone("12345") == "12345"  # too short to mask meaningfully
    assert codes.mask_phone("") == ""
