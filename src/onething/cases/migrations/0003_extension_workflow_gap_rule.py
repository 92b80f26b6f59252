"""延期 becomes a request → approval workflow; 容缺 missed commitments get a platform-side rule.

- ``Extension``: ``approved_by``/``approved_at`` become ``decided_by``/``decided_at`` (empty
  while pending); new ``status``, ``requested_at`` and ``refusal_reason``. Every extension that
  exists already was applied at once, so it is ``approved`` and was requested when approved.
- ``CorrectionRequest.requested_by`` may be empty: the system asks for 补正 when a 容缺
  commitment is missed and the item's rule says so.
- ``GapRule``: what a missed 容缺 commitment does, per item (no row: warn).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def requested_when_approved(apps, schema_editor):
    Extension = apps.get_model("cases", "Extension")
    Extension.objects.filter(requested_at__isnull=True).update(requested_at=F("decided_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_subcase_fillfactor"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="GapRule",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "item_code",
                    models.CharField(
                        help_text="事项实施编码（与事项目录一致）", max_length=64, unique=True, verbose_name="事项编码"
                    ),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("warn", "提醒：标记逾期，通知申请人和窗口"),
                            ("correction", "补正：转入补正（暂停计时），列明所缺材料"),
                            ("terminate", "终止：终止本事项未办结的子件，并告知申请人"),
                        ],
                        default="warn",
                        max_length=12,
                        verbose_name="逾期处理方式",
                    ),
                ),
                (
                    "note",
                    models.TextField(
                        blank=True, help_text="告知申请人时附上，例如办事指南中的相关规定", verbose_name="依据与说明"
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
            ],
            options={
                "verbose_name": "容缺逾期处理规则",
                "verbose_name_plural": "容缺逾期处理规则",
                "ordering": ["item_code"],
            },
        ),
        migrations.AlterModelOptions(
            name="extension",
            options={"ordering": ["subcase_id", "id"], "verbose_name": "延期", "verbose_name_plural": "延期"},
        ),
        migrations.RenameField(model_name="extension", old_name="approved_by", new_name="decided_by"),
        migrations.RenameField(model_name="extension", old_name="approved_at", new_name="decided_at"),
        migrations.AlterField(
            model_name="extension",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="审批人",
            ),
        ),
        migrations.AlterField(
            model_name="extension",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="审批时间"),
        ),
        migrations.AddField(
            model_name="extension",
            name="refusal_reason",
            field=models.TextField(blank=True, default="", verbose_name="不予批准理由"),
        ),
        # existing rows were applied at once: approved (then the default becomes "pending")
        migrations.AddField(
            model_name="extension",
            name="status",
            field=models.CharField(
                choices=[("pending", "待审批"), ("approved", "已批准"), ("refused", "未批准"), ("lapsed", "已失效")],
                default="approved",
                max_length=10,
                verbose_name="状态",
            ),
        ),
        migrations.AlterField(
            model_name="extension",
            name="status",
            field=models.CharField(
                choices=[("pending", "待审批"), ("approved", "已批准"), ("refused", "未批准"), ("lapsed", "已失效")],
                default="pending",
                max_length=10,
                verbose_name="状态",
            ),
        ),
        migrations.AddField(
            model_name="extension",
            name="requested_at",
            field=models.DateTimeField(null=True, verbose_name="申请时间"),
        ),
        migrations.RunPython(requested_when_approved, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="extension",
            name="requested_at",
            field=models.DateTimeField(verbose_name="申请时间"),
        ),
        migrations.AlterField(
            model_name="extension",
            name="requested_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="申请人",
            ),
        ),
        migrations.AlterField(
            model_name="correctionrequest",
            name="requested_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="extension",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "pending")), fields=("subcase",), name="extension_one_pending"
            ),
        ),
    ]
