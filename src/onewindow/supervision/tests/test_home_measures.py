"""The platform's home page shows the measures in figures counted from the rows (issue #12): the
published lists, the 双随机 draws and the entities they covered, joint groups, 联合惩戒 listings in
force and open 监管预警."""

from __future__ import annotations

import pytest

from onewindow.supervision import selectors
from onewindow.supervision.models import Inspection

from .test_draw_plans_world import DrawWorld, draw_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def figure(page: str, name: str) -> str:
    marker = f'<span class="figure" id="fig-{name}">'
    start = page.index(marker) + len(marker)
    return page[start : page.index("<", start)]


def test_the_measures_count_drawn_plans_and_the_entities_they_covered(dw: DrawWorld) -> None:
    client = dw.client("regulator")
    page = client.get("/supervision/").content.decode()
    # The world publishes both lists; nothing is drawn yet.
    before = selectors.platform_figures(dw.user("regulator")).measures
    assert (figure(page, "random-items"), figure(page, "draws"), figure(page, "draw-entities")) == (
        str(before.random_items),
        "0",
        "0",
    )
    assert (before.random_items, before.random_departments, before.joint_items, before.joint_leads) == (3, 2, 1, 1)
    assert (before.draws, before.joint_groups, before.sanctions, before.alerts_open) == (0, 0, 0, 0)

    dw.to_status("published")  # published but not drawn: not counted
    drawn = dw.to_status("drawn")
    entities = Inspection.objects.filter(plan=drawn).values("organization_id").distinct().count()
    assert entities == 4
    page = client.get("/supervision/").content.decode()
    assert (figure(page, "draws"), figure(page, "draw-entities"), figure(page, "joint-groups")) == ("1", "4", "0")
    measures = selectors.platform_figures(dw.user("regulator")).measures
    assert (measures.draws, measures.draw_departments, measures.draw_entities) == (1, 1, 4)
