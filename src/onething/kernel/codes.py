"""Validation of the codes that identify people, organisations, places and licences.

- 公民身份号码 (GB 11643-1999): 18 characters, ISO 7064 MOD 11-2 check character.
- 统一社会信用代码 (GB 32100-2015): 18 characters over a 31-character set, MOD 31 check.
- 行政区划代码 (GB/T 2260) with the 12-digit statistical extension for townships/villages.
- 电子证照标识 (GB/T 36901): ISO/IEC 7064 MOD 37,36 check character.

And the masking of personal numbers (公民身份号码, mobile phone, bank card numbers) for people who
do not own them, in structured fields and in free text (:func:`mask_personal_numbers_in_text`).

Each validator returns ``None`` when the code is valid and a short Chinese reason when it is
not, so callers can put the reason next to the field that carried the code.
"""

from __future__ import annotations

import datetime as dt
import re

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_AUTHORITIES = set("123456789ABCDEFGNY")

REGION_LEVELS = ("province", "city", "county", "township", "village")
# First two digits of the GB/T 2260 province-level codes (incl. 71 台湾, 81 香港, 82 澳门).
PROVINCE_PREFIXES = frozenset(
    {
        *("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"),
        *("41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"),
        *("71", "81", "82"),
    }
)
_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")
_REGION_RE = re.compile(r"^[0-9]{6}([0-9]{6})?$")


def id_number_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def validate_id_number(value: str) -> str | None:
    """公民身份号码: shape, plausible address code, real birth date, check character."""
    if not isinstance(value, str) or not _ID_RE.match(value):
        return "应为18位，前17位为数字，末位为数字或X"
    if value[:2] not in PROVINCE_PREFIXES:
        return "地址码不合理"
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "出生日期不存在"
    if birth.year < 1880:
        return "出生日期不合理"
    if id_number_check_char(value[:17]) != value[17]:
        return "校验码错误"
    return None


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> str | None:
    """统一社会信用代码: 18 characters of the 31-character set and a correct check character."""
    if not isinstance(value, str) or len(value) != 18:
        return "应为18位"
    bad = sorted({c for c in value if c not in USCC_CHARSET})
    if bad:
        return f"含有不允许的字符：{''.join(bad)}"
    if value[0] not in USCC_AUTHORITIES:
        return "登记管理部门代码无效"
    if not value[2:8].isdigit():
        return "第3至8位应为行政区划代码"
    if uscc_check_char(value[:17]) != value[17]:
        return "校验码错误"
    return None


def region_level(code: str) -> str | None:
    """The level implied by a GB/T 2260 code (6 digits) or statistical code (12 digits)."""
    if not isinstance(code, str) or not _REGION_RE.match(code):
        return None
    if len(code) == 12:
        if code[6:9] == "000":
            return None
        return "township" if code[9:] == "000" else "village"
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def region_parent(code: str) -> str | None:
    """The code of the region one level up, derived from the code itself.

    A county's parent is its city (``PPCC00``); for the four municipalities and counties
    directly under a province (``PP90xx``) the caller may accept the province instead.
    """
    level = region_level(code)
    if level == "province" or level is None:
        return None
    if level == "city":
        return code[:2] + "0000"
    if level == "county":
        return code[:4] + "00"
    if level == "township":
        return code[:6]
    return code[:9] + "000"


def validate_region_code(code: str, level: str | None = None, parent: str | None = None) -> str | None:
    """Shape of the code, agreement with the declared level, and parent consistency."""
    actual = region_level(code)
    if actual is None:
        return "应为6位行政区划代码或12位统计用区划代码"
    if level is not None and level != actual:
        return f"区划代码表示“{LEVEL_NAMES[actual]}”级，与所填层级“{LEVEL_NAMES.get(level, level)}”不符"
    if actual == "province":
        if parent:
            return "省级区划不应有上级"
        return None
    if parent is None:
        return "缺少上级区划"
    expected = region_parent(code)
    allowed = {expected}
    if actual == "county":
        allowed.add(code[:2] + "0000")  # 省直辖县级行政单位
    if parent not in allowed:
        return f"上级区划应为 {expected}"
    return None


LEVEL_NAMES = {"province": "省", "city": "市", "county": "县", "township": "乡", "village": "村"}


def region_ancestors(code: str) -> list[str]:
    """Codes of every region above ``code``, nearest first (derived from the code)."""
    out: list[str] = []
    current = region_parent(code)
    while current:
        out.append(current)
        current = region_parent(current)
    return out


def mask_id_number(value: str) -> str:
    """Mask a personal number for people who do not own it: ``4306**********1234``."""
    if not value:
        return value
    if len(value) <= 8:
        return value[:1] + "*" * (len(value) - 1)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """Mask a phone number: ``138****5678``."""
    if not value or len(value) < 7:
        return value
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


# ----------------------------------------------------------------- personal numbers in free text

#: full-width forms (ＡＢＣ１２３, the ideographic space) -> ASCII, one character for one, so
#: positions in the translated text are positions in the original
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

