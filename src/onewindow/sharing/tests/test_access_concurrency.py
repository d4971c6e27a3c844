"""Real processes against one database: two provider admins approving the same request at once
make one grant; the other finds the request approved (409) and writes nothing."""

from __future__ import annotations

import datetime
import multiprocessing

import pytest
from django.db import connection
from django.utils import timezone

from onewindow.core.testing import pool_starmap
from onewindow.sharing.models import AccessEvent, Grant
from onewindow.sharing.services import access as svc
from onewindow.sharing.testing import SharingWorld

from . import access_worker

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_two_approvals_make_one_grant(sharing_world: SharingWorld) -> None:
    w = sharing_world
    today = timezone.localdate()
    requests = []
    for purpose in ("case_handling", "supervision", "statistics"):
        request, _t = svc.request_submit(
            by=w.consumer_clerk, resource=w.resource(), consumer_department=w.consumer, purpose=purpose,
            purpose_text="办件核验", legal_basis="《优化营商环境条例》", fields=["credit_code"], valid_from=today,
            valid_to=today + datetime.timedelta(days=10), rate_per_minute=5)
        requests.append(request.pk)
    db_name = connection.settings_dict["NAME"]
    jobs = [(db_name, user.pk, pk) for pk in requests for user in (w.provider_admin, w.manager)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        outcomes = pool_starmap(pool, access_worker.approve, jobs)
    assert sorted(outcomes) == ["ok"] * 3 + ["sharing_request_illegal_transition"] * 3
    assert Grant.objects.filter(request_id__in=requests).count() == 3
    assert AccessEvent.objects.filter(request_id__in=requests, action="approved").count() == 3
