from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from linli.cases.services import case_sweep


class Command(BaseCommand):
    help = (
        "检查案件时限：标记超期并通知上级、临期提醒、自动关闭 7 天未评价的案件。"
        "可重复执行（幂等），建议每 5 分钟运行一次。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = case_sweep()
        self.stdout.write(f"案件时限检查完成：{report.line()}")
