"""Synthetic provincial catalog for the search benchmark (imported by bench/search_bench.py).

About 1,000 basic items: the demo catalog's item names plus a list of common provincial item
names, each in several realistic variants (新办/变更/延续/注销/补证 …), implemented in 100
county-level regions by departments named after the region — 100,000 implementations and
800 bundles. No colloquial keywords, like a real provincial catalog.
"""

from __future__ import annotations

import json
from importlib import resources

# (name, department suffix, audience, themes) — typical items of a provincial 实施清单
EXTRA_ITEMS = [
    ("个人所得税综合所得汇算清缴", "税务局", "person", ["纳税"]),
    ("增值税一般纳税人登记", "税务局", "enterprise", ["经营"]),
    ("契税申报", "税务局", "both", ["住房"]),
    ("房产税申报", "税务局", "both", ["住房"]),
    ("车船税缴纳", "税务局", "both", ["出行"]),
    ("跨区域涉税事项报告", "税务局", "enterprise", ["经营"]),
    ("城乡居民基本养老保险参保登记", "人力资源和社会保障局", "person", ["社保", "退休"]),
    ("职工基本养老保险关系转移接续", "人力资源和社会保障局", "person", ["社保", "就业"]),
    ("失业保险金申领", "人力资源和社会保障局", "person", ["就业", "社保"]),
    ("就业创业证申领", "人力资源和社会保障局", "person", ["就业"]),
    ("工伤认定申请", "人力资源和社会保障局", "person", ["就业", "社保"]),
    ("劳动能力鉴定", "人力资源和社会保障局", "person", ["社保"]),
    ("职业技能等级证书查询", "人力资源和社会保障局", "person", ["就业"]),
    ("创业担保贷款申请", "人力资源和社会保障局", "both", ["就业", "开办"]),
    ("异地就医备案", "医疗保障局", "person", ["社保"]),
    ("门诊慢特病待遇认定", "医疗保障局", "person", ["社保"]),
    ("医疗费用手工报销", "医疗保障局", "person", ["社保"]),
    ("生育津贴支付", "医疗保障局", "person", ["生育", "社保"]),
    ("户口迁移", "公安局", "person", ["户籍", "住房"]),
    ("居住证申领", "公安局", "person", ["户籍"]),
    ("临时居民身份证申领", "公安局", "person", ["户籍"]),
    ("普通护照签发", "公安局", "person", ["出行"]),
    ("往来港澳通行证签发", "公安局", "person", ["出行"]),
    ("机动车注册登记", "公安局", "person", ["出行"]),
    ("机动车行驶证补领", "公安局", "person", ["出行"]),
    ("驾驶证期满换证", "公安局", "person", ["出行"]),
    ("离婚登记", "民政局", "person", ["婚姻"]),
    ("补领结婚证", "民政局", "person", ["婚姻"]),
    ("最低生活保障审批", "民政局", "person", ["救助"]),
    ("特困人员救助供养", "民政局", "person", ["救助"]),
    ("临时救助", "民政局", "person", ["救助"]),
    ("高龄津贴发放", "民政局", "person", ["退休"]),
    ("残疾人证办理", "残疾人联合会", "person", ["救助"]),
    ("困难残疾人生活补贴", "民政局", "person", ["救助"]),
    ("社会团体成立登记", "民政局", "both", ["开办"]),
    ("义务教育阶段入学登记", "教育局", "person", ["教育"]),
    ("中小学转学", "教育局", "person", ["教育"]),
    ("教师资格认定", "教育局", "person", ["教育", "就业"]),
    ("校外培训机构办学许可", "教育局", "enterprise", ["教育", "开办"]),
    ("学前教育资助", "教育局", "person", ["教育"]),
    ("国有建设用地使用权首次登记", "不动产登记中心", "both", ["住房"]),
    ("不动产抵押登记", "不动产登记中心", "both", ["住房"]),
    ("不动产更正登记", "不动产登记中心", "both", ["住房"]),
    ("存量房买卖合同网签备案", "住房和城乡建设局", "both", ["住房"]),
    ("商品房预售许可", "住房和城乡建设局", "enterprise", ["经营"]),
    ("建筑工程施工许可证核发", "住房和城乡建设局", "enterprise", ["经营"]),
    ("建设工程竣工验收备案", "住房和城乡建设局", "enterprise", ["经营"]),
    ("建设工程规划许可证核发", "自然资源和规划局", "enterprise", ["经营"]),
    ("住房公积金个人贷款", "住房公积金管理中心", "person", ["住房"]),
    ("住房公积金提取（购房）", "住房公积金管理中心", "person", ["住房"]),
    ("住房公积金提取（租房）", "住房公积金管理中心", "person", ["住房"]),
    ("药品零售企业经营许可", "市场监督管理局", "enterprise", ["开办", "经营"]),
    ("第二类医疗器械经营备案", "市场监督管理局", "enterprise", ["经营"]),
    ("食品生产许可", "市场监督管理局", "enterprise", ["开办", "经营"]),
    ("特种设备使用登记", "市场监督管理局", "enterprise", ["经营"]),
    ("农民专业合作社设立登记", "市场监督管理局", "enterprise", ["开办"]),
    ("对外贸易经营者备案登记", "商务局", "enterprise", ["经营"]),
    ("排污许可证核发", "生态环境局", "enterprise", ["经营"]),
    ("建设项目环境影响评价审批", "生态环境局", "enterprise", ["经营"]),
    ("取水许可", "水利局", "enterprise", ["经营"]),
    ("林木采伐许可证核发", "林业局", "both", ["经营"]),
    ("医师执业注册", "卫生健康局", "person", ["就业"]),
    ("护士执业注册", "卫生健康局", "person", ["就业"]),
    ("医疗机构执业登记", "卫生健康局", "enterprise", ["开办"]),
    ("再生育审批", "卫生健康局", "person", ["生育"]),
    ("独生子女父母光荣证办理", "卫生健康局", "person", ["生育"]),
    ("娱乐场所经营许可", "文化旅游广电局", "enterprise", ["开办", "经营"]),
    ("旅行社设立许可", "文化旅游广电局", "enterprise", ["开办"]),
    ("出版物零售单位设立", "文化旅游广电局", "enterprise", ["开办"]),
    ("道路运输从业人员从业资格证补发", "交通运输局", "person", ["就业", "出行"]),
    ("烟草专卖零售许可证核发", "烟草专卖局", "enterprise", ["开办", "经营"]),
    ("酒类商品零售许可", "商务局", "enterprise", ["经营"]),
]
VARIANTS = [
    "",
    "（新办）",
    "（变更）",
    "（延续）",
    "（注销）",
    "（补证）",
    "（换证）",
    "（迁移）",
    "（首次申请）",
]
SEATS = [
    "岳阳",
    "长沙",
    "株洲",
    "湘潭",
    "衡阳",
    "邵阳",
    "常德",
    "张家界",
    "益阳",
    "郴州",
    "永州",
    "怀化",
    "娄底",
    "湘西",
]
COUNTY_SYLLABLES = list("平临华宁安东西南北湘沅澧资浏醴攸茶炎祁耒常桂汝嘉新隆洞绥城步溆辰麻芷靖通会")


