"""The e-licence rules in one place: reason codes, numbering, validity, consent defaults and
what a licence stands for in an application.
"""

from __future__ import annotations

import datetime as dt

#: 证照状态变更原因 (GB/T 36903: 注销, 吊销, 撤销, 变更换发 …)
REASON_CODES = {
    "cancel": "注销",
    "revoke": "吊销",
    "withdraw": "撤销",
    "reissue": "变更换发",
    "lost": "遗失补发",
    "expired": "有效期届满",
}

#: a result of these catalog types is issued as an e-licence (a 证照 or a 批文)
ISSUED_RESULT_TYPES = ("certificate", "approval")

#: 用证授权 given on the apply page lasts this long unless the holder chooses another date
CONSENT_DAYS_AT_APPLY = 90
#: the longest a holder may authorise a use for
CONSENT_MAX_DAYS = 366 * 3
#: a 加注件 link lasts at most this long
SHARE_MAX_DAYS = 90


def serial(year: int, sequence: int) -> str:
    """证照序列号: the issue year and a 7-digit sequence per type and issuer (``20260000001``),
    as in the national example identifier."""
    if not 1 <= sequence <= 9_999_999:
        raise ValueError("证照序列号超出范围")
    return f"{year:04d}{sequence:07d}"


def licence_number(issuer_region: str, year: int, sequence: int) -> str:
    """证照编号 printed on the face: issuer's region, year, sequence (``430600-2026-0000001``)."""
    return f"{issuer_region}-{year:04d}-{sequence:07d}"


def valid_until(issued_on: dt.date, years: int | None) -> dt.date | None:
    """End of validity: ``years`` after the issue date, the day before (a 5-year licence issued
    on 2026-03-01 is valid to 2031-02-28); ``None`` is 长期."""
    if not years:
        return None
    try:
        end = issued_on.replace(year=issued_on.year + years)
    except ValueError:  # 29 February
        end = issued_on.replace(year=issued_on.year + years, day=28) + dt.timedelta(days=1)
    return end - dt.timedelta(days=1)


def use_purpose(scope_name: str) -> str:
    """The purpose named in a consent given while applying."""
    return f"办理“{scope_name}”"


def holder_label(holder_kind: str) -> str:
    return "统一社会信用代码" if holder_kind == "enterprise" else "公民身份号码"
