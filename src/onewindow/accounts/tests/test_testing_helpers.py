"""The shared test helpers build valid data and every principal of the authorization matrix."""

from __future__ import annotations

import pytest
from stdnum.cn import ric, uscc

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import ApiToken, Mandate, StaffRole
from onewindow.accounts.testing import (
    PRINCIPAL_NAMES,
    Principals,
    make_credit_code,
    make_resident_id,
)


def test_generated_identifiers_are_valid() -> None:
    for _ in range(50):
        assert ric.is_valid(make_resident_id())
        assert uscc.is_valid(make_credit_code())


def test_principals_cover_the_matrix(principals: Principals) -> None:
    assert set(principals.users) == set(PRINCIPAL_NAMES) - {"anonymous", "device"}
    assert principals.agent.organization == principals.organization
    mandate = Mandate.objects.get(agent=principals.agent.person)
    assert mandate.principal_organization == principals.organization
    clerk_role = StaffRole.objects.get(user=principals.clerk)
    assert (clerk_role.role, clerk_role.department) == (StaffRoleKind.WINDOW_CLERK, principals.department)
    other = StaffRole.objects.get(user=principals.clerk_other_department)
    assert other.department == principals.other_department
    assert ApiToken.objects.get(pk=principals.device_token.pk).scopes == ["device"]
    assert principals.admin.is_superuser is True


@pytest.mark.django_db
def test_principals_are_reusable_in_one_test() -> None:
    from onewindow.accounts.testing import build_principals

    first = build_principals()
    assert first.district.code == "310106"
    assert first.client("anonymous").get("/healthz").status_code == 200
