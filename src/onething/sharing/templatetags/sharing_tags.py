"""``{% sharing_nav as links %}``: the header's 数据共享 entries for the person signed in —
数据共享 for sharing staff (``access.is_sharing_staff``), 谁用了我的数据 for everyone else."""

from django import template

from onething.sharing import access

register = template.Library()


@register.simple_tag(takes_context=True)
def sharing_nav(context) -> list[dict]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return []
    path = getattr(request, "path", "")
    if access.is_sharing_staff(user):
        entries = [("/sharing/", "数据共享", not path.startswith("/sharing/me/"))]
    else:
        entries = [("/sharing/me/", "谁用了我的数据", True)]
    return [
        {"href": href, "label": label, "current": matches and path.startswith(href)}
        for href, label, matches in entries
    ]
