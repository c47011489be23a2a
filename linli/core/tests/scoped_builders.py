from itertools import count

from linli.core.models import AuditEntry
from linli.core.testing import ScopedBuilder

_serial = count(1)


def _entry(town) -> tuple[AuditEntry, str]:
    marker = f"审计对象{next(_serial)}"
    entry = AuditEntry.objects.create(
        action="update",
        model_label="regions.Region",
        object_pk="1",
        object_repr=marker,
        region_code=town.code,
    )
    return entry, marker


BUILDERS = {AuditEntry: ScopedBuilder(make=_entry)}
