from itertools import count

from linli.core.testing import ScopedBuilder
from linli.imports import files
from linli.imports.models import ImportJob, Kind

_serial = count(1)


def _export_job(town) -> tuple[ImportJob, str]:
    """A finished export of buildings in `town`, with its (tiny) file on disk."""
    n = next(_serial)
    job = ImportJob.objects.create(
        region=town,
        operation=ImportJob.Operation.EXPORT,
        kind=Kind.BUILDINGS,
        file_format="csv",
        filename=f"楼栋导出-测试{n}-{town.code}.csv",
        status=ImportJob.Status.SUCCEEDED,
        scope_prefixes=[town.prefix],
        message="导出完成：共 0 行",
    )
    files.write_atomically(files.export_path(job.pk, "csv"), "\ufeff所在区划代码\r\n".encode())
    return job, job.filename


BUILDERS = {ImportJob: ScopedBuilder(make=_export_job)}
