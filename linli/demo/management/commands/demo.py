from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from linli.demo.accounts import build_demo_accounts
from linli.regions.demo import build_demo_regions
from linli.regions.models import Region


class Command(BaseCommand):
    help = "生成演示县（南陵县）：区划树、网格和各角色演示账号。可重复执行。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scale", choices=["small", "full"], default="small")
        parser.add_argument("--if-empty", action="store_true", help="数据库中已有区划时什么也不做")

    def handle(self, *args: Any, scale: str, if_empty: bool, **options: Any) -> None:
        if if_empty and Region.objects.exists():
            self.stdout.write("演示数据已存在，跳过生成。")
            return
        summary = build_demo_regions()
        build_demo_accounts()
        self.stdout.write(self.style.SUCCESS(f"演示县已生成（{scale}）：{summary}"))
