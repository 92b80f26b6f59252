"""The service-item catalog (事项目录): material types, data elements, items and bundles.

Two layers:

* The **working records** (:class:`Item`, :class:`Bundle` and their rows) are what catalog
  maintainers edit. An edit is a draft until it is published.
* A **publication** writes an immutable :class:`Revision` holding the record in the exchange
  format (``contracts/catalog.schema.json``). The public — search, guides, plans, new
  applications — only ever reads the current revision, so drafts never leak and every
  published version is kept with who, when and why.

Reference records (regions, departments, material types, data elements) take effect when
saved; each change is still recorded as a revision for the history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from onething.directory.models import Department, Region

CATEGORIES = [
    ("licensing", "行政许可"),
    ("penalty", "行政处罚"),
    ("enforcement", "行政强制"),
    ("levy", "行政征收"),
    ("benefit", "行政给付"),
    ("inspection", "行政检查"),
    ("confirmation", "行政确认"),
    ("reward", "行政奖励"),
    ("adjudication", "行政裁决"),
    ("other_power", "其他行政权力"),
    ("public_service", "公共服务"),
]
CATEGORY_CODES = {
    "licensing": "01",
    "penalty": "02",
    "enforcement": "03",
    "levy": "04",
    "benefit": "05",
    "inspection": "06",
    "confirmation": "07",
    "reward": "08",
    "adjudication": "09",
    "other_power": "10",
    "public_service": "20",
}
LEVELS = [
    ("national", "国家级"),
    ("province", "省级"),
    ("city", "市级"),
    ("county", "县级"),
    ("township", "乡（镇、街道）级"),
    ("village", "村（社区）级"),
]
AUDIENCES = [("person", "自然人"), ("enterprise", "法人"), ("both", "自然人和法人")]
ONLINE_DEPTHS = [("none", "不可网办"), ("guide", "网上办事指南"), ("apply", "网上申请"), ("full", "全程网办")]
CROSS_PROVINCE_MODES = {"full_online": "全程网办", "proxy": "异地代收代办", "joint": "多地联办"}
MATERIAL_KINDS = [
    ("id_document", "身份证件"),
    ("license", "证照"),
    ("certificate", "证明"),
    ("form", "申请表"),
    ("proof", "证明材料"),
    ("contract", "合同协议"),
    ("photo", "照片"),
    ("plan", "图纸方案"),
    ("report", "报告"),
    ("other", "其他"),
]
EXEMPT_VIA = [("e_license", "电子证照"), ("data_share", "数据共享")]
ELEMENT_TYPES = [
    ("string", "文本"),
    ("text", "长文本"),
    ("integer", "整数"),
    ("decimal", "数值"),
    ("boolean", "是/否"),
    ("date", "日期"),
    ("choice", "选项"),
    ("id_number", "公民身份号码"),
    ("uscc", "统一社会信用代码"),
    ("phone", "电话号码"),
    ("address", "地址"),
    ("region", "行政区划"),
    ("email", "电子邮箱"),
]


class MaterialType(models.Model):
    """Canonical material type (居民身份证, 营业执照 …): what makes merging materials possible."""

    code = models.CharField("编码", max_length=64, primary_key=True)
    name = models.CharField("名称", max_length=200)
    kind = models.CharField("类别", max_length=20, choices=MATERIAL_KINDS)
    exempt_via = models.CharField(
        "免提交方式",
        max_length=20,
        choices=EXEMPT_VIA,
        blank=True,
        default="",
        help_text="平台可通过电子证照或数据共享自行获取时，申请人无需提交（免提交）",
    )
    description = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "材料类型"
        verbose_name_plural = "材料类型"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class DataElement(models.Model):
    """Canonical form data element (applicant.name …): each is asked once in a merged form."""

    key = models.CharField("键", max_length=100, primary_key=True)
    label = models.CharField("名称", max_length=200)
    type = models.CharField("类型", max_length=20, choices=ELEMENT_TYPES)
    choices = models.JSONField("选项", default=list, blank=True)

    class Meta:
        verbose_name = "表单数据项"
        verbose_name_plural = "表单数据项"
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.label}（{self.key}）"


class PublishState(models.TextChoices):
    DRAFT = "draft", "草稿（未发布）"
    PUBLISHED = "published", "已发布"
    CHANGED = "changed", "已发布，有未发布的修改"


class Item(models.Model):
    """An implementation (实施清单) of a basic item (基本目录) by a department in a region."""

    code = models.CharField("实施编码", max_length=64, primary_key=True)
    basic_code = models.CharField("基本编码", max_length=32, db_index=True)
    name = models.CharField("事项名称", max_length=200)
    category = models.CharField("事项类型", max_length=20, choices=CATEGORIES)
    department = models.ForeignKey(
        Department, verbose_name="实施部门", on_delete=models.PROTECT, related_name="items"
    )
    region = models.ForeignKey(
        Region, verbose_name="实施区划", on_delete=models.PROTECT, related_name="items"
    )
    level = models.CharField("行使层级", max_length=20, choices=LEVELS, blank=True)
    audience = models.CharField("服务对象", max_length=20, choices=AUDIENCES, default="both")
    legal_basis = models.TextField("设定依据", blank=True)
    conditions = models.TextField("受理条件", blank=True)
    legal_limit = models.PositiveIntegerField("法定办结时限（工作日）")
    promised_limit = models.PositiveIntegerField("承诺办结时限（工作日）", help_text="0 表示即办件")
    visits = models.PositiveIntegerField("到办事现场次数", default=1)
    inspection = models.BooleanField("需现场核查", default=False)
    online = models.CharField("网上办理深度", max_length=10, choices=ONLINE_DEPTHS, default="apply")
    cross_province = models.JSONField("跨省通办模式", default=list, blank=True)
    fee = models.JSONField("收费", default=dict, blank=True)
    result = models.JSONField("办理结果", default=dict, blank=True)
    steps = models.JSONField("办理流程", default=list, blank=True)
    themes = models.JSONField("主题", default=list, blank=True)
    keywords = models.JSONField("关键词", default=list, blank=True)
    state = models.CharField(
        "发布状态", max_length=10, choices=PublishState.choices, default=PublishState.DRAFT
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "事项"
        verbose_name_plural = "事项"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class ItemMaterial(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(MaterialType, verbose_name="材料", on_delete=models.PROTECT)
    originals = models.PositiveIntegerField("原件份数", default=1)
    copies = models.PositiveIntegerField("复印件份数", default=0)
    required = models.BooleanField("必需", default=True)
    when = models.JSONField("适用条件（JSON Logic）", null=True, blank=True)
    note = models.CharField("备注", max_length=500, blank=True)
    position = models.PositiveIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["item_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "material"], name="item_material_once")]


class ItemFormField(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="form_fields")
    element = models.ForeignKey(DataElement, verbose_name="数据项", on_delete=models.PROTECT)
    required = models.BooleanField("必填", default=True)
    position = models.PositiveIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "表单字段"
        verbose_name_plural = "表单字段"
        ordering = ["item_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "element"], name="item_element_once")]


class Bundle(models.Model):
    """一件事: several items of several departments handled as one."""

    code = models.CharField("编码", max_length=64, primary_key=True)
    name = models.CharField("名称", max_length=200)
    description = models.TextField("说明", blank=True)
    audience = models.CharField("服务对象", max_length=20, choices=AUDIENCES, default="both")
    lead_department = models.ForeignKey(
        Department, verbose_name="牵头部门", on_delete=models.PROTECT, related_name="led_bundles"
    )
    region = models.ForeignKey(Region, verbose_name="区划", null=True, blank=True, on_delete=models.PROTECT)
    themes = models.JSONField("主题", default=list, blank=True)
    keywords = models.JSONField("关键词", default=list, blank=True)
    questions = models.JSONField("情形问题", default=list, blank=True)
    promised_limit = models.PositiveIntegerField("承诺办结时限（工作日）", null=True, blank=True)
    state = models.CharField(
        "发布状态", max_length=10, choices=PublishState.choices, default=PublishState.DRAFT
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "一件事"
        verbose_name_plural = "一件事"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class BundleMember(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="members")
    item = models.ForeignKey(
        Item, verbose_name="事项", on_delete=models.PROTECT, related_name="bundle_memberships"
    )
    when = models.JSONField("适用条件（JSON Logic）", null=True, blank=True)
    after = models.JSONField("前置事项（编码列表）", default=list, blank=True)
    position = models.PositiveIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "成员事项"
        verbose_name_plural = "成员事项"
        ordering = ["bundle_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["bundle", "item"], name="bundle_member_once")]


class Revision(models.Model):
    """An immutable published version of a catalog record, in the exchange format.

    Exactly one revision per (kind, code) is ``current``: that is what the public sees.
    """

    KINDS = [
        ("region", "行政区划"),
        ("department", "部门"),
        ("material", "材料类型"),
        ("data_element", "表单数据项"),
        ("item", "事项"),
        ("bundle", "一件事"),
    ]
    kind = models.CharField("类别", max_length=20, choices=KINDS)
    code = models.CharField("编码", max_length=100)
    version = models.PositiveIntegerField("版本")
    data = models.JSONField("内容")
    current = models.BooleanField("当前版本", default=True)
    withdrawn = models.BooleanField("已撤销", default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发布人", null=True, blank=True, on_delete=models.PROTECT
    )
    reason = models.CharField("原因", max_length=500)
    created_at = models.DateTimeField("发布时间", auto_now_add=True)

    class Meta:
        verbose_name = "发布版本"
        verbose_name_plural = "发布版本（历史）"
        ordering = ["kind", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code", "version"], name="revision_version_once"),
            models.UniqueConstraint(
                fields=["kind", "code"], condition=Q(current=True), name="revision_one_current"
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "current"], name="revision_kind_current"),
            # the catalog fingerprint counts withdrawn revisions on every plan: few rows, indexed
            models.Index(fields=["id"], name="revision_withdrawn", condition=Q(withdrawn=True)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.code} v{self.version}"

    def save(self, *args, **kwargs):
        """A published version is immutable: only the ``current`` flag may change later."""
        if self.pk and not kwargs.get("update_fields") == ["current"]:
            raise ValueError("已发布的版本不可修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("已发布的版本不可删除")
