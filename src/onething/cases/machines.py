"""The lifecycles of cases, declared as machines (:mod:`onething.kernel.machine`).

One table per lifecycle, and nothing else decides: the functions in
:mod:`onething.cases.lifecycle` fire these events through :mod:`onething.workflow.engine`,
the pages and the API show the events :meth:`~onething.kernel.machine.Machine.allowed` returns
as buttons and ``actions``, and the state labels are the models' choices.

- :data:`APPLICATION` — 办件 (``Application.status``), from submission to archiving; its last
  stretch (结果已制作 → 已送达 → 已归档) is the delivery (统一出件) of every result together;
- :data:`SUBCASE` — 子件 (``SubCase.status``), one per member item, routed to its department;
- :data:`EXTENSION` — 延期 requests (``Extension.status``), recorded on their sub-case;
- :data:`POST_CHECK` — 告知承诺事后核查 (``PostCheck.status``);
- :data:`INSPECTION` — 联合现场核查 (``Inspection.status``), recorded on the application;
- :data:`DRAFT` — 申请草稿 (``Draft.status``): saved, resumed, submitted or discarded.

Guards read a context the lifecycle builds (:func:`onething.cases.lifecycle.context`): the
application's state, the decision asked for, the inspection's outcome, whether a 延期 request
is pending.
"""

from __future__ import annotations

from onething.cases.access import APPLICANT, APPROVER, CLERK, SUPERVISOR, SYSTEM
from onething.cases.models import Application, Draft, Extension, Inspection, PostCheck, SubCase
from onething.kernel.machine import NEW, SAME, Guard, event, machine
from onething.workflow.engine import register

S = Application.Status
SS = SubCase.Status
EXT = Extension.Status

ROLE_NAMES = {
    APPLICANT: "申请人",
    CLERK: "综合窗口",
    APPROVER: "审批部门",
    SUPERVISOR: "督查",
    SYSTEM: "系统",
}

BEFORE_ACCEPTANCE = (S.SUBMITTED, S.PRE_REVIEWED)
#: the application is being worked on: sub-cases may be reviewed, decided, extended, inspected
RUNNING = (S.ACCEPTED, S.IN_REVIEW)
#: states a sub-case may be stopped (终止) from: every one not yet decided
UNDECIDED = (SS.PENDING, SS.WAITING, SS.IN_REVIEW, SS.CORRECTION, SS.SPECIAL)
DECIDED_SUBCASE = (SS.APPROVED, SS.REFUSED, SS.STOPPED)


def _running(context) -> bool:
    return context.get("application_status") in RUNNING


RUNNING_GUARD = Guard("application_running", _running, "办件当前状态“{application_state}”，不能{event}")

APPLICATION = register(
    machine(
        "cases.application",
        audit_kind="application",
        states=dict(S.choices),
        terminal=[S.CLOSED],
        role_names=ROLE_NAMES,
        events=[
            event("submit", NEW, S.SUBMITTED, [APPLICANT, CLERK], "提交申请"),
            event("pre_review", S.SUBMITTED, S.PRE_REVIEWED, [CLERK], "预审通过"),
            event("accept", BEFORE_ACCEPTANCE, S.ACCEPTED, [CLERK], "受理"),
            event("accept_with_gaps", BEFORE_ACCEPTANCE, S.ACCEPTED, [CLERK], "容缺受理"),
            event("accept_on_commitment", BEFORE_ACCEPTANCE, S.ACCEPTED, [CLERK], "告知承诺受理"),
            event("reject", BEFORE_ACCEPTANCE, S.REJECTED, [CLERK], "不予受理"),
            # system: a missed 容缺 commitment under a "correction" rule
            event(
                "request_correction",
                [*BEFORE_ACCEPTANCE, *RUNNING],
                S.CORRECTION,
                [CLERK, APPROVER, SYSTEM],
                "要求补正",
            ),
            # back to the state it was in before 补正 (remembered in ``resume_status``)
            event(
                "resubmit", S.CORRECTION, [*BEFORE_ACCEPTANCE, *RUNNING], [APPLICANT, CLERK], "补正后重新提交"
            ),
            event("start_review", S.ACCEPTED, S.IN_REVIEW, [APPROVER, CLERK, SYSTEM], "开始审批"),
            event("complete", RUNNING, S.DECIDED, [SYSTEM], "全部事项办结"),
            event(
                "flag_gap_overdue", [*RUNNING, S.DECIDED, S.CORRECTION], SAME, [SYSTEM], "容缺材料逾期未补齐"
            ),
            event("result_ready", S.DECIDED, S.RESULT_READY, [CLERK, APPROVER], "办理结果已制作"),
            event("deliver", S.RESULT_READY, S.DELIVERED, [CLERK], "送达办理结果"),
            event(
                "withdraw", [*BEFORE_ACCEPTANCE, S.CORRECTION, *RUNNING], S.WITHDRAWN, [APPLICANT], "撤回申请"
            ),
            event(
                "close", [S.DELIVERED, S.REJECTED, S.WITHDRAWN], S.CLOSED, [CLERK, SUPERVISOR, SYSTEM], "归档"
            ),
        ],
    ),
    "cases.application",
)