def demo() -> dict:
    text = resources.files("onething.catalog").joinpath("demo/demo-catalog.json").read_text("utf-8")
    return json.loads(text)


def regions(count: int = 100) -> list[dict]:
    """A province, 14 cities and ``count`` county-level regions, GB/T 2260 shaped codes."""
    out = [{"code": "430000", "name": "湖南省", "level": "province", "path": "430000", "parent": None}]
    cities = []
    for c, seat in enumerate(SEATS, start=1):
        code = f"43{c:02d}00"
        cities.append(code)
        out.append(
            {"code": code, "name": f"{seat}市", "level": "city", "path": f"430000/{code}", "parent": "430000"}
        )
    for n in range(count):
        city = cities[n % len(cities)]
        code = f"{city[:4]}{21 + n // len(cities):02d}"
        a = COUNTY_SYLLABLES[n % len(COUNTY_SYLLABLES)]
        b = COUNTY_SYLLABLES[(n * 7 + 3) % len(COUNTY_SYLLABLES)]
        name = f"{a}{b}{'县' if n % 3 else '区'}"
        out.append(
            {"code": code, "name": name, "level": "county", "path": f"430000/{city}/{code}", "parent": city}
        )
    return out


def basic_items(target: int = 1000) -> list[dict]:
    """About ``target`` basic items (name, department suffix, audience, themes, category)."""
    seen: dict[str, dict] = {}
    demo_doc = demo()
    department_names = {d["code"]: d["name"] for d in demo_doc["departments"]}
    bases = []
    for item in demo_doc["items"]:
        if item["basic_code"] in seen:
            continue
        seen[item["basic_code"]] = item
        department = department_names[item["department"]]
        suffix = department.split("区")[-1].split("县")[-1].split("市")[-1] or department
        bases.append((item["name"], suffix, item.get("audience", "both"), item.get("themes", [])))
    bases.extend(EXTRA_ITEMS)
    out = []
    for variant in VARIANTS:
        for n, (name, department, audience, themes) in enumerate(bases):
            if len(out) >= target:
                return out
            out.append(
                {
                    "basic_code": f"B{len(out):04d}",
                    "name": f"{name}{variant}",
                    "department": department,
                    "audience": audience,
                    "themes": list(themes),
                    "seq": n,
                }
            )
    return out
