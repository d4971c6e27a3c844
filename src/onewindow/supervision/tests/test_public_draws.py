"""一公开 of 双随机 draws (issue #12 part 4): the public page shows each stage, anonymously, and
never the drawn entities or officers before the inspection ends."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client

from onewindow.supervision import draw, services
from onewindow.supervision.models import DrawPlan, Inspection
from onewindow.supervision.selectors import draws as draw_selectors

from .test_draw_plans_world import DrawWorld, draw_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def page(plan: DrawPlan) -> tuple[int, str]:
    response = Client().get(f"/supervision/public/draws/{plan.number}/")
    return response.status_code, response.content.decode()


def names_and_officers(plan: DrawPlan) -> list[str]:
    """Every name the page must hold back before the close: entities, their codes, officer names."""
    rows = list(Inspection.objects.filter(plan=plan).prefetch_related("officers"))
    hidden = [i.entity_name for i in rows] + [i.credit_code for i in rows]
    hidden += [o.name for i in rows for o in i.officers.all()]
    return hidden


def test_a_draft_is_not_public(dw: DrawWorld) -> None:
    plan = dw.create()
    assert page(plan)[0] == 404
    listing = Client().get("/supervision/public/draws/").content.decode()
    assert plan.number not in listing and 'id="no-draws"' in listing
    assert Client().get(f"/supervision/public/draws/{plan.number}/pool.txt").status_code == 404


def test_published_shows_the_plan_its_items_and_the_random_source(dw: DrawWorld) -> None:
    plan = dw.to_status("published")
    status, html = page(plan)
    assert status == 200
    assert plan.random_source in html and 'id="random-date">2026-03-05<' in html
    assert f'data-item="{dw.items[0].code}"' in html and dw.items[0].basis in html
    assert 'id="freeze-pending"' in html and 'id="pool-digest"' not in html
    listing = Client().get("/supervision/public/draws/").content.decode()
    assert f'data-number="{plan.number}" data-status="published"' in listing
    for name in ("pool", "roster", "plan", "constraints"):
        suffix = "json" if name == "plan" else "txt"
        assert Client().get(f"/supervision/public/draws/{plan.number}/{name}.{suffix}").status_code == 404


def test_frozen_shows_the_digests_and_the_files_hash_to_them(dw: DrawWorld) -> None:
    plan = dw.to_status("frozen")
    freeze = plan.freeze
    status, html = page(plan)
    assert status == 200
    for value in (freeze.pool_digest, freeze.roster_digest, freeze.plan_digest, freeze.secret_commitment):
        assert value in html
    assert freeze.secret not in html
    client = Client()
    pool = client.get(f"/supervision/public/draws/{plan.number}/pool.txt")
    assert pool.status_code == 200 and pool["Content-Disposition"].endswith(f'{plan.number}-pool.txt"')
    assert hashlib.sha256(pool.content).hexdigest() == freeze.pool_digest
    roster = client.get(f"/supervision/public/draws/{plan.number}/roster.txt")
    assert hashlib.sha256(roster.content).hexdigest() == freeze.roster_digest
    plan_json = client.get(f"/supervision/public/draws/{plan.number}/plan.json")
    assert hashlib.sha256(plan_json.content).hexdigest() == freeze.plan_digest
    assert client.get(f"/supervision/public/draws/{plan.number}/constraints.txt").status_code == 404
    assert 'id="draw-pending"' in html


def test_drawn_shows_the_value_and_digest_but_no_names(dw: DrawWorld) -> None:
    plan = dw.to_status("drawn")
    status, html = page(plan)
    assert status == 200
    assert plan.outcome.selection_digest in html and plan.outcome.random_value in html
    assert 'id="names-wait"' in html and 'id="entities"' not in html
    for hidden in [*names_and_officers(plan), plan.freeze.secret]:
        assert hidden not in html
    assert Client().get(f"/supervision/public/draws/{plan.number}/constraints.txt").status_code == 404


def test_closed_reveals_entities_officers_skips_replacements_and_the_secret(dw: DrawWorld) -> None:
    plan = dw.to_status("drawn", counts={"A": 2})
    first = draw.DrawResult.from_dict(plan.outcome.result).assignments[0]
    services.plan_replace_officer(
        by=dw.user("regulator"),
        plan_id=plan.pk,
        credit_code=first.entity,
        department_code=first.department,
        certificate_number=first.cert,
        reason="病假",
    )
    services.plan_close(by=dw.user("regulator"), plan_id=plan.pk)
    plan.refresh_from_db()
    status, html = page(plan)
    assert status == 200
    for shown in names_and_officers(plan):
        assert shown in html
    result = draw.DrawResult.from_dict(plan.outcome.result)
    for assignment in result.assignments:
        assert assignment.cert in html
    assert 'id="replacements"' in html and "病假" in html
    assert plan.freeze.secret in html
    constraints = Client().get(f"/supervision/public/draws/{plan.number}/constraints.txt")
    assert constraints.status_code == 200
    assert constraints.content.decode() == draw_selectors.decompress(plan.freeze.constraints_file)
    assert 'id="results"' in html


def test_a_cancelled_plan_stays_visible_with_its_reason(dw: DrawWorld) -> None:
    plan = dw.to_status("frozen")
    services.plan_cancel(by=dw.user("regulator"), plan_id=plan.pk, reason="上级统一部署，本季度任务合并")
    plan.refresh_from_db()
    status, html = page(plan)
    assert status == 200
    assert 'id="cancelled"' in html and "上级统一部署，本季度任务合并" in html
    listing = Client().get("/supervision/public/draws/?status=cancelled").content.decode()
    assert f'data-number="{plan.number}" data-status="cancelled"' in listing


def test_the_pages_read_without_a_login_and_link_from_the_index(dw: DrawWorld) -> None:
    client = Client()
    assert 'id="public-draws"' in client.get("/supervision/public/").content.decode()
    assert client.get("/supervision/public/draws/verify/").status_code == 200
    assert client.get("/supervision/public/draws/SC2026999999/").status_code == 404
    assert client.get("/supervision/public/draws/?page=abc").status_code == 200
