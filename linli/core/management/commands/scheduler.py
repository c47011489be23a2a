from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from linli.core.periodic import periodic_due


class Command(BaseCommand):
    help = "按各模块 tasks.py 中 PERIODIC 的间隔把周期任务放入后台队列（由 db_worker 执行）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="只检查一次后退出")
        parser.add_argument("--tick", type=float, default=30.0, help="检查间隔（秒）")

    def handle(self, *args: Any, once: bool, tick: float, **options: Any) -> None:
        last_runs: dict[str, float] = {}
        while True:
            for task in periodic_due(last_runs, time.monotonic()):
                task.enqueue()
                self.stdout.write(f"已排队：{task.module_path}")
            if once:
                return
            time.sleep(tick)
