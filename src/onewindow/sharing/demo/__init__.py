"""Demo data of data sharing (政务数据资源共享, issue #13) in 静安区, called by ``onewindow demo_data``
after the supervision demo (it reads the catalog's items, the accounts' demo citizen and market's
registry, and marks an item's materials as shared for the pre-filled application that the next
step, ``onewindow.demo.management.prefill_story``, makes in cases).

1. **Catalogue**: 静安区's departments publish 10 resources through the catalogue services
   (``demo.resources``): the entity registry and the licences (市场监管局, query services answered
   in process by market), person registration (公安分局), social insurance (人社局), real estate,
   disability certificates, 低保, marriage, student records (datasets) and health records
   (不予共享, with its basis).
2. **Bulk drops**: person registration and social insurance are loaded from signed CSV drops of a
   few hundred generated residents and the demo citizen (``demo.people``), through ``drop_receive``.
3. **The item**: the demo citizen's fully-online item (a personal service item of 静安区 with an
   online form; 人社局's first, else any department's) gets a new version whose 户口簿 and 社会保险缴费
   证明 are proven by sharing (可免交（已共享）) and whose form fills the applicant's street and
   months of contributions from the registers (``catalog.item_revise``).
4. **Grants and history** (``demo.history``): grants for the cases app's pre-fill (including the
   item's department), case handling, the supervision platform and statistics; months of
   exchanges through ``exchange_query`` with realistic refusals; the log sealed and verified.

Acts as the system actor ``demo_data`` (the services accept it as they accept the operators'
commands). Idempotent (each part finds what it made) and deterministic from the seed;
``size="small"`` (CI) makes fewer residents and a month of history.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from onewindow.accounts.models import User
from onewindow.core.actors import system_actor
from onewindow.core.models import Department

from ..choices import ResourceStatus
from ..models import DataResource, DatasetRow
from ..services.catalogue import resource_create, version_draft, version_publish
from ..services.log import log_seal_pending, log_verify
from . import history, people
from .resources import SPECS, Spec
from .story import STORY_KINDS, story_item, story_item_prepare

JINGAN = "310106"
ACTOR = system_actor("demo_data")
PEOPLE = {"full": 400, "small": 120}
DEPARTMENT_KINDS = ("SCJG", "GAFJ", "RS", "GHZY", "MZ", "JYJ", "WJW", "FGJ", "WHLY", "YJ", "LHSR", "SWJ", "TJJ")


def departments() -> dict[str, Department]:
    """The 静安区 departments the demo uses, by kind (``310106-<KIND>``); missing ones are skipped."""
    found = Department.objects.filter(code__in=[f"{JINGAN}-{k}" for k in DEPARTMENT_KINDS])
    return {d.code.rsplit("-", 1)[1]: d for d in found}


def resource_of(spec: Spec, department: Department) -> DataResource | None:
    """The demo's resource of ``spec`` (found by its provider department and published name)."""
    return (DataResource.objects.filter(provider_department=department, versions__name=spec.name)
            .select_related("current", "provider_department").order_by("pk").first())


def resource_publish(spec: Spec, department: Department) -> DataResource:
    """Create, draft and publish ``spec`` through the catalogue services (once)."""
    existing = resource_of(spec, department)
    if existing is not None and existing.status == ResourceStatus.PUBLISHED:
        return existing
    with transaction.atomic():
        resource = existing or resource_create(by=ACTOR, provider_department=department, kind=spec.kind,
                                               provider=spec.provider)
        version = version_draft(
            by=ACTOR, resource=resource, name=spec.name, description=spec.description,
            sharing_class=spec.sharing_class, conditions=spec.conditions, not_shared_basis=spec.not_shared_basis,
            legal_basis=spec.legal_basis, update_frequency=spec.frequency, fields=spec.fields,
            contact_name=spec.contact[0], contact_phone=spec.contact[1])
        version_publish(by=ACTOR, version=version)
    found = resource_of(spec, department)
    assert found is not None
    return found


def drops_load(rng: random.Random, resources: dict[str, DataResource], count: int) -> list[str]:
    """The residents and the two signed drops (skipped when the datasets already hold rows);
    returns the residents' ID numbers (what the history asks for)."""
    citizen = User.objects.filter(username="citizen").select_related("person").first()
    residents = people.residents(rng, count, citizen.person if citizen else None)
    today = timezone.localdate()
    persons, social = resources.get("persons"), resources.get("social")
    if persons is not None and not DatasetRow.objects.filter(resource=persons).exists():
        people.signed_drop(by=ACTOR, resource=persons, file_name=f"户籍人口登记信息-{today:%Y%m%d}.csv",
                           content=people.csv_bytes(persons, people.persons_rows(residents)))
    if social is not None and not DatasetRow.objects.filter(resource=social).exists():
        people.signed_drop(by=ACTOR, resource=social, file_name=f"社会保险参保信息-{today:%Y%m}.csv",
                           content=people.csv_bytes(social, people.social_rows(rng, residents, today)))
    return [r.id_number for r in residents]


def load(progress: Callable[[int], object], seed: int, size: str = "full") -> None:
    """The catalogue, the drops, the story item, the grants and the history (module docstring)."""
    rng = random.Random(seed + 13)
    depts = departments()
    if "SCJG" not in depts:
        raise RuntimeError("no 静安区 departments (310106-*): load the catalog and market demo data first")
    resources: dict[str, DataResource] = {}
    for spec in SPECS:
        department = depts.get(spec.department)
        if department is not None:
            resources[spec.key] = resource_publish(spec, department)
        progress(1)
    ids = drops_load(rng, resources, PEOPLE.get(size, PEOPLE["full"]))
    progress(1)
    item = story_item()
    if item is not None and "persons" in resources and "social" in resources:
        story_item_prepare(ACTOR, item, resources["persons"], resources["social"])
        depts["STORY"] = item.department
    elif any(k in depts for k in STORY_KINDS):
        depts["STORY"] = depts[next(k for k in STORY_KINDS if k in depts)]
    days, count = history.HISTORY.get(size, history.HISTORY["full"])
    start = timezone.localdate() - datetime.timedelta(days=days)
    grants = history.grants_ensure(ACTOR, depts, resources, start, progress)
    history.history_play(rng, grants, history.pools_of(ids), start, count, progress)
    log_seal_pending()
    report = log_verify()
    if not report.ok:
        raise RuntimeError(f"the demo's exchange log does not verify: {report.problems[:3]}")


def summary() -> dict[str, Any]:
    """What the demo made (for the tests and the README)."""
    from ..models import ExchangeLogEntry, Grant

    return {"resources": DataResource.objects.filter(status=ResourceStatus.PUBLISHED).count(),
            "grants": Grant.objects.count(), "entries": ExchangeLogEntry.objects.count()}
