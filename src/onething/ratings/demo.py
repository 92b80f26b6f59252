"""Demo 好差评 (``make run``): 张三 has a finished 新生儿出生 application waiting for his rating;
four months of services (cases decided by the departments' approvers, window visits at
岳阳市政务服务中心) were rated — some well, some badly, some not at all (defaulted after the
region's days) — and the 差评 are in every state of the loop: waiting for the return call,
being fixed, answered and waiting for the revisit, closed, reopened, and one under appeal.

Every service goes through the real functions (intake, the case lifecycle, the queue, the
rating service and the loop), at past moments, so the pages, figures and audit trail agree.
Safe to repeat: nothing is generated twice (the applications carry idempotency keys).
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from onething.accounts.demo import DEMO_PASSWORD
from onething.accounts.models import StaffRole, User
from onething.cases import intake, lifecycle
from onething.cases.models import Application, SubCase
from onething.directory.models import Department, Hall
from onething.halls import queue
from onething.halls.models import Ticket, WindowSession
from onething.kernel import codes
from onething.ratings import appeals, defaults, rectifications, service
from onething.ratings.access import roles_for
from onething.ratings.models import Rating, Rectification

BIRTH = "430600-YJS-XSECS"
BIRTH_ANSWERS = {
    "parents_local_hukou": False,
    "parents_married": True,
    "mother_insured": True,
    "want_social_card": False,
}
BIRTH_FORM = {
    "child": {"name": "张小宝", "birth_date": "2026-11-01", "gender": "男"},
    "mother": {"name": "王芳", "id_number": "430602199201011221"},
    "father": {"name": "张三", "id_number": "430602199001011235"},
    "bank": {"account": "6222020200112233445"},
    "applicant": {
        "phone": "13800000001",
        "address": "岳阳市岳阳楼区洞庭路1号",
        "name": "张三",
        "id_number": "430602199001011235",
    },
}
#: single items decided by the city's departments (their approvers are demo accounts)
ITEMS = [
    "430600-WJ-2001-01",
    "430600-YB-2001-01",
    "430600-RS-2002-01",
    "430600-SCJG-0102-01",
    "430600-GA-0701-01",
]
RESIDENTS = [
    ("jumin1", "刘一"),
    ("jumin2", "陈二"),
    ("jumin3", "王五"),
    ("jumin4", "赵六"),
    ("jumin5", "孙七"),
]
HISTORY_DAYS = 120
COMMENTS_GOOD = ["办理很快，工作人员很耐心", "网上提交很方便", "一次就办好了", ""]
COMMENTS_BAD = {
    "slow": "等了很久才办完，超过了承诺时间",
    "materials": "同样的材料提交了两次",
    "guide": "办事指南写的材料和窗口要求不一样",
    "attitude": "窗口人员解释不耐烦",
    "visits": "跑了两趟才办成",
}
SAMPLE = {
    "string": "测试",
    "text": "演示内容",
    "address": "岳阳市岳阳楼区洞庭路1号",
    "integer": 1,
    "decimal": "100",
    "boolean": True,
    "date": "2026-07-01",
    "phone": "13800000009",
    "region": "430602",
}


def _resident(username: str, name: str, n: int) -> User:
    first17 = f"43060219{85 + n:02d}0{n % 9 + 1}0{n % 9 + 1}{300 + n:03d}"
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "real_name": name,
            "id_number": first17 + codes.id_number_check_char(first17),
            "phone": f"1390000000{n}",
        },
    )
    if created:
        user.set_unusable_password()
        user.save()
    return user


def _form(plan, person: User) -> dict:
    out = {}
    for f in plan.form:
        kind = f.type
        if kind == "choice":
            out[f.element] = f.choices[0]
        elif kind == "id_number":
            out[f.element] = person.id_number
        elif f.element.endswith("name"):
            out[f.element] = person.real_name
        else:
            out[f.element] = SAMPLE.get(kind, "演示")
    return out


def _approver(department_id: str) -> User | None:
    role = StaffRole.objects.filter(role=StaffRole.APPROVER, department_id=department_id).first()
    return role.user if role else None


def _finished_case(
    person: User, kind: str, code: str, answers: dict, when: dt.datetime, key: str, channel: str, form=None
):
    """Submit, accept and decide a case at past moments, up to 结果已制作 (or 送达)."""
    existing = Application.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    clerk = User.objects.get(username="chuangkou")
    plan = intake.load_plan(kind, code, answers)
    while plan.open_questions:  # answer what the item asks (yes, or the first choice)
        asked = {q.id: q for q in plan.questions}
        for qid in plan.open_questions:
            q = asked.get(qid)
            answers[qid] = q.choices[0] if q is not None and q.type == "choice" and q.choices else True
        plan = intake.load_plan(kind, code, answers)
    if form is None:
        form = _form(plan, person)
    else:
        asked = {f.element for f in plan.form}
        form = {k: v for k, v in intake.flatten(form).items() if k in asked}
    at_window = channel == "window"  # filed by the clerk for the person, at the counter
    app = intake.submit(
        clerk if at_window else person,
        kind=kind,
        code=code,
        answers=answers,
        form=form,
        idempotency_key=key,
        now=when,
        channel=channel,
        on_behalf={"name": person.real_name, "id_number": person.id_number, "phone": person.phone}
        if at_window
        else None,
    ).application
    received = [m["material"] for m in app.plan["materials"] if not m["exempt"]]
    if not at_window:
        lifecycle.pre_review(app, clerk, now=when + dt.timedelta(hours=1))
    app = lifecycle.accept(
        Application.objects.get(pk=app.pk), clerk, now=when + dt.timedelta(hours=2), received=received
    )
    step = when + dt.timedelta(days=1)
    for _ in range(6):  # sub-cases unblock one another (after); decide whatever is open
        open_subs = list(SubCase.objects.filter(application=app, status=SubCase.Status.IN_REVIEW))
        if not open_subs:
            break
        for sub in open_subs:
            approver = _approver(sub.department_id)
            if approver is None:
                return None
            lifecycle.start_review(sub, approver, now=step)
            lifecycle.decide(
                SubCase.objects.get(pk=sub.pk),
                approver,
                decision="approved",
                reasons="符合条件",
                now=step + dt.timedelta(hours=1),
            )
        step += dt.timedelta(days=1)
    app = Application.objects.get(pk=app.pk)
    if app.status != Application.Status.DECIDED:
        return None
    lifecycle.result_ready(app, clerk, method="window", now=step)
    return Application.objects.get(pk=app.pk)


def _window_visit(hall: Hall, when: dt.datetime, id_number: str) -> Ticket | None:
    kiosk = User.objects.filter(username="quhao").first()
    session = (
        WindowSession.objects.filter(window__hall=hall, status__in=WindowSession.OPEN)
        .select_related("window", "clerk")
        .first()
    )
    if kiosk is None or session is None:
        return None
    queue.issue(kiosk, hall, "zonghe", id_number=id_number, now=when)
    called = queue.call_next(session.clerk, session.window, now=when + dt.timedelta(minutes=8))
    if called is None:
        return None
    return queue.finish(session.clerk, called.pk, now=when + dt.timedelta(minutes=20))


def _score(rng: random.Random) -> int:
    return rng.choices([5, 4, 3, 2, 1], weights=[55, 22, 10, 8, 5])[0]


def _rate(rng, person, *, application=None, ticket=None, channel, when):
    score = _score(rng)
    reason = rng.choice(list(COMMENTS_BAD)) if score <= 2 else ""
    indicators = {
        k: max(1, min(5, score + rng.choice([-1, 0, 0, 1])))
        for k in (
            ("overall", "service_efficiency", "service_level", "attitude")
            if channel == "window"
            else ("overall", "efficiency", "guide", "convenience", "operability")
        )
    }
    return service.rate(
        person,
        application=application,
        ticket=ticket,
        holder=ticket is not None,
        channel=channel,
        score=score,
        indicators=indicators,
        comment=COMMENTS_BAD.get(reason) or rng.choice(COMMENTS_GOOD),
        bad_reason=reason,
        now=when,
    )


def _work_loop(rng: random.Random) -> None:
    """Move the generated 差评 through the loop: the newest two wait for the return call, the
    next two are being fixed, the next two wait for the revisit, the older ones are closed
    (or reopened when the rater was not satisfied)."""
    now = timezone.now()
    rects = Rectification.objects.filter(status=Rectification.Status.VERIFYING).select_related("rating")
    for i, rect in enumerate(rects.order_by("-created_at")):
        worker = _worker(rect)
        if worker is None or i < 2:
            continue
        roles = roles_for(worker, rect)
        at = min(rect.created_at + dt.timedelta(hours=20), now - dt.timedelta(minutes=30))
        outcome = rng.choice(["fix", "fix", "plan", "explain"])
        plan = "更新办事指南并培训窗口人员" if outcome == "plan" else ""
        plan_due = timezone.localdate(now) + dt.timedelta(days=10) if outcome == "plan" else None
        note = "已电话回访评价人，核实情况属实"
        rect = rectifications.verify(
            rect, worker, roles=roles, note=note, outcome=outcome, plan=plan, plan_due=plan_due, now=at
        )
        if i < 4:
            continue  # being fixed
        at = min(
            at + dt.timedelta(days=rng.choice([2, 3, 4, 9])), now - dt.timedelta(minutes=20)
        )  # some late
        reply = "已按您的意见整改：办事指南已更正，窗口已加强解释。"
        rect = rectifications.answer(rect, worker, roles=roles, answer=reply, now=at)
        if i < 6:
            continue  # answered, waiting for the revisit
        at = min(at + dt.timedelta(days=1), now - dt.timedelta(minutes=10))
        satisfaction = "unsatisfied" if i == 6 else rng.choice(["satisfied", "satisfied", "basic"])
        note = "回访评价人，已告知整改结果"
        rectifications.revisit(rect, worker, roles=roles, satisfaction=satisfaction, note=note, now=at)


def _worker(rect: Rectification) -> User | None:
    if rect.department_id:
        role = (
            StaffRole.objects.filter(role=StaffRole.DEPARTMENT_ADMIN, department_id=rect.department_id)
            .order_by("-user__username")  # the zhenggai_… accounts before shuju_… and bumen_admin
            .first()
        )
    else:
        role = StaffRole.objects.filter(role=StaffRole.HALL_MANAGER, hall_id=rect.hall_id).first()
    return role.user if role else None


def _department_admins() -> list[str]:
    """A 差评 admin (部门管理员) for each city department that has a demo approver."""
    lines = []
    for role in StaffRole.objects.filter(
        role=StaffRole.APPROVER, department__region_id="430600"
    ).select_related("department"):
        dept: Department = role.department
        username = f"zhenggai_{role.user.username.removeprefix('shenpi_')}"
        user, created = User.objects.get_or_create(
            username=username, defaults={"real_name": f"{dept.short_name or dept.name}管理员"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            lines.append(f"创建演示部门管理员 {username}（{dept.name}，差评整改）")
        StaffRole.objects.get_or_create(user=user, role=StaffRole.DEPARTMENT_ADMIN, department=dept)
    return lines


def create_demo_ratings(history: bool = True) -> list[str]:
    lines = _department_admins()
    zhangsan = User.objects.get(username="zhangsan")
    now = timezone.now()
    case = _finished_case(
        zhangsan,
        "bundle",
        BIRTH,
        BIRTH_ANSWERS,
        now - dt.timedelta(days=3),
        "demo-rating-birth",
        "mobile",
        form=BIRTH_FORM,
    )
    if case is not None:
        lines.append(f"张三的待评价办件：{case.number}（{case.name}）")
    if not history or Rating.objects.filter(source=Rating.Source.GIVEN).count() > 20:
        return lines
    rng = random.Random(15)
    people = [_resident(u, n, i + 1) for i, (u, n) in enumerate(RESIDENTS)]
    hall = Hall.objects.filter(code="yueyang-city-hall").first()
    made = 0
    for day in range(HISTORY_DAYS + 1, 3, -3):  # the last services end two days ago
        when = timezone.make_aware(
            dt.datetime.combine(timezone.localdate(now) - dt.timedelta(days=day), dt.time(9, 30))
        )
        person = rng.choice(people)
        code = rng.choice(ITEMS)
        channel = rng.choice(["web", "mobile", "mobile", "window"])
        app = _finished_case(
            person, "item", code, {}, when, f"demo-rating-{day}", "window" if channel == "window" else "web"
        )
        if app is not None and rng.random() < 0.85:  # the rest are defaulted after the region's days
            _rate(
                rng,
                person,
                application=app,
                channel=channel,
                when=(app.decided_at or when) + dt.timedelta(hours=20),
            )
            made += 1
        if hall is not None:
            for k in range(3):
                ticket = _window_visit(
                    hall, when + dt.timedelta(hours=1, minutes=25 * k), rng.choice(people).id_number
                )
                if ticket is not None and rng.random() < 0.8:
                    _rate(
                        rng,
                        None,
                        ticket=ticket,
                        channel="window",
                        when=ticket.finished_at + dt.timedelta(minutes=5),
                    )
                    made += 1
    _work_loop(rng)
    bad = (
        Rating.objects.filter(
            source=Rating.Source.GIVEN, score__lte=2, excluded=False, rectification__isnull=False
        )
        .order_by("-created_at")
        .first()
    )
    if bad is not None:
        worker = _worker(bad.rectification)
        if worker is not None and bad.rectification.status != Rectification.Status.CLOSED:
            appeals.file(
                bad,
                worker,
                roles=roles_for(worker, bad),
                ground="mistaken",
                statement="评价人所述窗口并非本单位窗口，系误评",
                now=now,
            )
    defaulted = defaults.apply(now)
    lines.append(
        f"生成演示评价 {made} 条（默认评价 {defaulted} 条），差评整改 {Rectification.objects.count()} 件"
    )
    return lines
