"""好差评 of a case (一事一评): once, after it concludes, by its applicant, from any channel."""

from __future__ import annotations

import re

import pytest

from onewindow.cases import services
from onewindow.cases.choices import CaseStatus
from onewindow.cases.models import CaseEvent
from onewindow.cases.testing import CaseWorld
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.ratings.models import Rating


def test_applicant_rates_a_delivered_case_once(case_world: CaseWorld) -> None:
    p = case_world.p
    case = case_world.in_status(CaseStatus.DELIVERED)
    rating = services.case_rate(by=p.citizen, case_id=case.pk, level=5, comment="办事快", channel="wechat")
    assert (rating.level, rating.score, rating.channel, rating.department) == (5, 10, "wechat", p.department)
    assert rating.staff == p.reviewer and rating.rater == p.citizen
    assert CaseEvent.objects.filter(case=case, action="rate").count() == 1
    with pytest.raises(Conflict) as excinfo:
        services.case_rate(by=p.citizen, case_id=case.pk, level=1)
    assert excinfo.value.code == "already_rated"
    assert Rating.objects.count() == 1 and CaseEvent.objects.filter(case=case, action="rate").count() == 1


@pytest.mark.parametrize("status", ["submitted", "under_review", "withdrawn"])
def test_no_rating_before_the_case_concludes(case_world: CaseWorld, status: str) -> None:
    case = case_world.in_status(status)
    with pytest.raises(Conflict) as excinfo:
        services.case_rate(by=case_world.p.citizen, case_id=case.pk, level=4)
    assert excinfo.value.code == "case_not_rateable"
    assert not Rating.objects.exists()


def test_only_the_applicant_rates_and_levels_are_checked(case_world: CaseWorld) -> None:
    p = case_world.p
    case = case_world.in_status(CaseStatus.APPROVED)
    with pytest.raises(PermissionDenied):
        services.case_rate(by=p.clerk, case_id=case.pk, level=5)
    with pytest.raises(NotFound):
        services.case_rate(by=p.another_citizen, case_id=case.pk, level=5)
    for bad in (0, 6, "x", None):
        with pytest.raises(DomainError) as excinfo:
            services.case_rate(by=p.citizen, case_id=case.pk, level=bad)
        assert excinfo.value.code == "rating_level_invalid"
    with pytest.raises(DomainError) as excinfo:
        services.case_rate(by=p.citizen, case_id=case.pk, level=3, comment="长" * 501)
    assert excinfo.value.code == "rating_comment_too_long"
    assert not Rating.objects.exists()


def test_rating_through_the_sms_link(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.DELIVERED)
    token = services.rating_token(case)
    anonymous = case_world.p.client("anonymous")
    page = anonymous.get(f"/cases/rate/{token}/")
    assert page.status_code == 200 and case.number in page.content.decode()
    response = anonymous.post(f"/cases/rate/{token}/", {"level": "2", "comment": "等待太久"})
    assert response.status_code == 200
    rating = Rating.objects.get(subject_type="case", subject_id=str(case.pk))
    assert (rating.level, rating.channel, rating.is_bad, rating.rater) == (2, "sms", True, None)
    again = anonymous.post(f"/cases/rate/{token}/", {"level": "5"})
    assert again.status_code == 409 and Rating.objects.get().level == 2  # refused, the first one stays
    assert anonymous.get("/cases/rate/forged-token/").status_code == 404


def test_rating_page_for_the_logged_in_applicant(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.REJECTED)
    client = case_world.p.client("citizen")
    assert client.post(f"/cases/{case.pk}/rate/", {"level": "9"}).status_code == 422
    assert not Rating.objects.exists()
    assert client.post(f"/cases/{case.pk}/rate/", {"level": "4"}).status_code == 200
    assert Rating.objects.get().level == 4
    assert case_world.p.client("another_citizen").get(f"/cases/{case.pk}/rate/").status_code == 404


def test_the_delivery_sms_carries_the_rating_link(case_world: CaseWorld) -> None:
    from onewindow.notifications.models import Message

    case = case_world.in_status(CaseStatus.DELIVERED)
    sms = Message.objects.get(subject_type="case", subject_id=str(case.pk), event="case_delivered", channel="sms")
    # The token is timestamped (it expires), so the one in the SMS is compared by what it names, not
    # by its text: a second boundary between sending and this line changes the signature.
    match = re.search(r"http://127\.0\.0\.1:8000/cases/rate/([^/\s]+)/$", sms.text)
    assert match is not None, sms.text
    assert services.case_from_token(match.group(1)) == case
