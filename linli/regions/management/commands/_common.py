"""Shared bits of the region commands: who acts, and the file format from the name."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from linli.core.scoping import Scope
from linli.core.tabular import Format, format_of

# Run from the server's shell, a command acts for the platform unless --user says otherwise.
SYSTEM_SCOPE = Scope(is_global=True, can_write=True)


def actor_for(username: str | None) -> Any:
    if not username:
        return SYSTEM_SCOPE
    # get_user_model, not accounts.models: regions depends on core only.
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"用户 {username} 不存在或已停用")
    return user


def output_format(path: str) -> Format:
    if not path.lower().endswith((".xlsx", ".csv")):
        raise CommandError("文件名应以 .xlsx 或 .csv 结尾")
    return format_of(path)
