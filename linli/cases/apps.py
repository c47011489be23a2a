from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "linli.cases"
    label = "cases"
    verbose_name = "接诉即办"

    def ready(self) -> None:
        from linli.cases.models import (
            CaseAssignment,
            CaseCategory,
            TimeLimit,
            WorkdayOverride,
        )
        from linli.core import audit

        # A case changes only through its services, each of which appends an immutable
        # CaseEvent (who, when, from → to, IP-free): that history is the case's audit trail,
        # so the generic audit signal is not attached to Case (ADR 0075).
        audit.register(CaseAssignment)
        audit.register(CaseCategory)
        audit.register(TimeLimit)
        audit.register(WorkdayOverride)
