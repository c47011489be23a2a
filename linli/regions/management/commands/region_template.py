"""Write the region import template (XLSX with a 填写说明 sheet, or CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from linli.regions import io
from linli.regions.management.commands._common import output_format


class Command(BaseCommand):
    help = "生成区划导入模板（.xlsx 含“填写说明”，或 .csv）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="输出文件，.xlsx 或 .csv")

    def handle(self, *args: Any, **options: Any) -> None:
        target = options["file"]
        Path(target).write_bytes(io.region_template(output_format(target)))
        self.stdout.write(self.style.SUCCESS(f"模板已写入 {target}"))
