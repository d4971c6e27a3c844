"""Authorization matrix of the taxqr pages: exact status for every principal; refusals write nothing."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.core.models import AuditEntry
from onewindow.taxqr import services
from onewindow.taxqr.models import ArchiveFile, ClientDraft, TaxRecord

from .conftest import NOW, TaxWorld, codes_for, sample
from .test_api_matrix import client_for

pytestmark = pytest.mark.django_db

PEOPLE = ["citizen", "another_citizen", "agent", "clerk_other_department", "clerk", "tax_clerk", "other_tax_clerk",
          "admin"]
NON_TAX = ["citizen", "another_citizen", "agent", "clerk_other_department", "clerk"]


def _pages(s: dict[str, Any]) -> dict[str, dict[str, int]]:
    everyone = dict.fromkeys(PEOPLE, 200)
    return {
        "/tax/client/": everyone,
        "/tax/client/new/": everyone,
        f"/tax/client/{s['draft']}/": {**dict.fromkeys(PEOPLE, 404), "citizen": 200},
        "/tax/window/": {**dict.fromkeys(PEOPLE, 403), "tax_clerk": 200, "other_tax_clerk": 200},
        "/tax/records/": {**dict.fromkeys(NON_TAX, 403), "tax_clerk": 200, "other_tax_clerk": 200, "admin": 200},
        f"/tax/records/{s['record']}/": {**dict.fromkeys(NON_TAX, 403), "tax_clerk": 200, "other_tax_clerk": 404,
                                         "admin": 200},
        f"/tax/records/{s['record']}/?unmask=1": {**dict.fromkeys(NON_TAX, 403), "tax_clerk": 200,
                                                  "other_tax_clerk": 404, "admin": 200},
        "/tax/summary/?date=2017-07-25&format=xlsx": {**dict.fromkeys(NON_TAX, 403), "tax_clerk": 200,
                                                      "other_tax_clerk": 200, "admin": 200},
        "/tax/analysis/": {**dict.fromkeys(NON_TAX, 403), "tax_clerk": 200, "other_tax_clerk": 200, "admin": 200},
    }


@pytest.fixture
def made(world: TaxWorld) -> dict[str, Any]:
    draft = services.draft_save(by=world.principals.citizen, data=sample(300))
    record = services.record_capture(by=world.tax_clerk, text=codes_for(301)[0], now=NOW)
    return {"draft": draft.pk, "record": record.pk}


@pytest.mark.parametrize("actor", ["anonymous", *PEOPLE])
def test_page_matrix(world: TaxWorld, made: dict[str, Any], actor: str) -> None:
    client = client_for(world, actor)
    for path, expected in _pages(made).items():
        before = (TaxRecord.objects.count(), ClientDraft.objects.count(), ArchiveFile.objects.count(),
                  AuditEntry.objects.filter(action="personal_data.view").count())
        response = client.get(path)
        if actor == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), path
            assert before[2:] == (ArchiveFile.objects.count(),
                                  AuditEntry.objects.filter(action="personal_data.view").count())
            continue
        assert response.status_code == expected[actor], (path, actor)
        if response.status_code != 200:
            assert before == (TaxRecord.objects.count(), ClientDraft.objects.count(), ArchiveFile.objects.count(),
                              AuditEntry.objects.filter(action="personal_data.view").count())


def _posts(s: dict[str, Any]) -> dict[str, tuple[dict[str, str], dict[str, int]]]:
    return {
        "/tax/summary/": ({"date": "2017-07-25", "format": "pdf"},
                          {**dict.fromkeys(NON_TAX, 403), "tax_clerk": 200, "other_tax_clerk": 200, "admin": 422}),
        f"/tax/records/{s['record']}/sheet.pdf": ({}, {**dict.fromkeys(NON_TAX, 403), "tax_clerk": 200,
                                                      "other_tax_clerk": 404, "admin": 200}),
    }


@pytest.mark.parametrize("actor", ["anonymous", *PEOPLE])
def test_archive_posts_matrix(world: TaxWorld, made: dict[str, Any], actor: str) -> None:
    """Archiving (资料归档) is a POST: the bureau's staff (an admin names no bureau on the summary page)."""
    client = client_for(world, actor)
    for path, (body, expected) in _posts(made).items():
        before = ArchiveFile.objects.count()
        response = client.post(path, body)
        if actor == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), path
        else:
            assert response.status_code == expected[actor], (path, actor)
        assert ArchiveFile.objects.count() == before + (1 if response.status_code == 200 else 0), (path, actor)
