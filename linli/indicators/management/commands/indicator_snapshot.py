"""`manage.py indicator_snapshot`: store this month's indicator snapshot (run daily by cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from linli.indicators.tasks import indicator_snapshot_month, snapshot_month


class Command(BaseCommand):
    help = (
        "计算全部指标并保存为月度快照（默认本月；重复执行覆盖本月快照）。"
        "建议每日由 cron/systemd 定时执行：manage.py indicator_snapshot --enqueue"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--period", help="统计月份 YYYY-MM（默认本月）")
        parser.add_argument(
            "--enqueue", action="store_true", help="交给后台任务（db_worker）执行，而不是立即计算"
        )

    def handle(self, *args: Any, period: str | None, enqueue: bool, **options: Any) -> None:
        if enqueue:
            indicator_snapshot_month.enqueue(period)
            self.stdout.write("已提交快照任务。")
            return
        rows = snapshot_month(period)
        self.stdout.write(self.style.SUCCESS(f"已保存 {rows} 条指标值。"))
