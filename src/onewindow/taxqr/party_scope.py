"""The taxqr app's answer to accounts' unmask scope (accounts.scope, docs/decisions/0007).

A person is in a viewer's scope through a tax record when their ID number (by keyed hash) is a
party's of a record captured by a bureau whose department is one of the viewer's, within the
scope period. :func:`record_parties_index` writes the party rows when a record is captured (and
the 0002 migration for existing records).
"""

from __future__ import annotations

from typing import Any

from onewindow.accounts.choices import PurposeKind
from onewindow.accounts.models import Person
from onewindow.accounts.scope import Purpose, Viewer
from onewindow.core import crypto
from onewindow.core.fields import normalize_for_hash

from .models import TaxRecord, TaxRecordParty


def parties_of(data: dict[str, Any]) -> list[tuple[str, str]]:
    """``(role, id_number)`` of every party in a record's data: sellers, buyers, their families."""
    found: list[tuple[str, str]] = []

    def add(role: str, person: Any) -> None:
        if isinstance(person, dict) and str(person.get("id_number", "")).strip():
            found.append((role, str(person["id_number"])))

    for seller in data.get("sellers") or []:
        add("seller", seller)
    for buyer in data.get("buyers") or []:
        add("buyer", buyer)
        family = buyer.get("family") if isinstance(buyer, dict) else None
        if isinstance(family, dict):
            add("spouse", family.get("spouse"))
            for child in family.get("children") or []:
                add("child", child)
    return found


def record_parties_index(record: TaxRecord, data: dict[str, Any]) -> None:
    """Write the party rows of a just-captured record (same transaction as the record)."""
    rows = {(role, crypto.keyed_hash(normalize_for_hash(number, "upper"))) for role, number in parties_of(data)}
    TaxRecordParty.objects.bulk_create([TaxRecordParty(record=record, role=role, id_number_hash=digest)
                                        for role, digest in sorted(rows)])


def tax_party_scope(viewer: Viewer, person: Person) -> Purpose | None:
    """The newest record of the viewer's bureaus that ``person`` is a party to, as a purpose."""
    if not person.id_number:
        return None
    row = (TaxRecordParty.objects
           .filter(id_number_hash__in=crypto.keyed_hash_candidates(normalize_for_hash(person.id_number, "upper")),
                   record__bureau__department_id__in=viewer.department_ids, record__saved_at__gte=viewer.since)
           .order_by("-record__saved_at")
           .values_list("record_id", "record__archive_no", "record__bureau__department_id").first())
    if row is None:
        return None
    pk, archive_no, department = row
    return Purpose(PurposeKind.TAX_RECORD, archive_no, department, pk)
