"""Citizen portal pages: status, key content, 404s, privacy, CSP-safe HTML."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

BUNDLE = "430602-YJS-QYZX"  # 企业注销一件事 (岳阳楼区)
BIRTH = "430600-YJS-XSECS"  # 新生儿出生一件事
ITEM = "430600-WJ-2001-01"  # 出生医学证明办理
DEPARTMENT = "11430600MB06000535"  # 岳阳市卫生健康委员会
ID_NUMBER = "430602199001011234"
PHONE = "13912345678"

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)


def html_of(response) -> str:
    return response.content.decode()


def assert_csp_safe(response) -> str:
    """CSP header present and strict; no inline script, style attribute or inline handler."""
    policy = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy and "style-src 'self'" in policy, policy
    html = html_of(response)
    assert not INLINE_SCRIPT.findall(html), INLINE_SCRIPT.findall(html)
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert "hx-on" not in html
    assert "//cdn" not in html and "https://" not in html.split("<body", 1)[0]
    return html


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response


@pytest.fixture
def citizen(make_user):
    return make_user("zhang_san", real_name="张三", id_number=ID_NUMBER, phone=PHONE)


# ----------------------------------------------------------------------------- base layout


def test_base_layout_and_accessibility(client, demo):
    html = assert_csp_safe(get(client, "/"))
    assert '<html lang="zh-CN">' in html
    assert 'name="viewport"' in html
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles":false}'>""" in html
    assert re.search(r'<script src="/static/web/vendor/htmx\.min\.js" defer></script>', html)
    assert '<a class="skip" href="#main">跳到正文</a>' in html
    for landmark in ("<header", '<nav class="nav" aria-label="主导航">', '<main id="main"', "<footer"):
        assert landmark in html
    assert 'href="/" aria-current="page">首页' in html
    assert ">登录</a>" in html
    assert "我的办件" not in html and "工作台" not in html
    # every input has a label
    for input_id in re.findall(r'<input id="([^"]+)"', html):
        assert f'<label for="{input_id}"' in html, input_id


def test_nav_for_citizen_and_staff(client, citizen, make_user):
    client.force_login(citizen)
    html = html_of(get(client, "/"))
    assert "我的办件" in html and "工作台" not in html and "退出" in html
    staff = make_user("web_nav_staff_test", is_staff=True)
    client.force_login(staff)
    html = html_of(get(client, "/bundles/"))
    assert "工作台" in html
    assert 'href="/bundles/" aria-current="page"' in html


def test_every_nav_entry_of_a_clerk_opens(client, demo):
    """Each link of the main navigation answers 200 for the person it is shown to."""
    import re

    from onething.accounts.models import User

    client.force_login(User.objects.get(username="chuangkou"))
    html = html_of(get(client, "/"))
    nav = html[html.index("<nav") : html.index("</nav>")]
    hrefs = re.findall(r'href="(/[^"]*)"', nav)
    assert "/cases/staff/" in hrefs
    for href in hrefs:
        assert client.get(href, follow=True).status_code == 200, href


def test_vendored_assets_exist():
    from django.contrib.staticfiles import finders

    for name in ("htmx.min.js", "echarts.min.js", "htmx.LICENSE", "echarts.LICENSE", "README.md"):
        assert finders.find(f"web/vendor/{name}"), name
    css = finders.find("web/portal.css")
    text = open(css, encoding="utf-8").read()  # noqa: SIM115
    for cls in (
        ".badge-exempt",
        ".badge-bundle",
        ".result-list",
        ".card",
        ".tiles",
        ".stack",
        ".primary",
        ".link",
        "@media print",
        ".skip",
    ):
        assert cls in text, cls


# ----------------------------------------------------------------------------- home


def test_home(client, demo):
    html = assert_csp_safe(get(client, "/"))
    assert '<form class="search" role="search" method="get" action="/search/">' in html
    assert 'name="q"' in html
    for theme in (
        "生育",
        "教育",
        "就业",
        "婚姻",
        "住房",
        "退休",
        "身后",
        "社保",
        "户籍",
        "出行",
        "开办",
        "变更",
        "经营",
        "注销",
    ):
        assert f"/search/browse?theme={theme}" not in html  # URL-encoded
        assert f">{theme}</span></a>" in html
    assert "/search/browse?theme=%E7%94%9F%E8%82%B2" in html  # 生育
    assert "新生儿出生一件事" in html and f"/bundles/{BIRTH}/" in html
    assert re.search(r"涉及 <strong class=\"num\">6</strong> 个事项", html)
    assert "/departments/" in html and "项</span>" in html


