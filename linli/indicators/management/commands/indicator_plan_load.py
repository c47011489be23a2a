"""`manage.py indicator_plan_load FILE|--builtin NAME`: load a county's plan (indicators and
targets) — all of it, or nothing with every error listed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from linli.core.errors import ValidationFailed
from linli.indicators import plans, services


class Command(BaseCommand):
    help = "导入本县规划的评估指标与目标值（JSON 文件，或内置规划 --builtin nanling-2025）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", help="规划文件（JSON）")
        parser.add_argument("--builtin", choices=sorted(plans.BUILTIN_PLANS), help="内置规划")
        parser.add_argument(
            "--deactivate-missing", action="store_true", help="停用文件中没有的指标"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["builtin"]:
            data = plans.builtin_plan(options["builtin"])
        elif options["file"]:
            try:
                data = plans.plan_parse(Path(options["file"]).read_bytes())
            except (OSError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
        else:
            raise CommandError("请给出规划文件，或使用 --builtin nanling-2025")
        try:
            created, updated, deactivated = services.plan_load(
                actor=None, data=data, deactivate_missing=options["deactivate_missing"]
            )
        except ValidationFailed as exc:
            raise CommandError("\n".join([exc.message, *(exc.detail or [])])) from exc
        self.stdout.write(
            self.style.SUCCESS(f"已导入：新增 {created}，更新 {updated}，停用 {deactivated}。")
        )
