"""Demo 12345 (``make run``): the hotline centre of 岳阳市 (``jiexian``) with its knowledge base
and four months of tickets in every state — consultations answered on the spot, complaints,
reports, help, suggestions and 办不成事 from the phone, the portal, the 办不成事 window and
letters, dispatched to the city's departments that have 12345 handlers, some returned (退单),
reassigned, paused, extended, merged, sent back, revisited and rated; some late, so the
red/yellow card ledger has cards. Plus 张三's ticket, finished and waiting for his rating, an
anonymous 举报 followed by number and a known lookup code, and three complaints about one
item within 30 days (the recurrence check).

Everything goes through the real functions (``intake.file``, ``service.*``, ``merging.merge``)
at past moments, replayed in time order with the clock scan run every six hours of the
replay (``clocks.scan.scan``), so cards are written where the clocks really crossed. Safe to
repeat: articles are matched by title, the generated history by its callers' phone prefix,
the two named tickets by their content.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
import time

from django.db.models import Count
from django.utils import timezone

from onething.accounts.models import StaffRole, User
from onething.clocks import scan
from onething.directory.models import Hall, Region
from onething.hotline import intake, merging, service
from onething.hotline.models import Article, Card, Extension, Ticket

CITY = "430600"
DISTRICTS = {"430602": "岳阳楼区洞庭路", "430626": "平江县天岳大道", "430600": "岳阳市南湖大道"}
HISTORY_DAYS = 120
HISTORY_TICKETS = 130
PHONE_PREFIX = "15973"  # the generated callers: how a second run knows the history exists
SCAN_EVERY = dt.timedelta(hours=6)
OPERATOR, HANDLER, CALLER = {"operator"}, {"handler"}, {"caller"}
HANDLERS = ("chengban_shichang", "chengban_renshe", "chengban_gongan", "chengban_weijian")
RECURRING_ITEM = "430600-SCJG-0102-01"  # 个体工商户设立登记
ZHANGSAN_CONTENT = "孩子出生后办理社会保障卡，网上提交后一直显示“审核中”，请帮忙催办。"
ANONYMOUS_CONTENT = "举报平江县天岳大道一家诊所无《医疗机构执业许可证》擅自开展输液治疗。"
#: the anonymous report's lookup code (shown once at intake; fixed here so testers can follow it)
ANONYMOUS_CODE = "DEMO23"

ARTICLES = [
    (
        "12345热线受理范围",
        "12345政务服务便民热线受理企业和群众对经济调节、市场监管、社会管理、公共服务、生态环境保护"
        "等方面的咨询、求助、投诉、举报和意见建议。\n不受理：已进入诉讼、仲裁、纪检监察、行政复议、"
        "信访程序的事项（告知对应渠道）；涉及国家秘密、商业秘密、个人隐私的事项。\n"
        "办结时限：咨询2个工作日，求助、投诉、举报、建议5个工作日；办不成事普通2个、复杂5个工作日。",
        "受理范围 不予受理 时限 12345",
        "",
    ),
    (
        "社会保障卡补办",
        "社保卡丢失请先拨打 0730-12333 或在“湘税社保”APP挂失。补办可在各银行社保卡服务网点或"
        "岳阳市政务服务中心人社窗口办理，携带本人身份证；即时制卡网点当场领卡，其他网点约10个工作日。"
        "新生儿首次申领随“新生儿出生一件事”一并办理。",
        "社保卡 补办 挂失 丢失 社会保障卡",
        "430600-RS-2002-01",
    ),
    (
        "新生儿出生“一件事”怎么办",
        "在平台“新生儿出生一件事”一次提交：出生医学证明、出生登记（户口）、预防接种证、医保参保、"
        "社会保障卡申领。准备：父母身份证、结婚证、出生医学证明（医院出具）。网上提交后，"
        "户口登记一般3个工作日内办结，结果可邮寄。父母一方非本地户籍的，回答引导问题后按提示补充材料。",
        "新生儿 出生 一件事 户口 出生医学证明 接种证",
        "430600-GA-0701-01",
    ),
    (
        "个体工商户开业登记",
        "个体工商户设立登记可在平台网上申请或到市场监管窗口办理，材料：经营者身份证、经营场所使用证明"
        "（租赁合同或房产证明）。材料齐全的当场办结，免费领取营业执照；经营食品的还需办理食品经营许可。",
        "个体工商户 开业 营业执照 设立登记 个体户",
        "430600-SCJG-0102-01",
    ),
    (
        "住房公积金提取",
        "购房、租房、退休、离职等情形可提取住房公积金。租房提取每年一次，在“岳阳公积金”APP或"
        "市住房公积金管理中心窗口办理，携带身份证和银行卡；购房提取另需购房合同和发票。"
        "到账时间一般为3个工作日。",
        "公积金 提取 租房 购房 住房公积金",
        "",
    ),
    (
        "办不成事反映渠道",
        "在窗口遇到“办不成”的事，可到岳阳市政务服务中心一楼“办不成事”反映窗口当面反映，也可拨打"
        "12345或在平台“我要反映”网上提交。窗口登记后生成工单，普通事项2个工作日、复杂事项5个工作日内"
        "给出办理结果或明确答复，全程可凭工单编号和查询码查询。",
        "办不成事 反映 窗口 兜底",
        "",
    ),
    (
        "居民身份证换领",
        "身份证有效期满前3个月可换领，到户籍所在地或居住地公安机关户籍窗口办理，现场采集照片和指纹，"
        "约15个工作日取证，可申请邮寄。急需乘机的可在派出所开具临时身份证明。",
        "身份证 换领 到期 补领 临时身份证",
        "430600-GA-0703-01",
    ),
    (
        "预防接种证补办",
        "预防接种证遗失，到孩子建档的社区卫生服务中心或乡镇卫生院预防接种门诊补办，携带孩子户口簿"
        "或出生医学证明，接种记录按信息系统补录，当场办结。",
        "接种证 预防接种 疫苗 补办",
        "430600-WJ-2002-01",
    ),
]

#: what callers say, by department (username of its 12345 handler) and category; ``{a}`` the address
SAYINGS = {
    "chengban_shichang": [
        ("complaint", "在{a}的超市买到过期牛奶，商家拒绝退换，请处理。", "430600-SCJG-0103-01"),
        ("report", "举报{a}一家餐馆无证经营，后厨卫生很差。", ""),
        ("consult", "个体工商户营业执照能不能网上办？需要哪些材料？", "430600-SCJG-0102-01"),
        ("suggestion", "建议在{a}夜市设立消费投诉公示牌。", ""),
        ("not_done", "在窗口办理企业变更登记，被要求提供已取消的证明材料，没办成。", "430600-SCJG-0104-01"),
        ("help", "网上开的店被冒用营业执照信息，想请市场监管部门帮忙核实。", ""),
    ],
    "chengban_renshe": [
        ("consult", "社保卡丢失了怎么补办？", "430600-RS-2002-01"),
        ("complaint", "{a}一家公司拖欠工资三个月，多次讨要无果。", ""),
        ("help", "失业保险金申领已审核通过，一个月了还没到账。", ""),
        ("not_done", "办理企业职工正常退休审批，窗口说档案缺材料，跑了两次没办成。", "430600-RS-0701-01"),
        ("suggestion", "建议养老保险待遇申领增加网上办理。", "430600-RS-0501-01"),
    ],
    "chengban_gongan": [
        ("consult", "新生儿户口登记需要带什么材料？", "430600-GA-0701-01"),
        ("complaint", "{a}小区门口车辆长期乱停，堵塞消防通道。", ""),
        ("not_done", "身份证换领在派出所排队两次，都说系统维护，没办成。", "430600-GA-0703-01"),
        ("help", "老人走失，家属请求协助查找。", ""),
        ("report", "举报{a}夜间有人非法改装车辆噪音扰民。", ""),
    ],
    "chengban_weijian": [
        ("complaint", "{a}附近医院挂号排队时间太长，线上号源很少。", ""),
        ("consult", "预防接种证丢了，到哪里补办？", "430600-WJ-2002-01"),
        ("report", "举报{a}一家诊所无资质开展医美项目。", ""),
        ("not_done", "办理出生医学证明，医院要求开具无法提供的证明，没办成。", "430600-WJ-2001-01"),
        ("suggestion", "建议社区卫生服务中心周末开放预防接种门诊。", ""),
    ],
}
NAMES = list("刘陈王赵孙周吴郑李黄何罗彭谢邓")
REPLIES = {
    "consult": "已电话告知办理流程和所需材料，来电人表示清楚。",
    "help": "已联系相关经办机构核实并协调处理，来电人诉求已解决。",
    "complaint": "经现场核查情况属实，已责令整改并告知来电人处理结果。",
    "report": "已组织执法人员现场检查，依法立案查处，结果已告知。",
    "suggestion": "感谢建议，已纳入下一步工作计划研究落实。",
    "not_done": "已协调窗口按现行规定受理，当日办结，并对窗口人员进行了提醒。",
}


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _departments() -> dict[str, str]:
    """Handler username → the USCC of the department it works for."""
    out = {}
    for username in HANDLERS:
        role = (
            StaffRole.objects.filter(user__username=username, role=StaffRole.HOTLINE_HANDLER)
            .select_related("department")
            .first()
        )
        if role is not None:
            out[username] = role.department_id
    return out


def _articles(operator: User) -> list[str]:
    city = Region.objects.get(code=CITY)
    made = 0
    for title, body, keywords, item_code in ARTICLES:
        _, created = Article.objects.get_or_create(
            title=title,
            region=city,
            defaults={"body": body, "keywords": keywords, "item_code": item_code, "updated_by": operator},
        )
        made += created
    return [f"12345知识库：{len(ARTICLES)} 篇（新建 {made} 篇）"] if made else []


# ------------------------------------------------------------------------------ the replay


class Replay:
    """Steps of many tickets replayed in time order, with the clock scan every six hours."""

    def __init__(self, now: dt.datetime, operator: User, departments: dict[str, str]):
        self.now, self.operator, self.departments = now, operator, departments
        self.handlers = {username: _user(username) for username in departments}
        self.queue: list = []
        self.sequence = 0
        self.numbers: dict[str, str] = {}  # ticket key → number
        self.scans = 0

    def add(self, key: str, at: dt.datetime, action, *args) -> None:
        at = min(at, self.now - dt.timedelta(minutes=5))
        self.sequence += 1
        heapq.heappush(self.queue, (at, self.sequence, key, action, args))

    def run(self, start: dt.datetime) -> None:
        next_scan = start + SCAN_EVERY
        while self.queue:
            at, _, key, action, args = heapq.heappop(self.queue)
            while next_scan <= at:
                scan.scan(next_scan)
                self.scans += 1
                next_scan += SCAN_EVERY
            action(self, key, at, *args)
        scan.scan(self.now)
        self.scans += 1


def _file(replay: Replay, key: str, at: dt.datetime, data: dict, role: str, actor) -> None:
    data = {**data, "received_at": at}
    hall = Hall.objects.filter(code="yueyang-city-hall").first() if role == "window" else None
    filed = intake.file(data, actor=actor, role=role, hall=hall, now=at)
    replay.numbers[key] = filed.ticket.number


def _act(replay: Replay, key: str, at: dt.datetime, name: str, who: str, kwargs: dict) -> None:
    number = replay.numbers[key]
    if who == "operator":
        actor, roles = replay.operator, OPERATOR
    elif who == "caller":
        actor, roles = Ticket.objects.get(number=number).caller, CALLER
    elif who == "ducha":
        actor, roles = _user("ducha") or replay.operator, {"supervisor"}
    else:
        actor, roles = replay.handlers[who], HANDLER
    if name == "merge":
        members = [replay.numbers[k] for k in kwargs["members"]]
        merging.merge(number, members, actor, roles=roles, reason="同一事项，合并办理", now=at)
    elif name == "decide_extension":
        pending = Extension.objects.get(ticket__number=number, status=Extension.Status.PENDING)
        service.decide_extension(pending, actor, roles=roles, now=at, **kwargs)
    else:
        getattr(service, name)(number, actor, roles=roles, now=at, **kwargs)


def _script(rng: random.Random, category: str, age_days: float, late: bool, anonymous: bool) -> list:
    """What happens to one ticket: a final outcome chosen by age, then its steps as
    (hours after the previous step, action, who, kwargs); ``dept`` placeholders are filled in."""
    if category == "consult" and rng.random() < 0.5:
        return [(0.1, "resolve", "operator", {"reply": REPLIES["consult"], "source": "12345知识库"})]
    if age_days > 14:
        outcomes = {"closed": 75, "reopened": 5, "finished": 5, "answered": 3, "handling": 7, "waiting": 5}
    elif age_days > 4:
        outcomes = {"closed": 40, "finished": 15, "answered": 10, "handling": 18, "waiting": 8, "returned": 4}
        outcomes["dispatched"] = 5
    else:
        outcomes = {"dispatched": 22, "handling": 25, "answered": 12, "returned": 8, "waiting": 8}
        outcomes.update({"finished": 10, "received": 5})
    outcome = rng.choices(list(outcomes), weights=list(outcomes.values()))[0]
    if outcome == "received":
        return []
    steps: list = [(rng.uniform(8, 20) if late else rng.uniform(0.2, 0.8), "dispatch", "operator", {})]
    roll = rng.random()
    if roll < 0.12:  # 退单 accepted, then sent to the right department
        steps += [
            (rng.uniform(1, 5), "return_", "handler", {"reason": "该事项不属于本部门职责，请改派"}),
            (rng.uniform(0.5, 2), "accept_return", "operator", {"reason": "同意退单，重新派单"}),
            (rng.uniform(0.2, 0.6), "dispatch", "operator", {"other": True}),
        ]
    elif roll < 0.18:  # 退单 refused
        steps += [
            (rng.uniform(1, 5), "return_", "handler", {"reason": "诉求人信息不全，无法办理"}),
            (rng.uniform(0.5, 2), "reject_return", "operator", {"reason": "联系方式已记录，请签收办理"}),
        ]
    elif roll < 0.23:  # 改派 by the centre
        steps.append((rng.uniform(1, 5), "reassign", "operator", {"other": True, "reason": "职责调整，改派"}))
    if outcome == "dispatched":
        return steps
    if outcome == "returned":
        return [steps[0], (rng.uniform(1, 8), "return_", "handler", {"reason": "不属于本部门职责范围"})]
    steps.append((rng.uniform(40, 80) if late else rng.uniform(1, 6), "sign", "handler", {}))
    if late and rng.random() < 0.5:
        steps.append((rng.uniform(24, 72), "supervise", "ducha", {"reason": "逾期未办结，请加快办理"}))
    if rng.random() < 0.1:
        steps.append(
            (
                rng.uniform(4, 20),
                "request_extension",
                "handler",
                {"days": 3, "reason": "需协调多个部门现场核查"},
            )
        )
        if outcome != "handling":
            approve = rng.random() < 0.7
            steps.append(
                (
                    rng.uniform(1, 8),
                    "decide_extension",
                    "operator",
                    {"approve": approve, "note_text": "" if approve else "理由不充分，请按期办结"},
                )
            )
    if outcome == "handling":
        return steps
    if outcome == "waiting" or rng.random() < 0.1:
        steps.append((rng.uniform(4, 30), "wait", "handler", {"reason": "请诉求人补充具体地址和照片"}))
        if outcome == "waiting":
            return steps
        steps.append((rng.uniform(24, 72), "resume", "handler", {}))
    answer = (rng.uniform(200, 300) if late else rng.uniform(20, 70), "answer", "handler", {"reply": None})
    steps.append(answer)
    if outcome == "answered":
        return steps
    if rng.random() < 0.1:
        steps += [
            (rng.uniform(2, 8), "send_back", "operator", {"reason": "答复未说明处理结果，请补充"}),
            (rng.uniform(8, 30), "answer", "handler", {"reply": None}),
        ]
    steps.append((rng.uniform(1, 6), "finish", "operator", {}))
    if outcome == "finished":
        return steps
    if anonymous:
        return [*steps, (rng.uniform(2, 20), "archive", "operator", {"reason": "匿名举报，无法回访"})]
    if outcome == "reopened":
        steps += [
            (
                rng.uniform(8, 30),
                "revisit",
                "operator",
                {"satisfaction": "unsatisfied", "note_text": "问题未解决"},
            ),
            (rng.uniform(24, 60), "answer", "handler", {"reply": None}),
            (rng.uniform(1, 6), "finish", "operator", {}),
        ]
    satisfaction = rng.choices(["satisfied", "basic", "unsatisfied"], weights=[70, 22, 8])[0]
    if satisfaction == "unsatisfied":
        satisfaction = "basic"  # a closed outcome; 不满意 reopens (above)
    steps.append(
        (rng.uniform(8, 30), "revisit", "operator", {"satisfaction": satisfaction, "note_text": "已回访"})
    )
    return steps


def _schedule(replay: Replay, rng: random.Random, key: str, received: dt.datetime, saying, late: bool):
    username, category, content, item = saying
    district = rng.choice(list(DISTRICTS))
    channel = rng.choices(["hotline", "web", "mobile", "window", "letter"], weights=[62, 10, 12, 8, 8])[0]
    if channel == "window" and category != "not_done":
        channel = "hotline"
    data = {
        "category": category,
        "complexity": rng.choice(["ordinary", "complex"]) if category == "not_done" else "ordinary",
        "channel": channel,
        "content": content.format(a=DISTRICTS[district]),
        "region": district,
        "caller": {"name": f"{rng.choice(NAMES)}先生", "phone": f"{PHONE_PREFIX}{rng.randrange(10**6):06d}"},
    }
    if item and category in ("not_done", "complaint"):
        data["item"] = item
    anonymous = category == "report" and rng.random() < 0.3
    if anonymous:
        data["anonymous"] = True
        data.pop("caller")
    role, actor = "operator", replay.operator
    if channel == "window":
        role, actor = "window", _user("chuangkou") or replay.operator
        if actor is replay.operator:
            role = "operator"
    if rng.random() < 0.03 and not anonymous:
        data["redirect"] = rng.choice(["litigation", "petition", "arbitration"])
        replay.add(key, received, _file, data, role, actor)
        return
    replay.add(key, received, _file, data, role, actor)
    age_days = (replay.now - received).total_seconds() / 86400
    steps = _script(rng, category, age_days, late, anonymous)
    _plan(replay, rng, key, received, steps, username, category)


def _plan(replay, rng, key, received, steps, username, category, rate_score=None) -> None:
    """Queue a ticket's steps at their moments, squeezed into the time left before now."""
    total = sum(hours for hours, *_ in steps)
    available = (replay.now - received).total_seconds() / 3600 - 0.2
    factor = min(1.0, available / total) if total else 1.0
    departments = list(replay.departments)
    holder = username
    at = received
    for hours, name, who, kwargs in steps:
        at = at + dt.timedelta(hours=hours * factor)
        kwargs = dict(kwargs)
        if kwargs.pop("other", False):
            holder = rng.choice([d for d in departments if d != holder])
            kwargs["department"] = replay.departments[holder]
        elif name == "dispatch":
            kwargs["department"] = replay.departments[holder]
        if "reply" in kwargs and kwargs["reply"] is None:
            kwargs["reply"] = REPLIES[category]
        replay.add(key, at, _act, name, holder if who == "handler" else who, kwargs)
    if steps and steps[-1][1] == "revisit" and rng.random() < 0.5 and rate_score is None:
        rate_score = rng.choices([5, 4, 3, 2, 1], weights=[50, 25, 12, 8, 5])[0]
    if rate_score is not None:
        comment = "答复敷衍，问题没有解决" if rate_score <= 2 else rng.choice(["处理及时", "", "态度很好"])
        replay.add(key, at + dt.timedelta(hours=2 * factor), _rate, rate_score, comment)


