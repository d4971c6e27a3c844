"""Unmasking a legal representative leaves a trace the person can see (PIPL art. 45; issue #11
part 4): where the registry's ID number is a known Person's, the view is a PersonAccess row with
the purpose 市场主体登记, the entity's credit code and the viewer's department, shown on the
person's /accounts/me/access-log/. A number no Person has writes the audit entry only. The hourly
limit of unmasked views still holds, and a refused view writes no access row."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.accounts.models import Person, PersonAccess
from onewindow.accounts.selectors import access_log_for
from onewindow.core.actors import system_actor
from onewindow.core.errors import RateLimited
from onewindow.core.models import AuditEntry
from onewindow.market.selectors import entity_unmasked_for
from onewindow.market.services import entity_register
from onewindow.market.testing import RegistryWorld, entity_row

pytestmark = pytest.mark.django_db
SYSTEM = system_actor("test_unmask_access")


def register(**overrides: Any) -> str:
    row = entity_row(**overrides)
    entity_register(by=SYSTEM, data=row)
    return str(row["credit_code"])


def citizen_person(w: RegistryWorld) -> Person:
    person = w.user("citizen").person
    assert person is not None
    return person


def test_a_known_person_sees_the_view_on_their_access_log(registry_world: RegistryWorld) -> None:
    w = registry_world
    person = citizen_person(w)
    # The registry may hold the number with a lower-case check character: the lookup normalises it.
    code = register(name="上海静安法人查阅测试有限公司", legal_rep_id_number=person.id_number.lower())
    regulator = w.user("regulator")
    entity_unmasked_for(regulator, code)
    rows = list(
        PersonAccess.objects.values_list(
            "person_id", "viewer_id", "viewer_role", "department_id", "purpose_kind", "purpose_reference"
        )
    )
    assert rows == [(person.pk, regulator.pk, "regulator", w.p.other_department.pk, "market_entity", code)]
    log = access_log_for(w.user("citizen"))
    assert log.count == 1
    assert (log.items[0].get_purpose_kind_display(), log.items[0].department) == ("市场主体登记", w.p.other_department)
    page = w.client("citizen").get("/accounts/me/access-log/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "市场主体登记" in html and code in html and w.p.other_department.name in html
    assert AuditEntry.objects.filter(action="personal_data.view").count() == 1


def test_a_number_no_person_has_writes_only_the_audit_entry(registry_world: RegistryWorld) -> None:
    w = registry_world
    code = register(name="上海静安无名法人测试有限公司")
    profile = entity_unmasked_for(w.user("regulator"), code)
    assert len(profile.legal_rep_id_number) == 18
    assert PersonAccess.objects.count() == 0
    entry = AuditEntry.objects.get(action="personal_data.view")
    assert entry.after["purpose"]["reference"] == code
    assert access_log_for(w.user("citizen")).count == 0


def test_the_hourly_limit_still_counts(registry_world: RegistryWorld, settings: Any) -> None:
    w = registry_world
    person = citizen_person(w)
    code = register(name="上海静安限次查阅测试有限公司", legal_rep_id_number=person.id_number)
    settings.ACCOUNTS_UNMASK_HARD_LIMIT = 2
    regulator = w.user("regulator")
    entity_unmasked_for(regulator, code)
    entity_unmasked_for(regulator, code)
    assert PersonAccess.objects.filter(person=person).count() == 2
    with pytest.raises(RateLimited) as refused:
        entity_unmasked_for(regulator, code)
    assert (refused.value.code, refused.value.status) == ("unmask_rate_limited", 429)
    assert PersonAccess.objects.filter(person=person).count() == 2
    assert AuditEntry.objects.filter(action="personal_data.view").count() == 2
    assert list(AuditEntry.objects.filter(action="personal_data.view_refused").values_list("after", flat=True)) == [
        {"code": "unmask_rate_limited"}
    ]
