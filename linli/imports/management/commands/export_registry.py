"""Export a registry to XLSX/CSV (PII masked, formulas neutralised), with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.core.errors import ApplicationError
from linli.core.tabular import format_of
from linli.imports import services
from linli.imports.management.commands._progress import ProgressBar, actor_for
from linli.imports.models import Kind


class Command(BaseCommand):
    help = "把登记数据导出为 XLSX/CSV（身份证号、电话脱敏），显示进度"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=[k.value for k in Kind], help="数据类型")
        parser.add_argument("file", help="输出文件（.xlsx 或 .csv）")
        parser.add_argument("--user", help="以该用户的权限导出（默认：平台权限）")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["file"])
        if target.suffix.lower() not in (".xlsx", ".csv"):
            raise CommandError("文件名应以 .xlsx 或 .csv 结尾")
        principal, _user = actor_for(options.get("user"))
        kind = options["kind"]
        try:
            total = services.export_count(principal, kind)
            bar = None if options["no_progress"] else ProgressBar(self.stderr._out)  # type: ignore[attr-defined,arg-type]
            data = services.export_write(
                principal=principal,
                kind=kind,
                fmt=format_of(target.name),
                progress=(lambda n: bar("exporting", n, total)) if bar else None,
            )
            if bar is not None:
                bar.done()
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        target.write_bytes(data)
        self.stdout.write(self.style.SUCCESS(f"已导出 {total} 行到 {target}"))
