"""Import a registry file (XLSX/CSV) all or nothing, with a progress bar and an error report."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.core.errors import ApplicationError
from linli.imports import files, services
from linli.imports.management.commands._progress import ProgressBar, actor_for
from linli.imports.models import ImportJob, Kind


class Command(BaseCommand):
    help = "从 XLSX/CSV 导入登记数据（全部正确才写入），显示进度，逐行报告错误"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=[k.value for k in Kind], help="数据类型")
        parser.add_argument("file", help="要导入的 .xlsx 或 .csv 文件")
        parser.add_argument("--user", help="以该用户的权限导入（默认：平台权限）")
        parser.add_argument("--report", help="有错误时把错误报告（原数据加“错误”列）写到此文件")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        principal, user = actor_for(options.get("user"))
        try:
            with path.open("rb") as source:
                job = services.import_job_create(
                    actor=principal,
                    user=user,
                    kind=options["kind"],
                    source=source,
                    filename=path.name,
                )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        bar = None if options["no_progress"] else ProgressBar(self.stderr._out)  # type: ignore[attr-defined,arg-type]
        job = services.import_job_execute(job_id=job.pk, progress=bar)
        if bar is not None:
            bar.done()
        if job.status == ImportJob.Status.SUCCEEDED:
            self.stdout.write(self.style.SUCCESS(job.message))
            return
        for item in job.report.get("errors", [])[:50]:
            self.stderr.write(f"第{item['row']}行：{'；'.join(item['messages'])}")
        if job.report.get("error_count", 0) > 50:
            self.stderr.write(f"……共 {job.report['error_count']} 行有错误")
        target = options.get("report")
        report_file = files.report_path(job.pk, job.file_format)
        if target and report_file.is_file():
            shutil.copyfile(report_file, target)
            self.stderr.write(f"错误报告已写入 {target}")
        raise CommandError(job.message)
