"""Audit of every change to a registered model: who, what, before/after, when, from where.

Apps call `audit.register(Model, pii_fields=...)` in their AppConfig.ready(). Saving and
deleting are observed through model signals, because every path that writes (services,
admin, imports, shell) must be covered; no business logic lives here.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

from linli.core.middleware import current_request
from linli.core.pii import mask_id_number, mask_phone

_registry: dict[type[models.Model], frozenset[str]] = {}
_EXCLUDED = {"created_at", "updated_at", "password", "last_login"}
_SNAPSHOT_ATTR = "_linli_audit_before"


def register(model: type[models.Model], *, pii_fields: tuple[str, ...] = ()) -> None:
    _registry[model] = frozenset(pii_fields)


def is_audited(model: type[models.Model]) -> bool:
    return model in _registry


def registered_models() -> dict[type[models.Model], frozenset[str]]:
    return dict(_registry)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return "<bytes>"
    return value


def _masked(field_name: str, value: Any) -> str:
    """The same masks the pages use, so a log reader sees what a page would show."""
    text = str(value or "")
    if not text:
        return ""
    if "id_number" in field_name:
        return mask_id_number(text)
    if "phone" in field_name:
        return mask_phone(text)
    return text[:1] + "****" if len(text) > 1 else "****"


def snapshot(instance: models.Model) -> dict[str, Any]:
    pii = _registry.get(type(instance), frozenset())
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in _EXCLUDED or field.name.endswith("_hash"):
            continue
        value = getattr(instance, field.attname)
        data[field.name] = _masked(field.name, value) if field.name in pii else _plain(value)
    return data


def write_entry(
    *,
    action: str,
    instance: models.Model,
    changes: dict[str, Any],
    reason: str = "",
    actor: Any = None,
) -> None:
    from linli.core.models import AuditEntry

    context = current_request.get()
    if actor is None and context is not None:
        actor = context.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    AuditEntry.objects.create(
        actor=actor,
        actor_label=str(actor) if actor else "系统",
        ip_address=context.ip_address if context else None,
        action=action,
        model_label=instance._meta.label,
        object_pk=str(instance.pk),
        object_repr=str(instance)[:200],
        region_code=_region_code_of(instance),
        changes=changes,
        reason=reason,
    )


def _region_code_of(instance: models.Model) -> str:
    field = getattr(instance, "scope_field", "region_code")
    if "__" in field:  # scoped through a relation (a user through their roles)
        value = type(instance)._default_manager.filter(pk=instance.pk).values_list(field, flat=True)
        return next((v for v in value if v), "") or ""
    return getattr(instance, field, "") or ""


def _before_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if sender not in _registry or kwargs.get("raw"):
        return
    before = None
    if instance.pk is not None:
        old = sender._default_manager.filter(pk=instance.pk).first()
        before = snapshot(old) if old is not None else None
    setattr(instance, _SNAPSHOT_ATTR, before)


def _after_save(
    sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any
) -> None:
    if sender not in _registry or kwargs.get("raw"):
        return
    before = getattr(instance, _SNAPSHOT_ATTR, None)
    after = snapshot(instance)
    if created or before is None:
        write_entry(action="create", instance=instance, changes={"after": after})
        return
    changed = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changed:
        write_entry(action="update", instance=instance, changes={"changed": changed})


def _after_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if sender in _registry:
        write_entry(action="delete", instance=instance, changes={"before": snapshot(instance)})


def connect_signals() -> None:
    pre_save.connect(_before_save, dispatch_uid="linli_audit_pre_save")
    post_save.connect(_after_save, dispatch_uid="linli_audit_post_save")
    post_delete.connect(_after_delete, dispatch_uid="linli_audit_post_delete")
