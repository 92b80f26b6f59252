"""The search index: documents (one per published item or bundle) and their texts.

A :class:`SearchDocument` is a denormalised copy of what search and browse need about one
published item or bundle (department and region names, the region path for subtree filters,
themes). Its searchable text — the folded name and the pre-segmented token text — lives in a
:class:`SearchText` shared by every document with the same text: a basic item implemented by
a hundred counties (五级十二同: the name is the same everywhere) is one text. Full-text
matching and bm25/ts_rank run over the distinct texts, a hundred times fewer rows than the
implementations, which is what keeps one- and two-character queries fast on a national-size
catalog (docs/performance.md).

The full-text index itself is not a model: an FTS5 table kept in sync by triggers on SQLite,
a generated ``tsvector`` column with a GIN index on PostgreSQL (see the migrations and
:mod:`onething.search.backends`).
"""

from __future__ import annotations

from django.db import models


class SearchText(models.Model):
    kind = models.CharField("类别", max_length=10)
    signature = models.CharField("指纹", max_length=64, unique=True)
    folded_name = models.CharField("规范化名称", max_length=200)
    folded_extra = models.TextField("规范化附加文本", blank=True)
    name_tokens = models.TextField("名称分词")
    extra_tokens = models.TextField("附加分词", blank=True)

    class Meta:
        verbose_name = "搜索文本"
        verbose_name_plural = "搜索文本"

    def __str__(self) -> str:
        return self.folded_name


class SearchDocument(models.Model):
    KINDS = [("bundle", "一件事"), ("item", "事项")]

    kind = models.CharField("类别", max_length=10, choices=KINDS)
    code = models.CharField("编码", max_length=64)
    version = models.PositiveIntegerField("版本", default=0)
    name = models.CharField("名称", max_length=200)
    basic_code = models.CharField("基本编码", max_length=32, blank=True)
    summary = models.CharField("摘要", max_length=300, blank=True)
    region_code = models.CharField("区划代码", max_length=12, blank=True, db_index=True)
    region_name = models.CharField("区划名称", max_length=100, blank=True)
    region_path = models.CharField("区划路径", max_length=80, blank=True, db_index=True)
    department_code = models.CharField("部门代码", max_length=18, blank=True, db_index=True)
    department_name = models.CharField("部门名称", max_length=200, blank=True)
    audience = models.CharField("服务对象", max_length=20, default="both")
    themes = models.CharField("主题", max_length=300, blank=True, help_text="形如 |生育|户籍|，便于包含查询")
    text = models.ForeignKey(SearchText, on_delete=models.PROTECT, related_name="documents")

    class Meta:
        verbose_name = "搜索索引文档"
        verbose_name_plural = "搜索索引文档"
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="search_document_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}（{self.code}）"

    @property
    def theme_list(self) -> list[str]:
        return [t for t in self.themes.split("|") if t]
