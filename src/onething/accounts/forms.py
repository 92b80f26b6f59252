"""Forms of registration, password reset by phone and password change.

Every text field passes the platform's text rule (``kernel.text``: no control characters, a
stated length, one line) before anything else looks at it, and every message names the field
by its Chinese label. The real-name and phone rules are those of ``accounts.registration``,
which the view calls afterwards (and which checks them again).
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from onething.accounts import registration
from onething.accounts.models import User
from onething.kernel.errors import Invalid
from onething.kernel.text import text_problem

PASSWORD_MAX = 128
CODE_LENGTH = 6


class Text(forms.CharField):
    """A single-line text field refused by the platform's text rule with a message naming it."""

    def __init__(self, *, label: str, max_length: int, **kwargs):
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault("required", f"请填写{label}")
        super().__init__(label=label, max_length=max_length, **kwargs)

    def to_python(self, value):
        if value not in self.empty_values:
            reason = text_problem(value, max_length=self.max_length)
            if reason:
                raise ValidationError(f"{self.label}{reason}", code="text")
        return super().to_python(value)


class Password(Text):
    def __init__(self, *, label: str, autocomplete: str = "new-password", **kwargs):
        widget = forms.PasswordInput(attrs={"autocomplete": autocomplete})
        super().__init__(label=label, max_length=PASSWORD_MAX, strip=False, widget=widget, **kwargs)


PASSWORD_HELP = "至少8个字符，不能与手机号码相近，不能是常见密码"  # noqa: S105 - a hint, not a password


def _chinese(error: ValidationError) -> str:
    """A password validator's message in Chinese (Django's own translation lacks some)."""
    params = error.params or {}
    if error.code == "password_too_short":
        return f"密码太短，至少需要{params.get('min_length', 8)}个字符"
    if error.code == "password_too_similar":
        return f"密码与{params.get('verbose_name', '个人信息')}太相似"
    if error.code == "password_too_common":
        return "这个密码太常见了，请换一个"
    if error.code == "password_entirely_numeric":
        return "密码不能全是数字"
    return error.messages[0] if error.messages else "密码不符合要求"


def validate_password(password: str, user) -> list[str]:
    """Django's password validators (``AUTH_PASSWORD_VALIDATORS``), their refusals in Chinese."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        return [_chinese(error) for error in exc.error_list]
    return []


def _domain(check, value):
    """Run a ``registration.check_*`` rule as field validation."""
    try:
        return check(value)
    except Invalid as exc:
        raise ValidationError(exc.message, code=exc.code) from None


class PhoneCodeForm(forms.Form):
    """Shared by registration and reset: the phone, its code, and a new password twice.

    ``only_phone()`` keeps the phone's errors alone: the 获取验证码 button posts the whole form
    before the rest is filled in.
    """

    phone = Text(
        label="手机号码",
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel"}),
    )
    code = Text(
        label="短信验证码",
        max_length=CODE_LENGTH,
        help_text="6位数字，10分钟内有效",
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}"}
        ),
    )
    password1 = Password(label="设置密码", help_text=PASSWORD_HELP)
    password2 = Password(label="确认密码")

    def clean_phone(self) -> str:
        return _domain(registration.check_phone, self.cleaned_data["phone"])

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if not (len(code) == CODE_LENGTH and code.isascii() and code.isdigit()):
            raise ValidationError("短信验证码应为6位数字", code="code")
        return code

    def account(self) -> User:
        """The account the password is for (the validators compare it with the password)."""
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "两次输入的密码不一致")
        elif first:
            for message in validate_password(first, self.account()):
                self.add_error("password1", message)
        return data

    def only_phone(self) -> bool:
        """Validate the phone alone (the code button): True when it is valid."""
        errors = self.errors
        for name in list(errors):
            if name != "phone":
                del errors[name]
        return "phone" not in errors

    def refuse(self, exc) -> None:
        """Show a domain refusal at its field (or above the form)."""
        field = getattr(exc, "field", None)
        self.add_error(field if field in self.fields else None, exc.message)


class RegistrationForm(PhoneCodeForm):
    real_name = Text(
        label="姓名", max_length=registration.NAME_MAX, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    id_number = Text(
        label="公民身份号码",
        max_length=18,
        help_text="18位，末位可能是X",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    field_order = ["real_name", "id_number", "phone", "code", "password1", "password2"]

    def clean_real_name(self) -> str:
        return _domain(registration.check_name, self.cleaned_data["real_name"])

    def clean_id_number(self) -> str:
        return _domain(registration.check_id_number, self.cleaned_data["id_number"])

    def account(self) -> User:
        data = self.cleaned_data
        phone = data.get("phone", "")
        return User(username=phone, phone=phone, real_name=data.get("real_name", ""))


class PasswordResetForm(PhoneCodeForm):
    field_order = ["phone", "code", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = "新密码"
        self.fields["password2"].label = "确认新密码"
        self.fields["password1"].error_messages["required"] = "请填写新密码"
        self.fields["password2"].error_messages["required"] = "请填写确认新密码"

    def account(self) -> User:
        phone = self.cleaned_data.get("phone", "")
        return registration.reset_user(phone) or User(username=phone, phone=phone)


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form (old password, new twice, the validators), with the text rule first."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in [
            ("old_password", "原密码"),
            ("new_password1", "新密码"),
            ("new_password2", "确认新密码"),
        ]:
            self.fields[name].label = label
            self.fields[name].error_messages["required"] = f"请填写{label}"
            self.fields[name].widget.attrs.pop("autofocus", None)
        self.fields["new_password1"].help_text = PASSWORD_HELP
        self.fields["new_password2"].help_text = ""
        self.error_messages = {
            **self.error_messages,
            "password_mismatch": "两次输入的新密码不一致",
            "password_incorrect": "原密码不正确，请重新输入",
        }

    def validate_password_for_user(self, user, password_field_name="password2"):  # noqa: S107 - a field name
        password = self.cleaned_data.get(password_field_name)
        if password:
            for message in validate_password(password, user):
                self.add_error(password_field_name, message)

    def clean_old_password(self):
        self._text("old_password")
        return super().clean_old_password()

    def clean_new_password1(self):
        return self._text("new_password1")

    def clean_new_password2(self):
        return self._text("new_password2")

    def _text(self, name: str) -> str:
        value = self.cleaned_data.get(name, "")
        reason = text_problem(value, max_length=PASSWORD_MAX)
        if reason:
            raise ValidationError(f"{self.fields[name].label}{reason}", code="text")
        return value
