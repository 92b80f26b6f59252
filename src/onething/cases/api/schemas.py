"""Request and response shapes of the applications API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from onething.core.text import Date, Doc, Flag, Int, RowId, Text

#: lengths of what staff and applicants type (the columns hold at least this much)
REASON = Text(2000, multiline=True)
LONG_TEXT = Text(4000, multiline=True)
#: a material code (catalog codes are at most 64 characters); a case has far fewer than 100
MaterialCode = Text(64)


def material_codes():
    return Field(default_factory=list, max_length=100, description="材料编码")


class OnBehalfIn(Schema):
    """The applicant when a window clerk or an agent (帮办代办) files for someone else."""

    model_config = ConfigDict(extra="forbid")

    name: Text(100)
    id_number: Text(18)
    phone: Text(20) = ""


class AuthorisationIn(Schema):
    """帮办代办: the applicant's letter of authorisation, as the agent records it."""

    model_config = ConfigDict(extra="forbid")

    document: Text(200) = Field(..., description="授权委托书编号或说明")
    valid_until: Date() | None = Field(None, description="授权有效期至")
    scope: Text(500, multiline=True) | None = Field(None, description="授权范围")


class AssistanceIn(Schema):
    """帮办代办 by a hall's 帮办 staff member (channel agent): why and under which authorisation."""

    model_config = ConfigDict(extra="forbid")

    reason: Literal["elderly", "disabled", "enterprise_project", "other"] = Field(
        ..., description="帮办原因：elderly 老年人、disabled 残疾人、enterprise_project 企业项目、other 其他"
    )
    authorisation: Text(200) = Field(..., description="授权依据（委托书编号、授权书或现场口头授权的记录）")
    project: Text(200) = Field("", description="项目名称（企业项目帮办）")
    note: Text(500, multiline=True) = Field("", description="说明")


class ApplicationIn(Schema):
    bundle: Text(64) | None = Field(None, description="一件事编码（与 item 二选一）")
    item: Text(64) | None = Field(None, description="事项实施编码（与 bundle 二选一）")
    answers: Doc() = Field(default_factory=dict, description="情形问题的回答")
    form: Doc() = Field(default_factory=dict, description="申请表（数据项键 → 值，可嵌套）")
    channel: Text(20) = Field("web", description="web, mobile, window, agent, self_service, cross_province")
    applicant: OnBehalfIn | None = Field(None, description="窗口收件或帮办代办时的申请人")
    enterprise: Text(18) | None = Field(None, description="以企业名义申请时的统一社会信用代码")
    authorisation: AuthorisationIn | None = Field(None, description="帮办代办的授权委托记录")
    data_consent: Flag = Field(
        False, description="同意平台通过政务数据共享获取免提交材料（有条件共享的数据须同意）"
    )
    licence_consent: list[Text(120)] | None = Field(
        None,
        description="授权本次办理使用的本人（或本企业）电子证照：证照类型代码（用最新的一份），"
        "或证照标识（持有多份时指定一份），替代对应的免提交材料",
    )
    ticket: RowId | None = Field(None, description="窗口人员当前呼叫的排队号 id（办件与之关联）")
    assistance: AssistanceIn | None = Field(
        None, description="帮办代办记录（大厅帮办代办人员以 agent 渠道提交时必填）"
    )


class LicenceUseIn(Schema):
    material: Text(64) = Field(..., description="材料类型编码")


class LicenceReferenceOut(Schema):
    material: str
    identifier: str
    data: dict[str, Any]
    use: int | None


class DepartmentOut(Schema):
    code: str
    name: str


class PostCheckBrief(Schema):
    """告知承诺事后核查 of an approved sub-case (shown with the sub-case)."""

    status: Literal["open", "passed", "failed"] = Field(
        ..., description="open 待核查，passed 核查属实，failed 承诺不实"
    )
    status_name: str
    due_date: dt.date
    result: str
    checked_at: dt.datetime | None


ExtensionStatus = Literal["pending", "approved", "refused", "lapsed"]


class ExtensionBrief(Schema):
    """One 延期 of a sub-case. Applicants see approved extensions only, without staff names."""

    id: int
    days: int
    reason: str
    status: ExtensionStatus = Field(
        ..., description="pending 待审批，approved 已批准，refused 未批准，lapsed 已失效"
    )
    status_name: str
    requested_at: dt.datetime
    requested_by: str | None
    decided_at: dt.datetime | None
    decided_by: str | None
    refusal_reason: str


class SharedValueOut(Schema):
    key: str
    label: str
    value: str


class SharedDataOut(Schema):
    """A 免提交 material obtained through the data-sharing gateway, with its provenance."""

    material: str
    material_name: str
    resource: str
    resource_name: str
    request: int
    call: int | None
    fetched_at: dt.datetime
    found: bool
    sha256: str
    values: list[SharedValueOut]
    note: str


class SubCaseOut(Schema):
    number: str
    item: str
    name: str
    department: DepartmentOut
    status: str
    status_name: str
    after: list[str]
    limit_days: int
    started_on: dt.date | None
    due_date: dt.date | None
    warning: str
    handler: str | None
    decision: str
    reasons: str
    decided_at: dt.datetime | None
    inspection_required: bool
    post_check: PostCheckBrief | None = Field(None, description="告知承诺事后核查（如有）")
    extensions: list[ExtensionBrief] = Field(default_factory=list, description="延期记录")
    shared: list[SharedDataOut] = Field(default_factory=list, description="通过数据共享获取的免提交材料数据")


