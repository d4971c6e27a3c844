"""The seed window (issue #14): the demo's 临汾路 history of 2016-04-01 → 2017-09-05 holds the seed's
situation, and the analytics *find* it from the rollups — 15 items with zero volume, 5 of them
withdrawn (versions dated in the history, each with the accepted proposal that led to it), and 42
items with ≥ 500 cases in the 12 months before 2017-09-05.

Loads only the steps it needs: the regions and calendar, the catalog, the seed window's cases (not
the demo year), the center as the centers demo makes it (its department's 170 items), the
proposals, then ``rollup_rebuild``."""

from __future__ import annotations

import datetime

import pytest

from onewindow.accounts.testing import UserFactory
from onewindow.cases.demo.seed_window import seed_window_load
from onewindow.cases.models import Case
from onewindow.catalog import demo as catalog_demo
from onewindow.catalog.models import ServiceItem
from onewindow.centers.choices import CenterLevel
from onewindow.centers.models import Center, CenterStaff
from onewindow.core import demo as core_demo
from onewindow.core.models import Department, Region

from ..demo.proposals import proposals_load
from ..models import ItemProposal
from ..selectors import decisions
from ..selectors.volumes import item_volumes
from ..services.rollups import rollup_rebuild

# Committed, then flushed: in one rolled-back test transaction, Django's end-of-test constraint check
# (SET CONSTRAINTS ALL IMMEDIATE over the 30,000-case load and its rollups) took 631 s on PostgreSQL,
# a third of CI's PostgreSQL stage; committed step by step, each load checks its own rows (1 s flush).
pytestmark = pytest.mark.django_db(transaction=True)
SEED = 20170929


def test_the_seed_window_yields_15_at_zero_5_withdrawn_and_42_at_500() -> None:
    core_demo.load(lambda n: None, SEED)
    catalog_demo.load(lambda n: None, SEED)
    written = seed_window_load(lambda n: None, SEED)
    assert written == Case.objects.count() > 30_000
    assert seed_window_load(lambda n: None, SEED) == 0  # idempotent
    department = Department.objects.get(code="310106021-SQSW")
    center = Center.objects.create(code="310106021", name="临汾路街道社区事务受理服务中心", level=CenterLevel.STREET,
                                   region=Region.objects.get(code="310106021"), department=department)
    items = list(ServiceItem.objects.filter(department=department))
    center.items.set(items)
    manager = UserFactory.create(username="seed_manager")
    CenterStaff.objects.create(center=center, user=manager, is_manager=True)
    proposals_load(lambda n: None, SEED)
    rollup_rebuild()

    first, last = datetime.date(2016, 4, 1), datetime.date(2017, 9, 5)
    rows = decisions.candidates(by=manager, center_id=center.pk, start=first, end=last)
    zero = [r for r in rows if r.volume == 0]
    withdrawn = [r for r in zero if r.withdrawn]
    assert (len(items), len(zero), len(withdrawn)) == (170, 15, 5)
    assert sorted(r.item.name for r in withdrawn) == sorted(catalog_demo.LINFEN_WITHDRAWN)
    assert all(first <= r.withdrawn_on <= last for r in withdrawn if r.withdrawn_on)
    assert [r.withdrawn_on for r in sorted(withdrawn, key=lambda r: r.item.name)] == [
        catalog_demo.LINFEN_WITHDRAWN[r.item.name][0] for r in sorted(withdrawn, key=lambda r: r.item.name)]
    # many at a single digit
    assert sum(1 for r in rows if 1 <= r.volume <= 9) == 25
    # each withdrawal came from the center's accepted proposal, linked to the withdrawn version
    for r in withdrawn:
        assert [(p.action, p.status, p.catalog_version.status, p.catalog_version.number)
                for p in r.decided if p.catalog_version] == [("withdraw", "accepted", "withdrawn", 2)]
    assert ItemProposal.objects.filter(status="accepted").count() == 5

    volumes = item_volumes(center_id=center.pk, start=datetime.date(2016, 9, 6), end=last)
    assert sum(1 for n in volumes.values() if n >= 500) == 42
    assert max(volumes.values()) > 1500  # skewed: the head far above the 500 line
    # the rollups agree with the raw cases (volume = cases received at the center, all channels)
    assert sum(item_volumes(center_id=center.pk, start=first, end=last).values()) == written
    channels = {c for per in decisions.item_channels(center_id=center.pk, item_ids=[i.pk for i in items],
                                                     start=first, end=last).values() for c in per}
    assert channels == {"window", "appointment", "kiosk", "wechat", "online"}
    # the 12-month preset ending on the article's date gives the same window as the seed's "a year"
    assert decisions.window_of("year", today=last)[1:] == (datetime.date(2016, 9, 6), last)
