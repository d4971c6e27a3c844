"""Real processes against one database: a task of the 认领 pool is claimed by one department only,
however many claim it at once (the task row is locked, the loser gets 409 and writes nothing)."""

from __future__ import annotations

import multiprocessing

import pytest
from django.db import connection

from onewindow.core.testing import pool_starmap
from onewindow.supervision.models import DualNoticeTask, DualNoticeTaskEvent
from onewindow.supervision.testing import CHEMICAL_SCOPE, SupervisionWorld

from . import claim_worker

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_each_pool_task_is_claimed_once(world: SupervisionWorld) -> None:
    tasks = []
    for n in range(10):
        notice = world.register(CHEMICAL_SCOPE, organization=world.organization(f"上海第{n}化工贸易有限公司"))
        assert notice is not None
        tasks.append(notice.tasks.get().pk)
    claimers = [world.regulator.pk, world.culture_regulator.pk, world.manager.pk]
    db_name = connection.settings_dict["NAME"]
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        results = pool_starmap(pool, claim_worker.claim_all, [(db_name, user, tasks) for user in claimers])
    outcomes = sorted(o for chunk in results for o in chunk)
    # market bureau (regulator, manager) and culture bureau: 10 claims succeed, 20 are refused.
    assert outcomes == ["dual_notice_illegal_transition"] * 20 + ["ok"] * 10
    rows = DualNoticeTask.objects.filter(pk__in=tasks)
    assert set(rows.values_list("status", flat=True)) == {"received"}
    assert DualNoticeTaskEvent.objects.filter(task_id__in=tasks, action="claim").count() == 10
    assert all(r.claimed_by_id in claimers for r in rows)
