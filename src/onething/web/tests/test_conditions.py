"""Limits and fees in words (no database)."""

from onething.catalog.views import fee_text
from onething.web import presenters


def test_limits_in_words():
    assert presenters.limit_text(0) == "即办件（当场办结）"
    assert presenters.limit_text(5) == "5 个工作日"
    assert presenters.legal_limit_text(0) == "法律法规未规定办结时限"
    assert fee_text({"charged": False}) == "不收费"
    assert fee_text({"charged": True, "amount_yuan": 20}) == "收费 20 元"
    assert fee_text({"charged": True, "amount_yuan": 20, "basis": "湘价费"}) == "收费 20 元（湘价费）"
