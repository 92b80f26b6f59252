"""``people``: the platform's register of real-name natural persons (实名用户)."""

from __future__ import annotations

from onething.accounts.models import User
from onething.sharing.providers import register


@register("people", "平台实名人口信息")
class People:
    def fetch(self, resource, subject, fields):
        person = (
            User.objects.filter(id_number=subject, is_active=True).values("real_name", "id_number").first()
        )
        if person is None:
            return None
        birth = subject[6:14]
        return {
            "name": person["real_name"],
            "id_number": person["id_number"],
            "birth_date": f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
            "sex": "男" if int(subject[16]) % 2 else "女",
            "region": subject[:6],
        }
