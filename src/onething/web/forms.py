"""Forms of the portal shell."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from onething.kernel.text import text_problem

#: the longest username an account can have (accounts.User.username)
USERNAME_MAX = 150


class LoginForm(AuthenticationForm):
    """Django's login form with the username's length enforced *before* authentication.

    Django sets the field's ``max_length`` after the field exists, so no validator checks it:
    a 256-character name reached ``authenticate`` and django-axes' attempt table
    (``varchar(255)``) — a 500 on PostgreSQL. No account has such a name, so it is refused here.
    """

    def clean_username(self) -> str:
        username = self.cleaned_data.get("username", "")
        reason = text_problem(username, max_length=USERNAME_MAX)
        if reason:
            raise forms.ValidationError(f"用户名{reason}", code="invalid_username")
        return username
