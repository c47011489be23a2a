from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from linli.core.pii import EncryptedTextField


class Command(BaseCommand):
    help = (
        "用 LINLI_PII_KEYS 中的第一个（最新）密钥重新加密所有敏感字段。"
        "轮换密钥：把新密钥放在最前面，运行本命令，确认后再删除旧密钥。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for model in apps.get_models():
            fields = [
                f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)
            ]
            if not fields:
                continue
            count = 0
            with transaction.atomic():
                # Reading decrypts with any listed key; saving encrypts with the newest one.
                for row in model._default_manager.only("pk", *fields).iterator(chunk_size=2000):
                    model._default_manager.filter(pk=row.pk).update(
                        **{name: getattr(row, name) for name in fields}
                    )
                    count += 1
            self.stdout.write(f"{model._meta.label}: 已重新加密 {count} 行")