def _inspection_done(context) -> bool:
    return context.get("decision") != "approved" or context.get("inspection") in (None, "passed", "failed")


def _inspection_not_failed(context) -> bool:
    return context.get("decision") != "approved" or context.get("inspection") != "failed"


SUBCASE = register(
    machine(
        "cases.subcase",
        audit_kind="subcase",
        states=dict(SS.choices),
        terminal=DECIDED_SUBCASE,
        role_names=ROLE_NAMES,
        guards=[
            RUNNING_GUARD,
            Guard("inspection_done", _inspection_done, "本事项须先完成联合现场核查，才能准予许可"),
            Guard("inspection_not_failed", _inspection_not_failed, "现场核查不符合要求，不能准予许可"),
        ],
        events=[
            # intake writes sub-cases in bulk: their creation is recorded in the application's
            # "submit" record (its members), not one record each
            event("open", NEW, SS.PENDING, [SYSTEM], "生成子件"),
            event("route", SS.PENDING, [SS.WAITING, SS.IN_REVIEW], [SYSTEM], "分送承办部门"),
            event("unblock", SS.WAITING, SS.IN_REVIEW, [SYSTEM], "前置事项已办结，开始审查"),
            event(
                "start_review", SS.IN_REVIEW, SAME, [APPROVER], "承办人签收", guards=["application_running"]
            ),
            event("pause", [SS.IN_REVIEW, SS.WAITING], SS.CORRECTION, [SYSTEM], "补正期间暂停"),
            event("resume", SS.CORRECTION, [SS.IN_REVIEW, SS.WAITING], [SYSTEM], "补正完成，恢复办理"),
            event(
                "start_special_procedure",
                SS.IN_REVIEW,
                SS.SPECIAL,
                [APPROVER],
                "启动特别程序",
                guards=["application_running"],
            ),
            event("end_special_procedure", SS.SPECIAL, SS.IN_REVIEW, [APPROVER], "特别程序结束"),
            event(
                "decide",
                SS.IN_REVIEW,
                [SS.APPROVED, SS.REFUSED],
                [APPROVER, SYSTEM],  # system: 告知承诺制, approved on the signed commitment
                "作出决定",
                guards=["application_running", "inspection_done", "inspection_not_failed"],
            ),
            event("stop", UNDECIDED, SS.STOPPED, [SYSTEM], "终止办理"),
            # a supervisor's 督办 note on a running sub-case: recorded (and told to the
            # department), the state does not move
            event(
                "supervise",
                [SS.WAITING, SS.IN_REVIEW, SS.SPECIAL],
                SAME,
                [SUPERVISOR],
                "督办",
                guards=["application_running"],
            ),
        ],
    ),
    "cases.subcase",
)


def _subcase_open(context) -> bool:
    return context.get("subcase_status") in (SS.IN_REVIEW, SS.SPECIAL)


def _subcase_undecided(context) -> bool:
    return context.get("subcase_status") in UNDECIDED


def _nothing_pending(context) -> bool:
    return not context.get("pending_extension")


