"""Personal numbers in free text (``codes.mask_personal_numbers_in_text``): every 公民身份号码,
mobile phone and bank card number is masked however it is written; the platform's own numbers,
USCCs, dates and amounts come out exactly as they went in.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onething.kernel import codes

mask = codes.mask_personal_numbers_in_text
PROPERTY = settings(derandomize=True, max_examples=300, deadline=None)

#: text around a number: Chinese, CJK and ASCII punctuation, spaces — never an ASCII letter or
#: digit, which would glue onto the number and make it part of a longer token
CONTEXT = st.text(alphabet="申请人身份证号码电话银行卡账户为是的，。：；（）、“”！？ :;,()/-\n", max_size=12)
PROVINCES = sorted(codes.PROVINCE_PREFIXES - {"71", "81", "82"})


def digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", text.translate(codes._HALF_WIDTH))


# ----------------------------------------------------------------- how people write the numbers


@st.composite
def id_numbers(draw) -> str:
    region = draw(st.sampled_from(PROVINCES)) + draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    birth = draw(st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)))
    first17 = f"{region}{birth:%Y%m%d}" + draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    return first17 + codes.id_number_check_char(first17)


@st.composite
def old_id_numbers(draw) -> str:
    region = draw(st.sampled_from(PROVINCES)) + draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    birth = draw(st.dates(dt.date(1900, 1, 1), dt.date(1999, 12, 31)))
    return f"{region}{birth:%y%m%d}" + draw(st.from_regex(r"[0-9]{3}", fullmatch=True))


MOBILES = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@st.composite
def cards(draw) -> str:
    """A bank card number: 16 to 19 digits, the last one the Luhn check digit."""
    length = draw(st.integers(16, 19))
    body = draw(st.from_regex(rf"[1-9][0-9]{{{length - 2}}}", fullmatch=True))
    return next(body + d for d in "0123456789" if codes.luhn_valid(body + d))


def grouped(number: str, sizes: list[int], separator: str) -> str:
    parts, start = [], 0
    for size in sizes:
        parts.append(number[start : start + size])
        start += size
    return separator.join(p for p in parts if p)


@st.composite
def written_id(draw) -> tuple[str, str]:
    number = draw(st.one_of(id_numbers(), old_id_numbers()))
    if len(number) == 18 and draw(st.booleans()):
        return number, grouped(number, [6, 8, 4], " ")  # 430602 19900101 1235
    return number, number


@st.composite
def written_mobile(draw) -> tuple[str, str]:
    number = draw(MOBILES)
    layout = draw(st.sampled_from(["plain", "spaces", "dashes"]))
    written = {
        "plain": number,
        "spaces": grouped(number, [3, 4, 4], " "),
        "dashes": grouped(number, [3, 4, 4], "-"),
    }
    prefix = draw(st.sampled_from(["", "+86 ", "+86", "86", "0086-"]))
    return number, prefix + written[layout]


@st.composite
def written_card(draw) -> tuple[str, str]:
    number = draw(cards())
    layout = draw(st.sampled_from(["plain", " ", "-"]))
    if layout == "plain":
        return number, number
    return number, grouped(number, [4, 4, 4, 4, 3], layout)


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


WRITTEN = st.one_of(written_id(), written_mobile(), written_card())


# ----------------------------------------------------------------- properties


@PROPERTY
@given(before=CONTEXT, number=WRITTEN, after=CONTEXT, wide=st.booleans())
def test_a_masked_text_never_contains_the_full_number(before, number, after, wide):
    canonical, written = number
    written = full_width(written) if wide else written
    text = before + written + after
    masked = mask(text)
    assert canonical not in digits(masked), (text, masked)
    assert written not in masked
    # only the number changed, character for character
    assert masked.startswith(before) and masked.endswith(after) and len(masked) == len(text)
    assert "*" in masked[len(before) : len(masked) - len(after)]


@PROPERTY
@given(numbers=st.lists(WRITTEN, min_size=2, max_size=4), glue=CONTEXT.filter(lambda s: s.strip(" -") != ""))
def test_every_number_of_a_text_is_masked(numbers, glue):
    text = glue.join(written for _, written in numbers)
    masked = mask(text)
    for canonical, _written in numbers:
        assert canonical not in digits(masked), (text, masked)


@st.composite
def uscc(draw) -> str:
    """A 统一社会信用代码 with a correct check character and at least one letter."""
    head = draw(st.sampled_from(["11", "12", "13", "51", "52", "91", "92", "93", "N1", "Y1"]))
    region = draw(st.from_regex(r"43[0-9]{4}", fullmatch=True))
    organisation = draw(st.text(alphabet=codes.USCC_CHARSET, min_size=9, max_size=9))
    first17 = head + region + organisation
    if not re.search("[A-Z]", first17):
        first17 = first17[:8] + "MA" + first17[10:]
    return first17 + codes.uscc_check_char(first17)


@st.composite
def platform_numbers(draw) -> str:
    region = draw(st.from_regex(r"[1-8][0-9]{5}", fullmatch=True))
    day = draw(st.dates(dt.date(2020, 1, 1), dt.date(2099, 12, 31)))
    application = f"{region}-{day:%Y%m%d}-{draw(st.integers(1, 9_999_999)):06d}"
    kind = draw(st.sampled_from(["application", "subcase", "notice", "uscc", "date", "amount"]))
    if kind == "subcase":
        return f"{application}-{draw(st.integers(1, 99)):02d}"
    if kind == "notice":
        mark = draw(st.sampled_from(["受", "不受", "补", "容", "结"]))
        return f"{mark}字〔{day.year}〕{application}-{draw(st.integers(1, 9))}号"
    if kind == "uscc":
        return draw(uscc())
    if kind == "date":
        return draw(
            st.sampled_from([f"{day:%Y-%m-%d}", f"{day:%Y%m%d}", f"{day.year}年{day.month}月{day.day}日"])
        )
    if kind == "amount":
        value = draw(st.integers(0, 10**15)) / 100
        return draw(st.sampled_from([f"{value:,.2f}", f"{value:.2f}", f"¥{value:,.2f}元"]))
    return application


@PROPERTY
@given(before=CONTEXT, numbers=st.lists(platform_numbers(), min_size=1, max_size=4), after=CONTEXT)
def test_platform_numbers_dates_and_amounts_come_out_unchanged(before, numbers, after):
    text = before + "，".join(numbers) + after
    assert mask(text) == text


@PROPERTY
@given(text=st.text(max_size=80) | st.builds(lambda a, n, b: a + n[1] + b, CONTEXT, WRITTEN, CONTEXT))
def test_masking_twice_changes_nothing_more(text):
    once = mask(text)
    assert mask(once) == once and len(once) == len(text)


# ----------------------------------------------------------------- what the reader sees


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("申请人430602199001011235已到场", "申请人4306**********1235已到场"),
        ("身份证 11010519491231002x。", "身份证 1101**********002x。"),
        ("证号 430602 19900101 1235", "证号 4306** ******** 1235"),
        ("旧证430602900101123", "旧证4306*******1123"),
        ("电话13812345678", "电话138****5678"),
        ("电话：138 1234 5678；", "电话：138 **** 5678；"),
        ("+86 138-1234-5678", "+86 138-****-5678"),
        ("卡号6222020200112233445", "卡号6222***********3445"),
        ("卡号 6222 0202 0011 2233", "卡号 6222 **** **** 2233"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        ("13812345678,13912345678", "138****5678,139****5678"),
    ],
)
def test_what_the_reader_sees(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "办件 430602-20261121-000123-01 已受理",
        "受字〔2026〕430602-20261121-000123-1号",
        "单位 91430600MA4L00001C、11430000006122244L",
        "金额 13812345678.50 元，合计 1,381,234,567.00",
        "证照 1.2.156.3005.2.114306000000000017.91430600MA4L00001C.0001.001.X",
        "摘要 9f2c13812345678ab0e",
        "",
    ],
)
def test_what_is_not_a_personal_number(text):
    assert mask(text) == text


def test_an_all_digit_enterprise_uscc_survives_but_an_all_digit_card_does_not():
    first17 = "91430600707200002"
    enterprise = first17 + codes.uscc_check_char(first17)
    assert enterprise.isdigit() and codes.validate_uscc(enterprise) is None
    assert not codes.luhn_valid(enterprise)
    assert mask(f"统一社会信用代码{enterprise}") == f"统一社会信用代码{enterprise}"
    # the same shape passing the bank-card check is masked: it could be someone's card
    card = next(first17 + d for d in "0123456789" if codes.luhn_valid(first17 + d))
    assert "*" in mask(f"卡号{card}")


def test_luhn():
    assert codes.luhn_valid("4111111111111111") and not codes.luhn_valid("4111111111111112")
    assert codes.luhn_valid("79927398713") and not codes.luhn_valid("79927398710")