# ----------------------------------------------------------------------------- item


def test_item_page_shows_all_standard_elements(client, demo):
    html = assert_csp_safe(get(client, f"/items/{ITEM}/"))
    for text in (
        "出生医学证明办理",
        ITEM,  # 实施编码
        "WJ2001",  # 基本编码
        "公共服务",  # 事项类型
        "岳阳市卫生健康委员会",
        "岳阳市",
        "市级",  # 行使层级
        "自然人",  # 服务对象
        "《中华人民共和国母婴保健法》",
        "在本省依法取得助产技术服务资质",
        "法律法规未规定办结时限",  # legal_limit 0
        "1 个工作日",
        "到办事现场次数",
        "无需现场核查",
        "全程网办",
        "跨省通办",
        "不收费",
        "出生医学证明",
        "受理",
        "审查",
        "居民身份证",
        "母子健康手册",
        "免提交",
        "父母双方",  # material note
        "新生儿姓名",  # form field
        "生育",  # theme
        "新生儿出生一件事",  # bundles it belongs to
    ):
        assert text in html, text
    assert f'href="/guide/items/{ITEM}/"' in html
    assert f'href="/api/v1/catalog/items/{ITEM}/guide.pdf"' in html
    assert "在线申请" in html
    assert 'data-label="原件"' in html


def test_instant_item_and_fee_and_cross_province(client, demo):
    from onething.catalog.publishing import current_many

    items = current_many("item").values()
    instant = next(i for i in items if i["promised_limit"] == 0)
    assert "即办件" in html_of(get(client, f"/items/{instant['code']}/"))
    charged = next(i for i in items if i.get("fee", {}).get("charged"))
    assert f"{charged['fee']['amount_yuan']:g} 元" in html_of(get(client, f"/items/{charged['code']}/"))
    cross = next(i for i in items if i.get("cross_province"))
    html = html_of(get(client, f"/items/{cross['code']}/"))
    assert "badge-cross" in html and "全程网办" in html


def test_conditional_material_described_with_bundle_question(client, demo):
    from onething.catalog.publishing import current_many

    item = next(
        i
        for i in current_many("item").values()
        if any(m.get("when") == {"==": [{"var": "parents_married"}, True]} for m in i["materials"])
    )
    html = html_of(get(client, f"/items/{item['code']}/"))
    assert "当‘父母是否已依法办理结婚登记？’为‘是’时提交" in html


# ----------------------------------------------------------------------------- bundle


def test_bundle_page(client, demo):
    html = assert_csp_safe(get(client, f"/bundles/{BUNDLE}/"))
    for text in (
        "企业注销一件事",
        "清税、社保注销",  # description
        "岳阳市岳阳楼区市场监督管理局",  # lead department
        "岳阳楼区",
        "是否适用简易注销",  # a question
        "清税证明开具",
        "社会保险注销登记",
        "住房公积金单位账户注销",
        "国家税务总局岳阳市岳阳楼区税务局",  # member department
        "当‘企业是否为职工参加了社会保险？’为‘是’时办理",
        "所有情形均需办理",
        "在‘清税证明开具’、‘社会保险注销登记’（如涉及）、‘住房公积金单位账户注销’（如涉及）、‘食品经营许可注销’（如涉及）办结后办理",
        "并联办理",
        "材料清单",
        "分别办理",
    ):
        assert text in html, text
    assert 'href="/items/430602-SW-0702-01/"' in html
    assert f'href="/guide/bundles/{BUNDLE}/"' in html
    assert f'href="/api/v1/catalog/bundles/{BUNDLE}/guide.pdf"' in html
    assert "最长 2 个工作日" in html  # longest path: 1 + 1 (no promised limit)


def test_bundle_with_choice_questions_and_in_condition(client, demo):
    html = html_of(get(client, "/bundles/430600-YJS-QYXXBG/"))
    assert "可选：名称 / 住所 / 法定代表人 / 注册资本 / 经营范围" in html
    assert "为‘名称’或‘住所’或‘法定代表人’" in html


def test_bundle_list(client, demo):
    html = assert_csp_safe(get(client, "/bundles/"))
    assert "个人一件事" in html and "企业（法人）一件事" in html
    assert html.count('class="card-title"') == 8


# ----------------------------------------------------------------------------- departments & regions


