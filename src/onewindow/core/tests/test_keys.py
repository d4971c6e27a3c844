"""Field-key rotation: lookups work before and after, rotation is idempotent, commands print."""

from __future__ import annotations

import base64
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from onewindow.core import crypto
from onewindow.core.keys import models_with_protected_fields, rotate_field_keys

OLD = "test1:dGVzdC1maWVsZC1rZXktZmlyc3QtMDEyMzQ1Njc4OWE="
NEW = "test2:dGVzdC1maWVsZC1rZXktc2Vjb25kLTAxMjM0NTY3ODk="
ID_NUMBER = "31010619900101123X"


def person_model():
    # Looked up by name: core imports no domain app (import-linter contract).
    return apps.get_model("accounts", "Person")


def raw_columns(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, id_number_hash, phone, phone_hash FROM accounts_person WHERE id = %s",
                       [pk])
        return cursor.fetchone()


@pytest.mark.django_db
def test_rotation_moves_rows_to_the_current_key_and_lookups_keep_working(settings):
    Person = person_model()
    settings.ONEWINDOW_FIELD_KEYS = OLD
    old = Person.objects.create(name="张三", id_number=ID_NUMBER, phone="13812345678")
    other = Person.objects.create(name="李四", id_number="310101198001010016", phone="")
    assert {crypto.key_id_of(v) for v in raw_columns(old.pk)} == {"test1"}

    settings.ONEWINDOW_FIELD_KEYS = f"{NEW},{OLD}"
    found = Person.objects.get(id_number_hash__in=crypto.keyed_hash_candidates(ID_NUMBER))
    assert found.pk == old.pk and found.id_number == ID_NUMBER
    assert not Person.objects.filter(id_number_hash=crypto.keyed_hash(ID_NUMBER)).exists()

    counts = rotate_field_keys(models_to_rotate=[Person], batch_size=1)
    assert [(c.model, c.scanned, c.rotated) for c in counts] == [("accounts.Person", 2, 2)]
    assert {crypto.key_id_of(v) for v in raw_columns(old.pk)} == {"test2"}
    assert raw_columns(other.pk)[2:] == ("", "")

    settings.ONEWINDOW_FIELD_KEYS = NEW
    rotated = Person.objects.get(id_number_hash=crypto.keyed_hash(ID_NUMBER))
    assert (rotated.pk, rotated.id_number, rotated.phone) == (old.pk, ID_NUMBER, "13812345678")
    assert Person.objects.get(phone_hash=crypto.keyed_hash("13812345678")).pk == old.pk

    again = rotate_field_keys(models_to_rotate=[Person])
    assert [(c.scanned, c.rotated) for c in again] == [(2, 0)]


@pytest.mark.django_db
def test_rotation_command_reports_every_protected_model(settings):
    Person = person_model()
    settings.ONEWINDOW_FIELD_KEYS = OLD
    Person.objects.create(name="张三", id_number=ID_NUMBER, phone="13812345678")
    settings.ONEWINDOW_FIELD_KEYS = f"{NEW},{OLD}"
    assert Person in models_with_protected_fields()
    out = io.StringIO()
    call_command("core_rotate_keys", stdout=out)
    lines = out.getvalue().splitlines()
    assert "accounts.Person: 1 rows scanned, 1 re-encrypted" in lines
    assert lines[-1] == "current key test2: 1 rows re-encrypted"
    out = io.StringIO()
    call_command("core_rotate_keys", stdout=out)
    assert out.getvalue().splitlines()[-1] == "current key test2: 0 rows re-encrypted"


def test_new_field_key_prints_a_usable_entry(settings):
    out = io.StringIO()
    call_command("core_new_field_key", "k2027", stdout=out)
    spec = out.getvalue().strip()
    kid, _, encoded = spec.partition(":")
    assert kid == "k2027"
    assert len(base64.b64decode(encoded)) == 32
    settings.ONEWINDOW_FIELD_KEYS = f"{spec},{OLD}"
    token = crypto.encrypt("13812345678")
    assert crypto.key_id_of(token) == "k2027"
    assert crypto.decrypt(token) == "13812345678"


def test_new_field_key_refuses_a_bad_key_id():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="may not contain"):
        call_command("core_new_field_key", "a$b", stdout=io.StringIO())