def _rate(replay: Replay, key: str, at: dt.datetime, score: int, comment: str) -> None:
    number = replay.numbers[key]
    service.rate(number, None, roles=CALLER, score=score, comment=comment, now=at)


def _history(replay: Replay, rng: random.Random) -> None:
    sayings = [(u, *s) for u, items in SAYINGS.items() if u in replay.departments for s in items]
    start = replay.now - dt.timedelta(days=HISTORY_DAYS)
    for n in range(HISTORY_TICKETS):
        age = HISTORY_DAYS * rng.random() ** 2  # more of the recent days
        day = timezone.localtime(replay.now - dt.timedelta(days=age))
        received = day.replace(hour=rng.randrange(8, 21), minute=rng.randrange(60))
        if received >= replay.now - dt.timedelta(minutes=30):
            received = replay.now - dt.timedelta(minutes=rng.randrange(40, 600))
        received = max(received, start)
        _schedule(replay, rng, f"h{n}", received, rng.choice(sayings), late=rng.random() < 0.15)
    # two calls just taken, waiting to be dispatched
    for k in range(2):
        received = replay.now - dt.timedelta(minutes=20 + 15 * k)
        _schedule_only(replay, f"new{k}", received, rng, sayings)
    _merges(replay, rng)
    _recurring(replay)


