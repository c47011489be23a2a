"""Export the region tree to an XLSX/CSV file in the import format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from linli.regions import io
from linli.regions.management.commands._common import actor_for, output_format


class Command(BaseCommand):
    help = "把区划树导出为 .xlsx 或 .csv（与导入模板格式相同）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="输出文件，.xlsx 或 .csv")
        parser.add_argument("--user", help="只导出该用户可见的区划（默认：全部）")

    def handle(self, *args: Any, **options: Any) -> None:
        target = options["file"]
        fmt = output_format(target)
        data = io.region_export(actor_for(options.get("user")), fmt)
        Path(target).write_bytes(data)
        self.stdout.write(self.style.SUCCESS(f"已导出到 {target}"))
