"""A crawl per demo role: from the home page (and the role's workplace), every link of every
page the role can reach answers 200, a redirect within the site, or a proper Chinese 403/404
page — never a 500 or a debug page — and no page shows English words outside codes.

The site's own pages only (same origin, GET, HTML); downloads (PDF, Excel, files) are
requested once and must not fail. Admin pages are Django's and out of scope."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.test import Client

from onething.accounts.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROLES = [None, "zhangsan", "lisi", "chuangkou", "shenpi_weijian", "ducha"]
#: pages a crawl does not follow: Django's admin, the API (JSON; fuzzed elsewhere), the docs UI
SKIP = ("/admin/", "/api/", "/static/", "/logout/")
#: a bound that only a loop in the site's links would reach
MAX_PAGES = 5000
#: downloads (PDF, Excel, stored files) are fetched once per kind of link, not once per case
DOWNLOAD = re.compile(r"\.(pdf|xlsx|png|jpe?g)$|/materials/|/results/")
#: the same page with other query values (answers, search words): a few per page and parameters
QUERY_VARIANTS = 3
#: the guidance pages (with their answer variants) and search results are the same for everyone
#: but the header: the anonymous crawl walks all of them; a signed-in role one page of each
#: kind — its header on those pages is checked without walking every guide six times. (Item and
#: bundle pages stay whole for everyone: they lead each role to its 在线申请 forms.)
PUBLIC = ("/guide/", "/search/")
#: words allowed in Latin letters: file formats, units, standards, product names, codes
ALLOWED = {
    "pdf", "jpeg", "jpg", "png", "excel", "xlsx", "json", "api", "openapi", "mb", "kb", "qr",
    "gb", "id", "sms", "ofd", "app", "ip", "url", "ca", "vs", "ems", "uscc", "no",
}  # fmt: skip
WORD = re.compile(r"[A-Za-z]{2,}")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style", "code", "kbd", "samp"):
            self._skip += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code", "kbd", "samp") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _english(text: str) -> list[str]:
    words = []
    for token in re.split(r"\s+", text):
        # codes: anything with a digit, a dash or a dot in it (430600-YJS-XSECS, v1.2, e.g. ab12)
        if not token or re.search(r"[0-9\-./_:@]", token):
            continue
        words += [w for w in WORD.findall(token) if w.lower() not in ALLOWED and not w.isupper()]
    return words


def _shape(parts, signed_in: bool = False) -> str | None:
    """What makes links alike: a download's path with its codes blanked, or a page's path with
    the names of its query parameters (for a signed-in role in the public catalog, with its
    codes blanked too). ``None``: a plain page, always followed."""
    if DOWNLOAD.search(parts.path) or (signed_in and parts.path.startswith(PUBLIC)):
        return re.sub(r"[^/]*[0-9][^/]*", "{}", parts.path)
    if parts.query:
        names = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&")})
        return parts.path + "?" + "&".join(names)
    return None


def _client(username):
    client = Client()
    if username:
        client.force_login(User.objects.get(username=username))
    return client


@pytest.mark.parametrize("username", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_every_reachable_link_answers_properly(demo, username, settings):
    settings.DEBUG = False
    client = _client(username)
    start = ["/"] + (["/cases/"] if username else [])
    queue, seen, problems = deque(start), set(start), []
    shapes: dict[str, int] = {}
    pages = 0
    while queue and pages < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        pages += 1
        status = response.status_code
        kind = response.get("Content-Type", "")
        if status >= 500:
            problems.append(f"{url}: {status}")
            continue
        if status in (301, 302, 303):
            target = urljoin(url, response["Location"])
            if urlsplit(target).netloc not in ("", "testserver"):
                problems.append(f"{url}: redirects off the site to {target}")
            continue
        if not kind.startswith("text/html"):
            continue
        body = response.content.decode()
        if "Traceback" in body or "DEBUG = True" in body or "Using the URLconf" in body:
            problems.append(f"{url}: debug page")
        if status in (403, 404) and not re.search(r"[\u4e00-\u9fff]{4,}", body):
            problems.append(f"{url}: {status} without a Chinese page")
        parser = _Page()
        parser.feed(body)
        english = _english(" ".join(parser.text))
        if english:
            problems.append(f"{url}: English text {sorted(set(english))[:8]}")
        if status != 200:
            continue
        for href in parser.links:
            link, _ = urldefrag(urljoin(url, href))
            parts = urlsplit(link)
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path in seen or path.startswith(SKIP) or not path.startswith("/"):
                continue
            shape = _shape(parts, signed_in=username is not None)
            if shape is not None:
                shapes[shape] = shapes.get(shape, 0) + 1
                once = DOWNLOAD.search(parts.path) or (username and parts.path.startswith(PUBLIC))
                if shapes[shape] > (1 if once else QUERY_VARIANTS):
                    continue
            seen.add(path)
            queue.append(path)
    assert not problems, "\n".join(problems)
    assert pages > 10 and not queue  # the crawl reached the site, and all of it