#: A personal number stands alone: not glued to ASCII letters or digits (a USCC such as
#: ``91430600MA4L00001C``, a hex digest, a licence identifier stay whole) and not part of a
#: decimal amount. Platform numbers (``430602-20261121-000123``, ``…-01``, notice numbers)
#: and dates are runs of at most 8 digits, so none of the shapes below can match them.
PERSONAL_NUMBER_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?<![0-9]\.)"
    r"(?:"
    # 公民身份号码: 17 digits and a check character, possibly written 6 8 4 with spaces
    r"(?P<id_number>[1-8][0-9]{5} ?[0-9]{8} ?[0-9]{3}[0-9Xx])"
    # bank card / account: 16-19 digits, possibly in groups of four (spaces or dashes)
    r"|(?P<card>[0-9]{16,19}|[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -][0-9]{1,3})?)"
    # 15-digit 公民身份号码 (issued before 1999): address code, YYMMDD, sequence
    r"|(?P<old_id_number>[1-8][0-9]{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3})"
    # mobile: 1[3-9] and 9 digits, possibly 3 4 4 with spaces or dashes, possibly after +86
    r"|(?:(?:\+|00)?86[ -]?)?(?P<mobile>1[3-9][0-9](?:[0-9]{8}|[ -][0-9]{4}[ -][0-9]{4}))"
    r")"
    r"(?![0-9A-Za-z])(?!\.[0-9])"
)
#: digits kept visible (first, last) per kind: ``4306**********1235``, ``138****5678``
_KEPT = {"id_number": (4, 4), "card": (4, 4), "old_id_number": (4, 4), "mobile": (3, 4)}
_NUMBER_CHARACTERS = frozenset("0123456789Xx")


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check that every bank card number satisfies."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _is_enterprise_uscc(number: str) -> bool:
    """An all-digit 18-character run that is a 统一社会信用代码, not a personal number.

    Only codes of the 工商 authority (first character 9, which no 公民身份号码 has) with a correct
    MOD 31 check character that fail the bank-card check: every other all-digit run of 18 is
    masked, because it could be a person's ID or card number.
    """
    return len(number) == 18 and number[0] == "9" and validate_uscc(number) is None and not luhn_valid(number)


def _hide_digits(original: str, normal: str, first: int, last: int) -> str:
    """``original`` with every digit but the ``first`` and ``last`` ones replaced by ``*``
    (spaces, dashes and the layout kept); ``normal`` is its half-width form."""
    positions = [i for i, char in enumerate(normal) if char in _NUMBER_CHARACTERS]
    hidden = set(positions[first : len(positions) - last])
    return "".join("*" if i in hidden else char for i, char in enumerate(original))


def mask_personal_numbers_in_text(text: str) -> str:
    """``text`` with every personal number in it masked: 公民身份号码 (18 and 15 digits),
    mobile phone numbers and bank card / account numbers, written together or grouped, in
    half-width or full-width digits. Platform numbers, USCCs, dates and amounts stay as they are.
    """
    if not text:
        return text
    normal = text.translate(_HALF_WIDTH)
    out: list[str] = []
    done = 0
    for match in PERSONAL_NUMBER_IN_TEXT.finditer(normal):
        kind = next(name for name in _KEPT if match.group(name) is not None)
        start, end = match.span(kind)
        if kind == "card" and _is_enterprise_uscc(match.group(kind)):
            continue
        out.append(text[done:start])
        out.append(_hide_digits(text[start:end], normal[start:end], *_KEPT[kind]))
        done = end
    out.append(text[done:])
    return "".join(out)


_MOD37_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def mod37_36_check_char(payload: str) -> str:
    """ISO/IEC 7064 MOD 37,36 check character over ``payload`` (digits and upper-case letters).

    For an e-licence identifier the payload is the parts after the fixed prefix
    ``1.2.156.3005.2``, joined without dots.
    """
    m = 36
    p = m
    for char in payload:
        value = _MOD37_ALPHABET.index(char)
        s = (p % (m + 1)) + value
        s = s % m or m
        p = s * 2
    p %= m + 1
    return _MOD37_ALPHABET[(m + 1 - p) % m]


LICENCE_PREFIX = "1.2.156.3005.2"
_LICENCE_RE = re.compile(
    r"^1\.2\.156\.3005\.2\.(?P<type>[0-9A-Z]{18}[0-9]{3})\.(?P<issuer>[0-9A-Z]{18})"
    r"\.(?P<serial>[0-9A-Z]+)\.(?P<version>[0-9]{3})\.(?P<check>[0-9A-Z])$"
)


def licence_identifier(licence_type: str, issuer: str, serial: str, version: int = 1) -> str:
    """Build a GB/T 36901 电子证照标识 with its check character."""
    body = f"{licence_type}{issuer}{serial}{version:03d}"
    return f"{LICENCE_PREFIX}.{licence_type}.{issuer}.{serial}.{version:03d}.{mod37_36_check_char(body)}"


def validate_licence_identifier(value: str) -> str | None:
    """电子证照标识: layout and MOD 37,36 check character."""
    match = _LICENCE_RE.match(value or "")
    if not match:
        return "证照标识格式错误"
    body = match["type"] + match["issuer"] + match["serial"] + match["version"]
    if mod37_36_check_char(body) != match["check"]:
        return "证照标识校验码错误"
    return None


def mask_personal_numbers_in(value):
    """``value`` with the personal numbers in every string masked, recursively through lists,
    tuples and dicts (a notice's content, an error body); other values as they are."""
    if isinstance(value, str):
        return mask_personal_numbers_in_text(value)
    if isinstance(value, list | tuple):
        return [mask_personal_numbers_in(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_personal_numbers_in(v) for k, v in value.items()}
    return value