EXTENSION = register(
    machine(
        "cases.extension",
        audit_kind="subcase",
        states=dict(EXT.choices),
        terminal=[EXT.APPROVED, EXT.REFUSED, EXT.LAPSED],
        role_names=ROLE_NAMES,
        new_label="未申请",
        guards=[
            RUNNING_GUARD,
            Guard("subcase_open", _subcase_open, "子件当前状态“{subcase_state}”，不能{event}"),
            Guard("subcase_undecided", _subcase_undecided, "子件当前状态“{subcase_state}”，不能{event}"),
            Guard("nothing_pending", _nothing_pending, "本子件已有待审批的延期申请，请等待督查审批"),
        ],
        events=[
            event(
                "request_extension",
                NEW,
                EXT.PENDING,
                [APPROVER],
                "申请延期",
                guards=["subcase_open", "application_running", "nothing_pending"],
                denied="延期申请由承办部门提出",
            ),
            # a supervisor's own extension: requested and approved in one step
            event(
                "extend",
                NEW,
                EXT.APPROVED,
                [SUPERVISOR],
                "延长办理时限",
                guards=["subcase_open", "application_running"],
                denied="延期须经本区划督查（分管负责人）批准",
            ),
            event(
                "approve_extension",
                EXT.PENDING,
                EXT.APPROVED,
                [SUPERVISOR],
                "批准延期",
                guards=["subcase_open", "application_running"],
                audit="subcase.extend",
                denied="延期须经本区划督查（分管负责人）批准",
            ),
            event(
                "refuse_extension",
                EXT.PENDING,
                EXT.REFUSED,
                [SUPERVISOR],
                "不批准延期",
                guards=["subcase_undecided"],
                denied="延期须经本区划督查（分管负责人）批准",
            ),
            # a request still pending when its sub-case is decided or stopped
            event("lapse_extension", EXT.PENDING, EXT.LAPSED, [SYSTEM], "延期申请失效"),
        ],
    ),
    "cases.extension",
)

POST_CHECK = register(
    machine(
        "cases.post_check",
        audit_kind="subcase",
        states=dict(PostCheck.Status.choices),
        terminal=[PostCheck.Status.PASSED, PostCheck.Status.FAILED],
        role_names=ROLE_NAMES,
        events=[
            event("open_post_check", NEW, PostCheck.Status.OPEN, [SYSTEM], "生成事后核查任务"),
            event(
                "record_post_check",
                PostCheck.Status.OPEN,
                [PostCheck.Status.PASSED, PostCheck.Status.FAILED],
                [APPROVER],
                "记录事后核查结果",
            ),
        ],
    ),
    "cases.postcheck",
)

INSPECTION = register(
    machine(
        "cases.inspection",
        audit_kind="application",
        states=dict(Inspection.Status.choices),
        terminal=[Inspection.Status.PASSED, Inspection.Status.FAILED],
        role_names=ROLE_NAMES,
        new_label="尚未安排",
        guards=[
            RUNNING_GUARD,
            Guard(
                "needs_inspection", lambda c: bool(c.get("needs_inspection")), "本件没有需要现场核查的事项"
            ),
        ],
        events=[
            event(
                "schedule_inspection",
                NEW,
                Inspection.Status.SCHEDULED,
                [APPROVER, CLERK],
                "安排联合现场核查",
                guards=["application_running", "needs_inspection"],
            ),
            event(
                "record_inspection",
                Inspection.Status.SCHEDULED,
                [Inspection.Status.PASSED, Inspection.Status.FAILED],
                [APPROVER, CLERK],
                "记录现场核查结果",
                guards=["application_running"],
            ),
        ],
    ),
    "cases.inspection",
)

DRAFT = register(
    machine(
        "cases.draft",
        audit_kind="draft",
        states=dict(Draft.Status.choices),
        terminal=[Draft.Status.SUBMITTED, Draft.Status.DISCARDED],
        role_names=ROLE_NAMES,
        new_label="尚未保存",
        events=[
            event("save_draft", [NEW, Draft.Status.EDITING], Draft.Status.EDITING, [APPLICANT], "保存草稿"),
            event("submit_draft", Draft.Status.EDITING, Draft.Status.SUBMITTED, [APPLICANT], "提交申请"),
            event("discard_draft", Draft.Status.EDITING, Draft.Status.DISCARDED, [APPLICANT], "删除草稿"),
        ],
    ),
    "cases.draft",
)

#: every lifecycle of cases, by the model it governs
MACHINES = {
    Application: APPLICATION,
    SubCase: SUBCASE,
    Extension: EXTENSION,
    PostCheck: POST_CHECK,
    Inspection: INSPECTION,
    Draft: DRAFT,
}