def _schedule_only(replay, key, received, rng, sayings) -> None:
    _, category, content, _ = rng.choice(sayings)
    data = {
        "category": category,
        "channel": "hotline",
        "content": content.format(a=DISTRICTS["430602"]),
        "region": "430602",
        "caller": {"name": f"{rng.choice(NAMES)}女士", "phone": f"{PHONE_PREFIX}{rng.randrange(10**6):06d}"},
    }
    replay.add(key, received, _file, data, "operator", replay.operator)


def _merges(replay: Replay, rng: random.Random) -> None:
    """Two groups of calls about one matter, merged: one long finished and revisited, one
    still being handled (its members waiting ``merged``)."""
    if "chengban_gongan" not in replay.departments:
        return
    content = "{a}十字路口红绿灯损坏，早晚高峰车辆拥堵。"
    for g, (days, done) in enumerate(((40, True), (2, False))):
        received = timezone.localtime(replay.now - dt.timedelta(days=days)).replace(hour=8, minute=10)
        keys = [f"m{g}-{k}" for k in range(3)]
        for k, key in enumerate(keys):
            data = {
                "category": "complaint" if k == 0 else "help",
                "channel": "hotline",
                "content": content.format(a=DISTRICTS["430602"]),
                "region": "430602",
                "caller": {"name": f"{NAMES[k]}先生", "phone": f"{PHONE_PREFIX}9{g}{k}000"},
            }
            replay.add(key, received + dt.timedelta(minutes=25 * k), _file, data, "operator", replay.operator)
        steps = [
            (0.3, "dispatch", "operator", {}),
            (1.0, "merge", "operator", {"members": keys[1:]}),
            (2.0, "sign", "handler", {}),
        ]
        if done:
            steps += [
                (30, "answer", "handler", {"reply": "已联系交警部门更换信号灯，路口通行恢复正常。"}),
                (3, "finish", "operator", {}),
                (20, "revisit", "operator", {"satisfaction": "satisfied", "note_text": "已回访，满意"}),
            ]
            for key in keys[1:]:  # members are revisited on their own
                replay.add(
                    key,
                    received + dt.timedelta(hours=60),
                    _act,
                    "revisit",
                    "operator",
                    {"satisfaction": "satisfied", "note_text": "已回访，满意"},
                )
        _plan(replay, rng, keys[0], received, steps, "chengban_gongan", "complaint")


