"""The supervision demo reproduces the seed's 静安区 figures from rows (shared/seed/figures.json →
supervision): 1,637 platform users, 11,336 双告知 notices received by departments and 5,347
answered between 2016-08-15 and 2017-09-05; numbers gap-free; loaded once."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from onewindow.accounts import demo as accounts_demo
from onewindow.accounts.models import User
from onewindow.catalog import demo as catalog_demo
from onewindow.core.actors import system_actor
from onewindow.core.models import AuditEntry, NumberCounter
from onewindow.core.services import regions_load
from onewindow.supervision import demo, selectors
from onewindow.supervision.models import DualNotice, DualNoticeTask, LicenceRule, Officer

SEED = 20170929
FIGURES = Path("/work/shared/seed/figures.json")


@pytest.mark.django_db
def test_the_demo_reproduces_the_seed_figures_and_loads_once() -> None:
    regions_load(by=system_actor("test"))
    catalog_demo.load(progress=lambda n: None, seed=SEED)
    accounts_demo.load(progress=lambda n: None, seed=SEED)
    accounts = demo.load(progress=lambda n: None, seed=SEED)
    assert [a[0] for a in accounts] == ["sgz_scjg", "sgz_clerk", "sgz_whly"]
    clerk = User.objects.get(username="sgz_clerk")
    assert clerk.check_password("dataclerk-demo-2017")
    assert not User.objects.get(username="jga-scjg-0001").has_usable_password()

    admin = User.objects.get(username="admin")
    figures = selectors.platform_figures(admin)
    seed = {"users": 1637, "dual_notices_received": 11336, "dual_notices_answered": 5347}
    if FIGURES.exists():  # the seed file of the project's shared folder, when it is there
        seed = json.loads(FIGURES.read_text())["supervision"]
    assert (figures.users, figures.notices.received, figures.notices.answered) == (
        seed["users"],
        seed["dual_notices_received"],
        seed["dual_notices_answered"],
    )
    assert figures.departments_using == 15  # the catalog demo's 静安区 departments (30 with the market demo's)

    history = DualNoticeTask.objects.filter(notified_on__lte=datetime.date(2017, 9, 5))
    first = history.order_by("notified_on").first()
    assert first is not None and first.notified_on >= datetime.date(2016, 8, 15)
    assert history.filter(department__isnull=False).count() == 11336 - 2  # two more from today's stories
    late = history.filter(answered_late=True).count()
    assert 0 < late < 5347 // 2
    assert DualNoticeTask.objects.filter(status="pool").exists()
    assert not DualNoticeTask.objects.filter(
        status="answered", answered_at__date__gt=datetime.date(2017, 9, 5), notified_on__lte=datetime.date(2017, 9, 5)
    ).exists()
    for year in (2016, 2017):
        numbers = sorted(
            int(n[-6:])
            for n in DualNotice.objects.filter(number__startswith=f"SGZ-{year}-").values_list("number", flat=True)
        )
        assert numbers == list(range(1, len(numbers) + 1))
        assert NumberCounter.objects.get(scope=f"supervision.dual_notice:{year}").value == len(numbers)
    assert LicenceRule.objects.count() == 23
    food = LicenceRule.objects.get(licence_name="食品经营许可证")
    assert food.department is not None and food.department.code == "310106-SCJG"
    assert food.item is not None and food.item.name.startswith("食品经营许可")
    assert Officer.objects.filter(department__code="310106-SCJG").count() == 40
    queue = selectors.task_queue_for(clerk, status="pending")
    assert queue.filter(notice__entity_name="上海静安星光餐饮娱乐有限公司").count() == 1

    before = (DualNoticeTask.objects.count(), User.objects.count(), AuditEntry.objects.count())
    demo.load(progress=lambda n: None, seed=SEED)
    assert (DualNoticeTask.objects.count(), User.objects.count(), AuditEntry.objects.count()) == before
