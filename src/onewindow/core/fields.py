"""Model fields for personal data: encrypted text and its keyed-hash lookup column.

``EncryptedTextField`` encrypts on the way to the database and decrypts on the way back, so a
value is never in clear at rest. ``KeyedHashField(source=...)`` recomputes the lookup hash
from its source field whenever the row is saved, so the two can never disagree.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """Text stored as ``kid$base64(nonce|ciphertext)``; empty stays empty."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))


class KeyedHashField(models.CharField):
    """Keyed hash (HMAC-SHA256) of another field, for exact lookup of encrypted values."""

    def __init__(self, *args: Any, source: str = "", normalize: str = "", **kwargs: Any) -> None:
        self.source = source
        self.normalize = normalize
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if self.normalize:
            kwargs["normalize"] = self.normalize
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        raw = getattr(model_instance, self.source)
        value = crypto.keyed_hash(normalize_for_hash(raw, self.normalize)) if raw else ""
        setattr(model_instance, self.attname, value)
        return value


def normalize_for_hash(value: str, how: str = "") -> str:
    value = str(value).strip()
    if how == "upper":
        return value.upper()
    return value
