"""grant_register_remote: the consumer installation records a grant another installation issued
(an approved request and an active grant, the other side's token encrypted); who may, and every
refusal leaving nothing written."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from onewindow.core import crypto
from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.sharing.choices import AdapterKind, GrantStatus, Purpose, RequestStatus, ResourceKind
from onewindow.sharing.models import AccessEvent, AccessRequest, Grant
from onewindow.sharing.services.remote_grants import grant_register_remote
from onewindow.sharing.testing import SharingWorld, make_resource

from .peer_world import GRANTED, HOUSE_FIELDS, REMOTE_CODE, REMOTE_TOKEN

ENDPOINT = "http://127.0.0.1:8101/api/v1/sharing/peer/exchange"


@pytest.fixture
def remote_resource(sharing_world: SharingWorld) -> Any:
    return make_resource(sharing_world.outsider, fields=HOUSE_FIELDS, name="房屋登记信息", kind=ResourceKind.DATASET,
                         adapter=AdapterKind.HTTP, endpoint=ENDPOINT, remote_code=REMOTE_CODE)


def register(world: SharingWorld, resource: Any, by: Any = None, **overrides: Any) -> Grant:
    today = timezone.localdate()
    values: dict[str, Any] = {
        "by": by if by is not None else world.consumer_admin, "resource": resource,
        "consumer_department": world.consumer, "purpose": Purpose.CASE_HANDLING, "fields": list(GRANTED),
        "valid_from": today, "valid_to": today + datetime.timedelta(days=90), "rate_per_minute": 30,
        "remote_token": REMOTE_TOKEN,
    }
    values.update(overrides)
    return grant_register_remote(**values)


def counts() -> tuple[int, int, int, int]:
    return (AccessRequest.objects.count(), Grant.objects.count(), AccessEvent.objects.count(),
            AuditEntry.objects.filter(action="sharing.grant_register_remote").count())


def test_the_grant_is_recorded_with_the_other_sides_token_encrypted(sharing_world: SharingWorld,
                                                                    remote_resource: Any) -> None:
    grant = register(sharing_world, remote_resource)

    grant.refresh_from_db()
    assert (grant.status, grant.purpose, grant.fields, grant.rate_per_minute, grant.consumer_department_id) == (
        GrantStatus.ACTIVE, Purpose.CASE_HANDLING, GRANTED, 30, sharing_world.consumer.pk)
    assert REMOTE_TOKEN not in grant.remote_token
    assert crypto.decrypt(grant.remote_token) == REMOTE_TOKEN
    assert grant.token_prefix not in REMOTE_TOKEN and len(grant.token_hash) == 64
    request = grant.request
    assert (request.status, request.number[:6], request.created_by, request.version_id) == (
        RequestStatus.APPROVED, f"GX{timezone.now().year}", sharing_world.consumer_admin, remote_resource.current_id)
    assert list(AccessEvent.objects.values_list("action", "note")) == [("remote_registered", ENDPOINT)]
    audit = AuditEntry.objects.get(action="sharing.grant_register_remote")
    assert audit.after is not None and audit.after["remote_token"] == "ow_***"
    assert REMOTE_TOKEN not in str(audit.after)


@pytest.mark.parametrize("principal", ["consumer_admin", "consumer_clerk", "admin"])
def test_requesters_of_the_consumer_and_system_admins_may_register(sharing_world: SharingWorld,
                                                                   remote_resource: Any, principal: str) -> None:
    register(sharing_world, remote_resource, by=sharing_world.user(principal))
    assert counts() == (1, 1, 1, 1)


def test_the_system_may_register(sharing_world: SharingWorld, remote_resource: Any) -> None:
    grant = register(sharing_world, remote_resource, by=system_actor("sharing.demo"))
    assert grant.request.created_by is None
    assert AccessEvent.objects.get().by_label == "sharing.demo"


@pytest.mark.parametrize("principal", ["citizen", "clerk", "outsider_admin", "provider_admin", "provider_clerk"])
def test_others_may_not(sharing_world: SharingWorld, remote_resource: Any, principal: str) -> None:
    with pytest.raises(DomainError) as caught:
        register(sharing_world, remote_resource, by=sharing_world.user(principal))
    assert (caught.value.code, caught.value.status) == ("sharing_forbidden", 403)
    assert counts() == (0, 0, 0, 0)


def test_an_in_process_resource_is_not_a_remote_one(sharing_world: SharingWorld) -> None:
    with pytest.raises(DomainError) as caught:
        register(sharing_world, sharing_world.resource())
    assert (caught.value.code, caught.value.status) == ("sharing_resource_not_remote", 422)
    assert counts() == (0, 0, 0, 0)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"purpose": "marketing"}, "purpose"),
    ({"fields": ["cert_no", "tax_id"]}, "fields"),
    ({"fields": []}, "fields"),
    ({"valid_to": timezone.localdate() - datetime.timedelta(days=1)}, "valid_to"),
    ({"rate_per_minute": 0}, "rate_per_minute"),
    ({"remote_token": "secret"}, "remote_token"),
])
def test_a_bad_scope_is_refused_writing_nothing(sharing_world: SharingWorld, remote_resource: Any,
                                                overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(DomainError) as caught:
        register(sharing_world, remote_resource, **overrides)
    assert (caught.value.code, caught.value.status, list(caught.value.fields)) == (
        "sharing_remote_grant_invalid", 422, [field])
    assert counts() == (0, 0, 0, 0)


def test_the_command_records_the_grant_reading_the_token_from_a_file(
        sharing_world: SharingWorld, remote_resource: Any, tmp_path: Any) -> None:
    token_file = tmp_path / "token.txt"
    token_file.write_text(REMOTE_TOKEN + "\n")
    out = io.StringIO()
    call_command("sharing_remote_grant", str(token_file), "--resource", remote_resource.code, "--department",
                 sharing_world.consumer.code, "--purpose", "case_handling", "--fields", "cert_no, district",
                 "--valid-from", "2026-01-01", "--valid-to", "2026-12-31", "--rate", "20", stdout=out)
    grant = Grant.objects.get()
    assert (grant.fields, grant.rate_per_minute, grant.valid_from, grant.valid_to) == (
        ["cert_no", "district"], 20, datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    assert crypto.decrypt(grant.remote_token) == REMOTE_TOKEN
    assert REMOTE_TOKEN not in out.getvalue()
    assert out.getvalue().startswith(f"grant {grant.pk} ({grant.request.number}) recorded: {remote_resource.code}")
    assert AccessEvent.objects.get().by_label == "sharing_remote_grant"


def test_the_command_refuses_writing_nothing(sharing_world: SharingWorld, remote_resource: Any,
                                             tmp_path: Any) -> None:
    token_file = tmp_path / "token.txt"
    token_file.write_text(REMOTE_TOKEN)
    common = ["--department", sharing_world.consumer.code, "--purpose", "case_handling", "--valid-from",
              "2026-01-01", "--valid-to", "2026-12-31"]
    with pytest.raises(CommandError, match="sharing_remote_grant_invalid"):
        call_command("sharing_remote_grant", str(token_file), "--resource", remote_resource.code, "--fields",
                     "owner_id", *common)
    with pytest.raises(CommandError, match="not found"):
        call_command("sharing_remote_grant", str(token_file), "--resource", "NO-SUCH-0001", "--fields", "cert_no",
                     *common)
    with pytest.raises(CommandError, match="not a date"):
        call_command("sharing_remote_grant", str(token_file), "--resource", remote_resource.code, "--fields",
                     "cert_no", *common[:6], "--valid-to", "31/12/2026")
    assert counts() == (0, 0, 0, 0)
