"""Login (staff: password; residents: phone + code), logout, users, roles and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts import selectors, services
from linli.accounts.forms import (
    ApiTokenForm,
    PhoneCodeForm,
    PhoneForm,
    RoleAssignForm,
    StaffLoginForm,
    UserCreateForm,
)
from linli.accounts.models import Role
from linli.core.errors import ApplicationError
from linli.core.pii import normalize_phone
from linli.core.views_support import AuthedRequest, admin_required
from linli.regions.selectors import region_get_visible


class StaffLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = StaffLoginForm
    redirect_authenticated_user = True


def resident_login(request: AuthedRequest) -> HttpResponse:
    """Two steps on one page: send a code to the phone, then log in with it."""
    phone_form = PhoneForm(request.POST or None)
    # The code box is always posted; only the 登录 button asks for the code to be checked.
    code_form = PhoneCodeForm(request.POST if "login" in request.POST else None)
    countdown = 0
    if request.method == "POST" and "send" in request.POST and phone_form.is_valid():
        try:
            services.phone_code_send(phone=phone_form.cleaned_data["phone"])
        except ApplicationError as exc:
            phone_form.add_error("phone", exc.message)
        else:
            messages.success(request, _("验证码已发送，请查看短信。"))
            countdown = settings.PHONE_CODE_MIN_INTERVAL_SECONDS
            code_form = PhoneCodeForm(initial={"phone": phone_form.cleaned_data["phone"]})
    elif request.method == "POST" and "login" in request.POST and code_form.is_valid():
        user = authenticate(
            request,
            phone=normalize_phone(code_form.cleaned_data["phone"]),
            code=code_form.cleaned_data["code"],
        )
        if user is None:
            code_form.add_error("code", _("验证码不正确或已过期，请重新获取"))
        else:
            login(request, user, backend="linli.accounts.backends.PhoneCodeBackend")
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "accounts/resident_login.html",
        {"phone_form": phone_form, "code_form": code_form, "countdown": countdown},
    )


@admin_required
def user_list(request: AuthedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    users = selectors.user_list(request.user, query=query, role=role)
    page = Paginator(users, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/user_list.html",
        {"page": page, "query": query, "role": role, "roles": Role.choices},
    )


@admin_required
def user_create(request: AuthedRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            region = region_get_visible(request.user, data["region_code"])
            user = services.user_create(
                actor=request.user,
                username=data["username"],
                display_name=data["display_name"],
                password=data["password"] or None,
                phone=data["phone"],
                role=data["role"],
                region=region,
                department=data["department"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已创建账号“{user}”。")
            return redirect("accounts:user_detail", user_id=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


@admin_required
def user_detail(request: AuthedRequest, user_id: int) -> HttpResponse:
    target = selectors.user_get_visible(request.user, user_id)
    form = RoleAssignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            region = region_get_visible(request.user, data["region_code"])
            services.role_assign(
                actor=request.user,
                user=target,
                role=data["role"],
                region=region,
                department=data["department"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已分配角色。")
            return redirect("accounts:user_detail", user_id=target.pk)
    return render(
        request,
        "accounts/user_detail.html",
        {"target": target, "roles": selectors.user_roles(target), "form": form},
    )


@admin_required
@require_POST
def role_revoke(request: AuthedRequest, user_id: int, assignment_id: int) -> HttpResponse:
    target = selectors.user_get_visible(request.user, user_id)
    try:
        services.role_revoke(actor=request.user, assignment_id=assignment_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已撤销角色。")
    return redirect("accounts:user_detail", user_id=target.pk)


@admin_required
@require_POST
def user_toggle_active(request: AuthedRequest, user_id: int) -> HttpResponse:
    target = selectors.user_get_visible(request.user, user_id)
    try:
        services.user_set_active(actor=request.user, user=target, is_active=not target.is_active)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已启用账号。" if target.is_active else "已停用账号。")
    return redirect("accounts:user_detail", user_id=target.pk)


@admin_required
def token_list(request: AuthedRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            region = region_get_visible(request.user, data["region_code"])
            _, new_key = services.api_token_create(
                actor=request.user,
                name=data["name"],
                region=region,
                can_write=data["can_write"],
                expires_at=data["expires_at"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            form = ApiTokenForm()
    return render(
        request,
        "accounts/token_list.html",
        {"tokens": selectors.api_token_list(request.user), "form": form, "new_key": new_key},
    )


@admin_required
@require_POST
def token_revoke(request: AuthedRequest, token_id: int) -> HttpResponse:
    try:
        services.api_token_revoke(actor=request.user, token_id=token_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "令牌已吊销。")
    return redirect("accounts:token_list")
