"""Admin of core: reference data is browsable, the audit trail is read-only."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model

from onewindow.core.actors import system_actor
from onewindow.core.audit import audit_record
from onewindow.core.models import AuditEntry, CalendarDay, Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser(username="root", password="x" * 12, email="r@example.org")
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", ["region", "department", "calendarday", "auditentry", "auditcheckpoint",
                                   "scheduledjob"])
def test_changelists_render(admin_client, model):
    Region.objects.create(code="310000", name="上海市", level="city")
    audit_record(actor=system_actor("tester"), action="test.write")
    assert admin_client.get(f"/admin/core/{model}/").status_code == 200


def test_audit_entries_cannot_be_added_changed_or_deleted_in_admin(admin_client):
    entry = audit_record(actor=system_actor("tester"), action="test.write")
    assert admin_client.get("/admin/core/auditentry/add/").status_code == 403
    response = admin_client.post(f"/admin/core/auditentry/{entry.pk}/change/", {"action": "forged"})
    assert response.status_code == 403
    assert admin_client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["test.write"]


def test_regions_cannot_be_added_or_deleted_in_admin(admin_client):
    region = Region.objects.create(code="310000", name="上海市", level="city")
    assert admin_client.get("/admin/core/region/add/").status_code == 403
    assert admin_client.post(f"/admin/core/region/{region.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Region.objects.count() == 1


def test_calendar_day_can_be_added_in_admin(admin_client):
    response = admin_client.post("/admin/core/calendarday/add/", {
        "date": "2027-10-01", "is_working_day": "", "name": "国庆节", "note": "国务院办公厅通知"})
    assert response.status_code == 302
    day = CalendarDay.objects.get()
    assert (day.date, day.is_working_day, day.name) == (datetime.date(2027, 10, 1), False, "国庆节")
