"""Persons stored under an older field key are still found, deduplicated and decrypted after a new
key becomes current (keys rotate without downtime: core/crypto.py)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.db import connection

from onewindow.accounts import selectors, services
from onewindow.accounts.models import Person
from onewindow.accounts.testing import Principals
from onewindow.core import crypto

NEW_KEY = "rot3:cm90YXRpb24tdGVzdC1rZXktdGhpcmQtMDEyMzQ1Njc4OQ=="


def test_old_key_rows_are_found_after_a_new_key_becomes_current(principals: Principals, settings) -> None:  # type: ignore[no-untyped-def]
    person = principals.citizen.person
    old_kid = crypto.current_key().kid
    settings.ONEWINDOW_FIELD_KEYS = f"{NEW_KEY},{django_settings.ONEWINDOW_FIELD_KEYS}"
    assert crypto.current_key().kid == "rot3"
    stored = Person.objects.get(pk=person.pk)
    assert stored.id_number_hash.startswith(old_kid + "$")
    assert stored.id_number == person.id_number
    found = selectors.person_lookup_for(principals.clerk, person.id_number)
    assert [p.ref for p in found] == [person.ref]
    with pytest.raises(services.DomainError) as info:
        services.person_register(by=principals.clerk, name="重复", id_number=person.id_number, phone="13900001234")
    assert info.value.code == "person_exists"
    # A field written again is stored under the current key (the rest waits for core_rotate_keys).
    services.person_update(by=principals.clerk, person=person, phone="13900004321")
    updated = Person.objects.get(pk=person.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM accounts_person WHERE id = %s", [person.pk])
        raw_phone = cursor.fetchone()[0]
    assert updated.phone_hash.startswith("rot3$") and crypto.key_id_of(raw_phone) == "rot3"
    assert updated.phone == "13900004321" and updated.id_number_hash.startswith(old_kid + "$")
    assert [p.ref for p in selectors.person_lookup_for(principals.clerk, person.id_number)] == [person.ref]
