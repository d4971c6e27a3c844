"""Writes of 好差评. The domain apps (cases, centers) check *whether* a subject may be rated and
by whom; this records the rating once, atomically."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from onewindow.core.audit import audit_record
from onewindow.core.errors import Conflict, DomainError

from .choices import DEFAULT_SCORES, RatingChannel, RatingLevel
from .models import Rating

MAX_COMMENT = 500


def score_of(level: int) -> int:
    scores = getattr(settings, "RATINGS_SCORES", None) or DEFAULT_SCORES
    return int(scores[level])


def check_rating(level: Any, comment: str, channel: str) -> tuple[int, str]:
    """Validate the level (1..5), the comment (≤500 characters) and the channel; refuse otherwise."""
    try:
        value = int(level)
    except (TypeError, ValueError):
        value = 0
    if value not in RatingLevel.values:
        raise DomainError(_("请选择评价等级（非常满意、满意、基本满意、不满意、非常不满意）。"),
                          code="rating_level_invalid", status=422, fields={"level": [_("请从给定选项中选择。")]})
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise DomainError(_("评价内容不能超过 500 字。"), code="rating_comment_too_long", status=422,
                          fields={"comment": [_("内容过长。")]})
    if channel not in RatingChannel.values:
        raise DomainError(_("不支持的评价渠道。"), code="rating_channel_invalid", status=422,
                          fields={"channel": [_("请从给定选项中选择。")]})
    return value, text


def rating_record(*, subject_type: str, subject_id: str, level: Any, comment: str = "", channel: str,
                  rater: Any = None, rater_person: Any = None, department: Any = None, staff: Any = None,
                  actor: Any = None) -> Rating:
    """Record the one rating of a subject (一事一评); a second one is refused (409 already_rated).

    Must run inside the domain service's transaction (which has locked the subject)."""
    value, text = check_rating(level, comment, channel)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("rating_record() must be called inside transaction.atomic().")
    try:
        with transaction.atomic():
            rating = Rating.objects.create(subject_type=subject_type, subject_id=str(subject_id), level=value,
                                           score=score_of(value), comment=text, channel=channel, rater=rater,
                                           rater_person=rater_person, department=department, staff=staff)
    except IntegrityError:
        raise Conflict(_("已经评价过了，每次服务只能评价一次。"), code="already_rated") from None
    audit_record(actor=actor if actor is not None else (rater or "anonymous"), action="ratings.record",
                 target=rating, after={"subject": f"{subject_type}:{subject_id}", "level": value, "channel": channel})
    return rating