def _recurring(replay: Replay) -> None:
    """Three complaints about one item within 30 days (``recurrences.check`` at intake)."""
    if "chengban_shichang" not in replay.departments:
        return
    for k, (days, outcome) in enumerate(((18, "closed"), (11, "answered"), (4, "handling"))):
        key = f"r{k}"
        received = timezone.localtime(replay.now - dt.timedelta(days=days)).replace(hour=10, minute=5)
        data = {
            "category": "complaint",
            "channel": "hotline",
            "content": "办理个体工商户设立登记，窗口要求提供经营场所产权证明原件，租赁合同不被认可。",
            "region": "430602",
            "item": RECURRING_ITEM,
            "caller": {"name": f"{NAMES[k + 5]}女士", "phone": f"{PHONE_PREFIX}8{k}0000"},
        }
        replay.add(key, received, _file, data, "operator", replay.operator)
        steps = [(0.4, "dispatch", "operator", {}), (2, "sign", "handler", {})]
        if outcome != "handling":
            steps.append((30, "answer", "handler", {"reply": None}))
        if outcome == "closed":
            steps += [
                (3, "finish", "operator", {}),
                (20, "revisit", "operator", {"satisfaction": "basic", "note_text": "已回访"}),
            ]
        _plan(replay, random.Random(k), key, received, steps, "chengban_shichang", "complaint")


