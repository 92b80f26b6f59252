"""Template context for every page: the signed-in person's unread count for the header.

Lazy: the count query runs only on a page that shows it, once per page, and reads at most
100 entries of the unread index (the header says "99+" beyond that).
"""

from django.utils.functional import SimpleLazyObject

from onething.notifications import inbox


def unread(request):
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {"UNREAD_NOTIFICATIONS": ""}
    return {"UNREAD_NOTIFICATIONS": SimpleLazyObject(lambda: inbox.badge(user))}
