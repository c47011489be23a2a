"""Import a region tree from an XLSX/CSV file, all or nothing, with a row-by-row report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.core.errors import ApplicationError
from linli.core.tabular import ImportFailed
from linli.regions import io, services
from linli.regions.management.commands._common import actor_for, output_format


class Command(BaseCommand):
    help = "从 XLSX/CSV 导入区划树（全部成功才写入），逐行报告错误"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="要导入的 .xlsx 或 .csv 文件")
        parser.add_argument("--user", help="以该用户的权限导入（默认：平台权限）")
        parser.add_argument("--report", help="把错误报告（原数据加“错误”列）写到此文件")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        actor = actor_for(options.get("user"))
        try:
            table, rows = io.region_table_read(path)
            report = services.region_tree_import(actor=actor, rows=rows)
        except ImportFailed as exc:
            for line in exc.report.lines():
                self.stderr.write(line)
            if options.get("report"):
                target = options["report"]
                data = io.region_error_report(output_format(target), table, exc.report)
                Path(target).write_bytes(data)
                self.stderr.write(f"错误报告已写入 {target}")
            raise CommandError(exc.message) from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        for line in report.lines():
            self.stdout.write(self.style.SUCCESS(line))
