from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from linli.accounts.models import Role


class StaffLoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码不正确。请注意区分大小写。"),
        "inactive": _("该账号已停用，请联系县级管理员。"),
    }

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["password"].label = _("密码")
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label="手机号",
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-lg",
                "inputmode": "tel",
                "autocomplete": "tel",
            }
        ),
    )


class PhoneCodeForm(PhoneForm):
    code = forms.CharField(
        label="验证码",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-lg otp-input",
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
            }
        ),
        error_messages={"min_length": "验证码为 6 位数字", "max_length": "验证码为 6 位数字"},
    )


class UserCreateForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    display_name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="手机号", max_length=20, required=False)
    password = forms.CharField(
        label="初始密码",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="居民账号可不设密码（使用手机验证码登录）",
    )
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    region_code = forms.CharField(label="所在区划代码", max_length=15)
    department = forms.CharField(label="部门", max_length=100, required=False)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )


class RoleAssignForm(forms.Form):
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    region_code = forms.CharField(label="所在区划代码", max_length=15)
    department = forms.CharField(label="部门", max_length=100, required=False)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )


class ApiTokenForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    region_code = forms.CharField(label="授权区划代码", max_length=15)
    can_write = forms.BooleanField(label="允许写入", required=False)
    expires_at = forms.DateTimeField(
        label="过期时间",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault(
                "class", "form-check-input" if name == "can_write" else "form-control"
            )
