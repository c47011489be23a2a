"""Background work of the living-circles module (run by `manage.py db_worker`).

Results follow their inputs two ways: a run queued when a network is imported or someone
asks for a recomputation, and the periodic refresh, which compares each layer's inputs with
what it was computed from and recomputes only the facility types that changed (a facility
opened, moved or closed; buildings added) — so no change is missed even without a hook in
every module that writes facilities or buildings.
"""

from __future__ import annotations

from django.tasks import task


@task()
def access_run_task(run_id: int) -> str:
    """Run one queued network import or recomputation; the run row records the outcome."""
    from linli.access.services import access_run_execute

    return access_run_execute(run_id=run_id).status


@task()
def access_refresh_stale() -> str:
    """Recompute what changed since the last computation, for every county that has results."""
    from linli.access.models import AccessLayer, AccessRun
    from linli.access.services import access_refresh
    from linli.regions.models import Region

    lines = []
    counties = Region.objects.filter(level=Region.Level.COUNTY)
    for county in counties:
        busy = AccessRun.objects.filter(
            county=county, status__in=(AccessRun.Status.QUEUED, AccessRun.Status.RUNNING)
        ).exists()
        if busy or not AccessLayer.objects.filter(county=county).exists():
            continue  # a run will do it, or nobody has asked for results yet
        lines.append(f"{county.name}：{access_refresh(county=county).line()}")
    return "\n".join(lines)


PERIODIC = [(access_refresh_stale, 600)]
