"""Factories for workers, posts, certificates and trainings.

worker = WorkerFactory(region=community)
PositionFactory(worker=worker, kind="secretary")          # held at the worker's region
CertificateFactory(worker=worker)                          # 助理社会工作师, no expiry
TrainingFactory(worker=worker, days=3, is_rotation=True)   # today
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from linli.workforce.models import Certificate, Position, Training, Worker


class WorkerFactory(DjangoModelFactory):
    class Meta:
        model = Worker

    region = factory.SubFactory("linli.regions.tests.factories.RegionFactory")
    name = factory.Faker("name", locale="zh_CN")
    is_active = True


class PositionFactory(DjangoModelFactory):
    class Meta:
        model = Position

    worker = factory.SubFactory(WorkerFactory)
    region = factory.SelfAttribute("worker.region")
    kind = Position.Kind.FULL_TIME
    started_on = date(2021, 1, 1)


class CertificateFactory(DjangoModelFactory):
    class Meta:
        model = Certificate

    worker = factory.SubFactory(WorkerFactory)
    region = factory.SelfAttribute("worker.region")
    kind = Certificate.Kind.ASSISTANT_SOCIAL_WORKER
    number = factory.Sequence(lambda n: f"ZS{n:06d}")
    issued_on = date(2022, 6, 1)


class TrainingFactory(DjangoModelFactory):
    class Meta:
        model = Training

    worker = factory.SubFactory(WorkerFactory)
    region = factory.SelfAttribute("worker.region")
    course = factory.Sequence(lambda n: f"培训课程{n}")
    days = Decimal(1)
    started_on = factory.LazyFunction(timezone.localdate)