def test_department_list_and_page(client, demo):
    html = assert_csp_safe(get(client, "/departments/"))
    assert "岳阳市卫生健康委员会" in html and f"/departments/{DEPARTMENT}/" in html
    assert "湖南省" in html
    html = assert_csp_safe(get(client, f"/departments/{DEPARTMENT}/"))
    assert "岳阳市卫生健康委员会" in html
    assert f'href="/items/{ITEM}/"' in html
    assert "新生儿出生一件事" in html  # led bundle
    assert DEPARTMENT in html


def test_region_page(client, demo):
    html = assert_csp_safe(get(client, "/regions/430600/"))
    assert "岳阳市" in html and "湖南省" in html  # breadcrumb ancestor
    assert 'href="/regions/430626/"' in html  # child
    assert f'href="/items/{ITEM}/"' in html
    assert "新生儿出生一件事" in html
    html = html_of(get(client, "/regions/430626/"))
    assert "平江县" in html and "开办餐饮店一件事" in html


# ----------------------------------------------------------------------------- 404s


@pytest.mark.parametrize(
    "url",
    ["/items/NO-SUCH-ITEM/", "/bundles/NO-SUCH/", "/departments/NOPE/", "/regions/999999/", "/no/such/page/"],
)
def test_unknown_codes_are_friendly_404s(client, demo, url):
    response = get(client, url, status=404)
    html = html_of(response)
    assert "抱歉，没有找到这个页面" in html
    assert "返回首页" in html
    assert '<html lang="zh-CN">' in html


def test_unpublished_records_are_404(client, demo):
    from onething.catalog.models import Bundle, Item
    from onething.directory.models import Department

    department = Department.objects.get(pk=DEPARTMENT)
    Bundle.objects.create(code="DRAFT-BUNDLE", name="草稿中的一件事", lead_department=department)
    item = Item.objects.get(pk=ITEM)
    item.pk, item.code, item.name = "DRAFT-ITEM", "DRAFT-ITEM", "草稿中的事项"
    item.save(force_insert=True)
    for url in ("/bundles/DRAFT-BUNDLE/", "/items/DRAFT-ITEM/"):
        html = html_of(get(client, url, status=404))
        assert "草稿中的" not in html
    assert "草稿中的" not in html_of(get(client, f"/departments/{DEPARTMENT}/"))
    assert "草稿中的" not in html_of(get(client, "/"))


def test_post_is_not_allowed(client, demo):
    assert client.post(f"/bundles/{BUNDLE}/").status_code == 405


# ----------------------------------------------------------------------------- privacy


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/bundles/",
        f"/bundles/{BUNDLE}/",
        f"/items/{ITEM}/",
        "/departments/",
        "/regions/430600/",
        "/nope/",
    ],
)
def test_no_unmasked_personal_data(client, demo, citizen, url):
    client.force_login(citizen)
    html = html_of(client.get(url))
    assert "张三" in html  # the display name only
    assert ID_NUMBER not in html and PHONE not in html
    assert ID_NUMBER[:6] + "19900101" not in html


def test_login_page_labels_and_errors(client, demo):
    html = assert_csp_safe(get(client, "/login/"))
    assert '<label for="id_username">' in html and '<label for="id_password">' in html
    response = client.post("/login/", {"username": "nobody", "password": "wrong-password"})
    html = html_of(response)
    assert 'role="alert"' in html and 'aria-invalid="true"' in html


def test_bundle_page_figures_are_the_planners_widest_case(client, demo):
    """The portal shows the planner's numbers (the overview's widest case), not its own sums."""
    import re

    from onething.catalog import planner
    from onething.catalog.plans import load_bundle

    code = "430626-YJS-MBYEYKB"  # 民办幼儿园开办一件事: three licences, one joint inspection
    plan = planner.maximal_plan(*load_bundle(code))
    html = html_of(get(client, f"/bundles/{code}/"))
    before = re.search(r'<div class="before">.*?</dl>', html, re.S).group(0)
    after = re.search(r'<div class="after">.*?</dl>', html, re.S).group(0)
    figures = plan.reduction
    assert f"<dd>{figures.materials.separate} 份</dd>" in before
    assert f"<dd>{figures.materials.bundled} 份</dd>" in after
    assert f"<dd>{figures.days.separate} 个工作日</dd>" in before
    assert f"<dd>{figures.days.bundled} 个工作日</dd>" in after
    assert (figures.materials.separate, figures.materials.bundled) == (25, 13)
    assert html.count("badge-exempt") >= sum(1 for m in plan.materials if m.exempt)
