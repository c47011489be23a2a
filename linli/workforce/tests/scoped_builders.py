from datetime import date
from itertools import count

from linli.core.testing import ScopedBuilder
from linli.regions.models import Region
from linli.workforce.models import Certificate, Position, Training, Worker

_serial = count(1)


def _worker(town: Region) -> tuple[Worker, str]:
    name = f"测试工作者{next(_serial)}"
    return Worker.objects.create(region=town, name=name), name


def _worker_payload(town: Region) -> dict:
    return {"region_code": town.code, "name": f"新工作者{next(_serial)}"}


def _position(town: Region) -> tuple[Position, str]:
    worker, name = _worker(town)
    return Position.objects.create(worker=worker, region=town, kind="full_time"), name


def _position_payload(town: Region) -> dict:
    worker, _ = _worker(town)
    return {"worker_id": worker.pk, "kind": "grid_worker"}


def _certificate(town: Region) -> tuple[Certificate, str]:
    worker, _ = _worker(town)
    number = f"CERT{next(_serial):05d}"
    certificate = Certificate.objects.create(
        worker=worker, region=town, kind="assistant", number=number, issued_on=date(2023, 1, 1)
    )
    return certificate, number


def _certificate_payload(town: Region) -> dict:
    worker, _ = _worker(town)
    return {"worker_id": worker.pk, "kind": "assistant", "issued_on": "2023-01-01"}


def _training(town: Region) -> tuple[Training, str]:
    worker, _ = _worker(town)
    course = f"测试培训{next(_serial)}"
    training = Training.objects.create(
        worker=worker, region=town, course=course, days=1, started_on=date(2024, 3, 1)
    )
    return training, course


def _training_payload(town: Region) -> dict:
    worker, _ = _worker(town)
    return {"worker_id": worker.pk, "course": "新培训", "days": 1, "started_on": "2024-03-01"}


BUILDERS = {
    Worker: ScopedBuilder(make=_worker, create_payload=_worker_payload),
    Position: ScopedBuilder(make=_position, create_payload=_position_payload),
    Certificate: ScopedBuilder(make=_certificate, create_payload=_certificate_payload),
    Training: ScopedBuilder(make=_training, create_payload=_training_payload),
}