# ------------------------------------------------------------------------------ named tickets


def _zhangsan(now: dt.datetime, operator: User, departments: dict[str, str]) -> list[str]:
    zhangsan = _user("zhangsan")
    if zhangsan is None or "chengban_renshe" not in departments:
        return []
    ticket = Ticket.objects.filter(caller=zhangsan, content=ZHANGSAN_CONTENT).first()
    if ticket is None:
        at = now - dt.timedelta(days=4)
        data = {"category": "help", "channel": "mobile", "content": ZHANGSAN_CONTENT, "region": "430602"}
        ticket = intake.file(data, actor=zhangsan, role="caller", now=at).ticket
        handler = _user("chengban_renshe")
        dept = departments["chengban_renshe"]
        service.dispatch(ticket, operator, roles=OPERATOR, department=dept, now=at + dt.timedelta(minutes=20))
        service.sign(ticket, handler, roles=HANDLER, now=at + dt.timedelta(hours=2))
        reply = "经核实，您的社会保障卡申领材料已审核通过，卡片已制作，可到岳阳楼区人社服务窗口领取。"
        service.answer(ticket, handler, roles=HANDLER, reply=reply, now=at + dt.timedelta(days=1))
        ticket = service.finish(ticket, operator, roles=OPERATOR, now=at + dt.timedelta(days=1, hours=3))
    return [f"张三的待评价12345工单：{ticket.number}（{ticket.get_status_display()}）"]


