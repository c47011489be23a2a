from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from linli.accounts.models import Role
from linli.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "列出演示账号（用户名、角色、区划、登录方式）。"

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("")
        self.stdout.write("演示账号 / Demo accounts  —  http://127.0.0.1:8000/")
        for spec in DEMO_ACCOUNTS:
            how = (
                f"手机 {spec.phone} + 验证码（控制台打印）"
                if spec.role == Role.RESIDENT
                else f"密码 {DEMO_PASSWORD}"
            )
            self.stdout.write(
                f"  {spec.username:<10} {Role(spec.role).label:<8} {spec.region_name:<10} {how}"
            )
        self.stdout.write("")