class MaterialOut(Schema):
    id: int
    material: str
    name: str
    source: str
    source_name: str
    size: int
    content_type: str
    commitment_date: dt.date | None
    fulfilled: bool
    fetch_status: str = Field(
        "",
        description="免提交材料：fetched 已通过数据共享获取，failed 未能获取（可上传），unrouted 无共享授权",
    )
    fetch_note: str = ""


class NoticeOut(Schema):
    id: str
    kind: str
    kind_name: str
    number: str
    issued_on: dt.date
    department: str
    url: str
    verify_url: str


class HistoryOut(Schema):
    at: dt.datetime
    action: str
    actor: str
    reason: str


class ApplicantOut(Schema):
    name: str
    id_number: str
    phone: str
    enterprise: str | None
    agent: str | None = Field(None, description="帮办代办人（代办申请时）")


class ApplicationOut(Schema):
    number: str
    status: str
    status_name: str
    kind: str
    code: str
    name: str
    channel: str
    region: str
    hall: str | None
    applicant: ApplicantOut
    intake: str
    limit_days: int
    created_at: dt.datetime
    accepted_at: dt.datetime | None
    due_date: dt.date | None
    warning: str
    gap_commitment_date: dt.date | None
    reason: str
    form: dict[str, Any]
    subcases: list[SubCaseOut]
    materials: list[MaterialOut]
    required_materials: list[dict[str, Any]]
    notices: list[NoticeOut]
    history: list[HistoryOut]
    actions: list[str]


class LinksOut(Schema):
    self: str = Field(..., description="进度查询地址（GET，完整进度视图）")


class ApplicationCreated(Schema):
    """The answer to an intake: what identifies the application, not the whole progress view
    (``links.self`` returns that)."""

    number: str
    status: str
    status_name: str
    kind: str
    code: str
    name: str
    channel: str
    created: bool = Field(..., description="true：本次新建（201）；false：同一幂等键已建的申请（200）")
    links: LinksOut


class ApplicationSummary(Schema):
    number: str
    name: str
    status: str
    status_name: str
    created_at: dt.datetime
    due_date: dt.date | None
    warning: str


class ReasonIn(Schema):
    reason: REASON = ""


class AcceptIn(Schema):
    reason: REASON = ""
    received: list[MaterialCode] = material_codes()
    on_the_spot: Flag = Field(False, description="即办件当场办结")


class GapsIn(Schema):
    gaps: list[MaterialCode] = Field(..., max_length=100, description="容缺的材料编码")
    commitment_date: Date()
    received: list[MaterialCode] = material_codes()
    reason: REASON = ""


class CommitmentIn(Schema):
    commitment_text: LONG_TEXT
    signed_by_name: Text(100)
    received: list[MaterialCode] = material_codes()


class RejectIn(Schema):
    reason: REASON


class CorrectionIn(Schema):
    items: list[Text(200)] = Field(..., max_length=50, description="需补正的内容（每项一行，最多50项）")
    reason: REASON


class DecideIn(Schema):
    decision: Literal["approved", "refused"]
    reasons: LONG_TEXT = ""


class SpecialIn(Schema):
    kind: Literal["hearing", "expert_review", "testing", "inspection", "tender"]
    reason: REASON


class ExtendIn(Schema):
    days: Int(1, 10) = Field(..., description="延长工作日数（已批准与待审批合计不超过 10）")
    reason: REASON = Field(..., description="延期理由（批准后告知申请人）")


class RefuseExtensionIn(Schema):
    reason: REASON = Field(..., description="不批准的理由（告知申请部门）")


class ExtensionOut(Schema):
    """延期申请: filed by the department, decided by a supervisor of the region."""

    id: int
    application: str = Field(..., description="办件编号")
    subcase: str = Field(..., description="子件编号")
    item_name: str
    department: DepartmentOut
    days: int
    reason: str
    status: ExtensionStatus = Field(
        ..., description="pending 待审批，approved 已批准，refused 未批准，lapsed 已失效"
    )
    status_name: str
    requested_by: str
    requested_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    refusal_reason: str
    approved_days: int = Field(..., description="本子件已批准的延期工作日数合计")
    due_date: dt.date | None = Field(..., description="子件当前办理期限")


class InspectionIn(Schema):
    on: Date()
    location: Text(300) = ""


class InspectionResultIn(Schema):
    result: Literal["passed", "failed"]
    findings: LONG_TEXT = ""


class ResultReadyIn(Schema):
    method: Literal["window", "mail", "electronic"] = "window"


class DeliverIn(Schema):
    method: Literal["window", "mail", "electronic"]
    tracking_number: Text(60) = ""
    address: Text(300) = ""


class SubCaseActionOut(Schema):
    number: str
    status: str
    status_name: str
    due_date: dt.date | None


class PostCheckIn(Schema):
    passed: Flag = Field(..., description="true：承诺属实；false：承诺不实（将通知申请人）")
    result: LONG_TEXT = Field(..., description="核查结果（必填）")


class PostCheckOut(Schema):
    """告知承诺事后核查任务."""

    application: str = Field(..., description="办件编号")
    application_name: str
    subcase: str = Field(..., description="子件编号")
    item: str
    item_name: str
    department: DepartmentOut
    status: Literal["open", "passed", "failed"] = Field(
        ..., description="open 待核查，passed 核查属实，failed 承诺不实"
    )
    status_name: str
    due_date: dt.date
    overdue: bool = Field(..., description="待核查且已过核查期限")
    result: str
    checked_by: str | None
    checked_at: dt.datetime | None
