"""The test helpers of sharing (``sharing.testing``) build what they promise."""

from __future__ import annotations

from onewindow.accounts.models import parse_token
from onewindow.sharing.choices import GrantStatus, RequestStatus, ResourceStatus
from onewindow.sharing.providers import PROVIDERS
from onewindow.sharing.testing import FAKE_PROVIDER, SharingWorld, version_terms_digest


def test_world_resource_and_grant(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    assert resource.code.startswith("TEST-310106-SCJ-")
    assert resource.status == ResourceStatus.PUBLISHED
    assert resource.current is not None
    assert resource.current.number == 1
    assert resource.current.digest == version_terms_digest(resource.current)
    assert resource.current.personal_field_names == ["legal_representative"]
    assert FAKE_PROVIDER in PROVIDERS
    grant, token = w.grant(resource, fields=["credit_code", "name"])
    assert grant.status == GrantStatus.ACTIVE
    assert grant.request.status == RequestStatus.APPROVED
    assert grant.request.number.startswith("GX")
    assert len(grant.request.number) == 12
    assert grant.fields == ["credit_code", "name"]
    assert grant.is_current()
    parsed = parse_token(token)
    assert parsed is not None
    assert parsed[0] == grant.token_prefix
    for name in ("provider_admin", "consumer_admin", "consumer_clerk", "outsider_admin", "admin", "token"):
        assert w.client(name) is not None
