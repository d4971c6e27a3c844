"""Issue #9 point 1: a staff user going above the soft limit of unmasked person views raises an
in-app message to every system admin (accounts.unmask alert hook, filled by this app)."""

from __future__ import annotations

from typing import Any

from django.test import override_settings

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.testing import StaffRoleFactory, UserFactory, fresh_reauth
from onewindow.cases.testing import CaseWorld
from onewindow.notifications.models import Message


@override_settings(ACCOUNTS_UNMASK_SOFT_LIMIT=1, ACCOUNTS_UNMASK_HARD_LIMIT=10)
def test_soft_limit_alert_is_an_inapp_message_to_each_system_admin(
        case_world: CaseWorld, django_capture_on_commit_callbacks: Any) -> None:
    p = case_world.p
    case_world.submitted()
    second_admin = UserFactory.create(username="p_admin_2")
    StaffRoleFactory.create(user=second_admin, role=StaffRoleKind.SYSTEM_ADMIN, department=None)
    client = fresh_reauth(p.client("clerk"), p.clerk)
    url = f"/api/v1/accounts/persons/{p.citizen.person.ref}?unmask=true"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(url).status_code == 200
    assert not Message.objects.filter(event="unmask_rate_alert").exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(url).status_code == 200  # the second view goes above the soft limit of 1
    alerts = Message.objects.filter(event="unmask_rate_alert").order_by("user_id")
    assert [(m.user_id, m.channel, m.phone) for m in alerts] == [
        (p.admin.pk, "inapp", ""), (second_admin.pk, "inapp", "")]
    assert all(p.clerk.username in m.text and "2" in m.text for m in alerts)
    assert p.citizen.person.id_number not in alerts[0].text and p.citizen.person.name not in alerts[0].text
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(url).status_code == 200  # still above: no second alert within the hour
    assert Message.objects.filter(event="unmask_rate_alert").count() == 2
