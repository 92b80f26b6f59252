import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from onething.accounts.models import User

TZ = ZoneInfo("Asia/Shanghai")
ENTERPRISE = "91430600MA4L00001C"


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=TZ)


@pytest.fixture
def staff(db):
    names = [
        "admin",
        "bumen_admin",
        "shenpi_weijian",
        "shenpi_gongan",
        "shuju_renshe",
        "zhangsan",
        "lisi",
        "shuju_gongan",
    ]
    return {u.username: u for u in User.objects.filter(username__in=names)}