def _anonymous(now: dt.datetime, operator: User, departments: dict[str, str]) -> list[str]:
    if "chengban_weijian" not in departments:
        return []
    ticket = Ticket.objects.filter(anonymous=True, content=ANONYMOUS_CONTENT).first()
    if ticket is None:
        at = now - dt.timedelta(days=3)
        data = {
            "category": "report",
            "channel": "hotline",
            "content": ANONYMOUS_CONTENT,
            "region": "430626",
            "anonymous": True,
        }
        ticket = intake.file(data, actor=operator, role="operator", now=at).ticket
        # the lookup code is shown once at intake; the demo's is fixed so it can be followed
        Ticket.objects.filter(pk=ticket.pk).update(
            lookup_hash=intake.lookup_hash(ticket.number, ANONYMOUS_CODE)
        )
        dept = departments["chengban_weijian"]
        service.dispatch(ticket, operator, roles=OPERATOR, department=dept, now=at + dt.timedelta(minutes=30))
        handler = _user("chengban_weijian")
        ticket = service.sign(ticket, handler, roles=HANDLER, now=at + dt.timedelta(hours=3))
    return [f"匿名举报：{ticket.number}，查询码 {ANONYMOUS_CODE}（{ticket.get_status_display()}）"]


def create_demo_hotline() -> list[str]:
    operator = _user("jiexian")
    if operator is None:
        return []
    departments = _departments()
    now = timezone.now()
    lines = _articles(operator)
    started = time.perf_counter()
    if departments and not Ticket.objects.filter(caller_phone__startswith=PHONE_PREFIX).exists():
        rng = random.Random(12345)
        replay = Replay(now, operator, departments)
        _history(replay, rng)
        replay.run(now - dt.timedelta(days=HISTORY_DAYS))
        states = dict(Ticket.objects.values_list("status").annotate(n=Count("pk")).order_by())
        cards = dict(Card.objects.values_list("level").annotate(n=Count("pk")).order_by())
        lines.append(
            f"生成12345演示工单 {len(replay.numbers)} 件（{len(states)} 种状态），"
            f"黄牌 {cards.get('yellow', 0)} 张、红牌 {cards.get('red', 0)} 张，"
            f"用时 {time.perf_counter() - started:.1f} 秒"
        )
    lines += _zhangsan(now, operator, departments)
    lines += _anonymous(now, operator, departments)
    return lines
