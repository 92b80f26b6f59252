"""People, enterprises, staff roles and API tokens.

- :class:`User` is a real-name natural person (自然人) or a staff member; the ID number is
  validated (GB 11643) and shown masked to anyone but its owner.
- :class:`Enterprise` (法人) acts through :class:`EnterpriseAuthorisation` of a person.
- :class:`StaffRole` scopes a staff member to a region, department or hall.
- :class:`ApiToken` is a bearer token stored only as its SHA-256 hash, revocable.
- :class:`PhoneCode` is a 6-digit SMS verification code (注册, 找回密码), stored as a keyed
  hash with its expiry and attempt count (``accounts.verification``).
- :class:`RateEvent` is one counted attempt for the throttles of registration, code sending and
  password reset (``accounts.throttle``), keyed by a keyed hash of the phone or address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from onething.directory.models import Department, Hall, Region
from onething.kernel import codes


class User(AbstractUser):
    real_name = models.CharField("姓名", max_length=50, blank=True)
    id_number = models.CharField("公民身份号码", max_length=18, blank=True, db_index=True)
    phone = models.CharField("手机号码", max_length=20, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.real_name or self.username

    def clean(self) -> None:
        super().clean()
        if self.id_number:
            reason = codes.validate_id_number(self.id_number)
            if reason:
                raise ValidationError({"id_number": f"公民身份号码{reason}"})

    @property
    def display_name(self) -> str:
        return self.real_name or self.username

    def roles(self) -> list[StaffRole]:
        cache = getattr(self, "_roles_cache", None)
        if cache is None:
            cache = list(self.staff_roles.select_related("region", "department", "hall"))
            self._roles_cache = cache
        return cache

    def has_role(self, role: str) -> bool:
        return any(r.role == role for r in self.roles())


class Enterprise(models.Model):
    """法人 — identified by its 统一社会信用代码."""

    uscc = models.CharField("统一社会信用代码", max_length=18, primary_key=True)
    name = models.CharField("名称", max_length=200)
    region = models.ForeignKey(
        Region, verbose_name="登记区划", null=True, blank=True, on_delete=models.PROTECT
    )
    industry = models.CharField("行业", max_length=100, blank=True)
    size = models.CharField("规模", max_length=20, blank=True)
    founded = models.DateField("成立日期", null=True, blank=True)

    class Meta:
        verbose_name = "企业（法人）"
        verbose_name_plural = "企业（法人）"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        reason = codes.validate_uscc(self.uscc)
        if reason:
            raise ValidationError({"uscc": f"统一社会信用代码{reason}"})


class EnterpriseAuthorisation(models.Model):
    """A person authorised to act for an enterprise (法定代表人 or 经办人)."""

    ROLES = [("legal_rep", "法定代表人"), ("agent", "授权经办人")]
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="authorisations")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enterprise_authorisations")
    role = models.CharField("身份", max_length=20, choices=ROLES, default="agent")
    valid_until = models.DateField("有效期至", null=True, blank=True)

    class Meta:
        verbose_name = "企业授权"
        verbose_name_plural = "企业授权"
        unique_together = [("enterprise", "user")]

    def is_valid(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.valid_until is None or self.valid_until >= today


class StaffRole(models.Model):
    """A staff role with its scope. A user may hold several."""

    WINDOW_CLERK = "window_clerk"
    APPROVER = "approver"
    DEPARTMENT_ADMIN = "department_admin"
    SUPERVISOR = "supervisor"
    PLATFORM_ADMIN = "platform_admin"
    DATA_AUTHORITY = "data_authority"
    ASSISTANT = "assistant"
    KIOSK = "kiosk"
    HALL_MANAGER = "hall_manager"
    HOTLINE_OPERATOR = "hotline_operator"
    HOTLINE_HANDLER = "hotline_handler"
    #: roles that exist only at a hall (a database constraint, not only a form check)
    HALL_ROLES = (WINDOW_CLERK, ASSISTANT, KIOSK, HALL_MANAGER)
    ROLES = [
        (WINDOW_CLERK, "综合窗口人员"),
        (APPROVER, "审批人员"),
        (DEPARTMENT_ADMIN, "部门管理员"),
        (SUPERVISOR, "督查人员"),
        (PLATFORM_ADMIN, "系统管理员"),
        (DATA_AUTHORITY, "数据主管部门"),
        (ASSISTANT, "帮办代办人员"),
        (KIOSK, "自助取号设备"),
        (HALL_MANAGER, "大厅管理人员"),
        (HOTLINE_OPERATOR, "12345热线话务人员"),
        (HOTLINE_HANDLER, "12345工单承办人员"),
    ]
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField("角色", max_length=30, choices=ROLES)
    region = models.ForeignKey(
        Region, verbose_name="区划范围", null=True, blank=True, on_delete=models.PROTECT
    )
    department = models.ForeignKey(
        Department, verbose_name="所属部门", null=True, blank=True, on_delete=models.PROTECT
    )
    hall = models.ForeignKey(Hall, verbose_name="所属大厅", null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = "工作人员角色"
        verbose_name_plural = "工作人员角色"
        unique_together = [("user", "role", "region", "department", "hall")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role__in=["window_clerk", "assistant", "kiosk", "hall_manager"])
                | models.Q(hall__isnull=False),
                name="hall_role_has_hall",
                violation_error_message="综合窗口人员、帮办代办人员、自助取号设备和大厅管理人员须指定所属大厅",
            )
        ]

    def __str__(self) -> str:
        scope = self.department or self.hall or self.region or "全省"
        return f"{self.get_role_display()} · {scope}"

    def clean(self) -> None:
        needs = {
            self.WINDOW_CLERK: ("hall", "综合窗口人员须指定所属大厅"),
            self.ASSISTANT: ("hall", "帮办代办人员须指定所属大厅"),
            self.KIOSK: ("hall", "自助取号设备须指定所属大厅"),
            self.HALL_MANAGER: ("hall", "大厅管理人员须指定所属大厅"),
            self.HOTLINE_OPERATOR: ("region", "12345热线话务人员须指定区划范围"),
            self.HOTLINE_HANDLER: ("department", "12345工单承办人员须指定所属部门"),
            self.APPROVER: ("department", "审批人员须指定所属部门"),
            self.DEPARTMENT_ADMIN: ("department", "部门管理员须指定所属部门"),
            self.SUPERVISOR: ("region", "督查人员须指定区划范围"),
        }
        if self.role in needs:
            field, message = needs[self.role]
            if getattr(self, f"{field}_id") is None:
                raise ValidationError({field: message})


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """Bearer token for the API. Only the SHA-256 hash is stored; the raw token is shown once."""

    PREFIX = "ot_"
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField("令牌前缀", max_length=12, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    #: a service token (a department system, not a person): the data-sharing approvals it may
    #: call the gateway under; it is refused everywhere else. ``None``: a person's token.
    sharing_requests = models.JSONField("可用共享授权", null=True, blank=True)
    expires_at = models.DateTimeField("失效时间", null=True, blank=True)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self) -> str:
        return f"{self.hint}… ({self.user})"

    @classmethod
    def issue(
        cls, user: User, name: str = "", *, sharing_requests: list[int] | None = None, expires_at=None
    ) -> tuple[ApiToken, str]:
        """Create a token; returns the record and the raw token (never stored). With
        ``sharing_requests`` it is a service token for those approvals only."""
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            key_hash=hash_token(raw),
            hint=raw[:10],
            sharing_requests=sharing_requests,
            expires_at=expires_at,
        )
        return token, raw

    @classmethod
    def authenticate(cls, raw: str) -> User | None:
        """The active user of an unrevoked token, or ``None``.

        Runs on every API request, so it is one hand-written join read into a ``User``
        (``raw()``): the same rows as ``select_related("user").filter(…)``, at a third of the
        CPU (the ORM compiles that join anew on every call; measured in docs/performance.md).
        """
        if not raw or not raw.startswith(cls.PREFIX) or len(raw) > 200:
            return None
        quote = connection.ops.quote_name
        users, tokens = quote(User._meta.db_table), quote(cls._meta.db_table)
        user = next(
            iter(
                User.objects.raw(
                    f"SELECT u.*, t.id AS token_id, t.last_used_at AS token_last_used_at, "  # noqa: S608 - names from the models
                    "t.sharing_requests AS token_sharing_requests "
                    f"FROM {users} u JOIN {tokens} t ON t.user_id = u.id "
                    "WHERE t.key_hash = %s AND t.revoked_at IS NULL AND u.is_active "
                    "AND (t.expires_at IS NULL OR t.expires_at > %s)",
                    [hash_token(raw), timezone.now()],
                )
            ),
            None,
        )
        if user is None:
            return None
        scope = user.token_sharing_requests
        if isinstance(scope, str):  # a JSON column read by raw() comes back as its text
            scope = json.loads(scope)
        user.token_sharing_requests = scope
        now = timezone.now()
        last_used = user.token_last_used_at
        if isinstance(last_used, str):  # SQLite hands an extra column back as text or naive (UTC)
            last_used = parse_datetime(last_used)
        if last_used is not None and timezone.is_naive(last_used):
            last_used = timezone.make_aware(last_used, dt.UTC)
        if last_used is None or (now - last_used).total_seconds() > 60:
            cls.objects.filter(pk=user.token_id).update(last_used_at=now)
        return user

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class PhoneCode(models.Model):
    """A verification code sent to a phone. Only a keyed hash of the code is stored; the latest
    code of a phone and purpose is the only one that counts (``accounts.verification``)."""

    class Purpose(models.TextChoices):
        REGISTER = "register", "注册"
        RESET = "reset", "找回密码"

    phone = models.CharField("手机号码", max_length=11)
    purpose = models.CharField("用途", max_length=10, choices=Purpose.choices)
    salt = models.CharField(max_length=32, editable=False)
    code_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField("发送时间")
    expires_at = models.DateTimeField("失效时间")
    attempts = models.PositiveSmallIntegerField("错误次数", default=0)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)
    sent_at = models.DateTimeField("送出时间", null=True, blank=True)

    class Meta:
        verbose_name = "短信验证码"
        verbose_name_plural = "短信验证码"
        indexes = [models.Index(fields=["phone", "purpose", "-created_at"], name="phonecode_latest")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} · {codes.mask_phone(self.phone)}"


class RateEvent(models.Model):
    """One counted attempt (a code sent, a failed registration or reset) for a throttle key."""

    scope = models.CharField("类别", max_length=20)
    key = models.CharField(max_length=64)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "频率限制记录"
        verbose_name_plural = "频率限制记录"
        indexes = [
            models.Index(fields=["scope", "key", "at"], name="rateevent_window"),
            models.Index(fields=["at"], name="rateevent_purge"),
        ]
