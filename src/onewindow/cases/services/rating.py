"""好差评 of a case (一事一评, 国办发〔2019〕51号): after the case concludes, its applicant rates it
once on the five national levels, from any channel — the web pages, WeChat, the rating link in the
SMS (a signed token, no login), the API."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core.actors import Actor, is_system, system_actor
from onewindow.core.errors import Conflict, NotFound, PermissionDenied
from onewindow.ratings.choices import SubjectType
from onewindow.ratings.models import Rating
from onewindow.ratings.services import LINK_MAX_AGE, check_rating, rating_link_pk, rating_link_token, rating_record

from .. import permissions as perms
from ..choices import RATEABLE, CaseAction
from ..models import Case
from . import common

TOKEN_SALT = "onewindow.cases.rate"  # noqa: S105 - a signing salt, not a password
TOKEN_MAX_AGE = LINK_MAX_AGE  # the SMS rating link is valid for 90 days


def rating_token(case: Case) -> str:
    """The signed token of the rating link sent to the applicant (identifies the case only)."""
    return rating_link_token(salt=TOKEN_SALT, key="case", pk=case.pk)


def case_from_token(token: str) -> Case:
    pk = rating_link_pk(token, salt=TOKEN_SALT, key="case", max_age=TOKEN_MAX_AGE)
    case = Case.objects.filter(pk=pk).first() if pk is not None else None
    if case is None:
        raise NotFound(_("评价链接无效或已过期。"), code="rating_link_not_found")
    return case


def _rate(case: Case, by: Actor, level: Any, comment: str, channel: str) -> Rating:
    if case.status not in RATEABLE:
        raise Conflict(_("办件办结后才能评价。"), code="case_not_rateable")
    user = account_perms.as_user(by) if not is_system(by) else None
    rating = rating_record(subject_type=SubjectType.CASE, subject_id=str(case.pk), level=level, comment=comment,
                           channel=channel, rater=user, rater_person=case.applicant_person or case.agent,
                           department=case.handling_department, staff=case.handler,
                           actor=user or system_actor("rating-link"))
    common.record(case, CaseAction.RATE, by if user else common.SYSTEM, from_status=case.status,
                  data={"level": rating.level}, note=str(_("申请人已评价")),
                  label="" if user else str(_("申请人（短信评价链接）")))
    return rating


def case_rate(*, by: Actor, case_id: Any, level: Any, comment: str = "", channel: str = "web") -> Rating:
    """The applicant side rates its concluded case once (409 already_rated on a second try)."""
    check_rating(level, comment, channel)
    with transaction.atomic():
        case = common.lock_case(case_id)
        if not perms.is_applicant_side(by, case):
            if perms.case_queryset_for(by).filter(pk=case.pk).exists():
                raise PermissionDenied(_("只有申请人可以评价办件。"), code="case_action_forbidden")
            raise NotFound(_("找不到该办件。"), code="case_not_found")
        return _rate(case, by, level, comment, channel)


def case_rate_by_token(*, token: str, level: Any, comment: str = "") -> Rating:
    """Rating through the SMS link: whoever holds the signed link rates the case (channel sms)."""
    check_rating(level, comment, "sms")
    with transaction.atomic():
        case = common.lock_case(case_from_token(token).pk)
        return _rate(case, common.SYSTEM, level, comment, "sms")

