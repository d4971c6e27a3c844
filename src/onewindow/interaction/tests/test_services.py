"""The question workflow and the FAQ services: guards, events, audit, reminders, nothing written on refusal."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.interaction import services
from onewindow.interaction.choices import QuestionStatus
from onewindow.interaction.models import FaqEntry, Question, QuestionEvent
from onewindow.interaction.selectors import faq_search, published_questions, qa_statistics
from onewindow.notifications.choices import ReminderState
from onewindow.notifications.models import Reminder

pytestmark = pytest.mark.django_db


def _ask(p, text="居住证怎么办理？", **kw):
    return services.question_submit(by=kw.pop("by", p.citizen), department=kw.pop("department", p.department),
                                    text=text, **kw)


def _counts():
    return Question.objects.count(), QuestionEvent.objects.count(), FaqEntry.objects.count(), AuditEntry.objects.count()


def test_submit_sets_deadline_event_audit_and_reminds_department_staff(centers):
    p = centers
    q = _ask(p)
    assert q.status == QuestionStatus.SUBMITTED and q.asker == p.citizen
    assert q.due_at > q.created_at
    assert list(q.events.values_list("action", "to_status")) == [("submit", "submitted")]
    assert AuditEntry.objects.filter(action="interaction.question_submit", target_id=str(q.pk)).count() == 1
    reminded = set(Reminder.objects.filter(source_key=f"interaction:question:{q.pk}")
                   .values_list("user__username", flat=True))
    assert reminded == {"p_clerk", "p_reviewer", "p_manager"}


def test_anonymous_needs_a_valid_phone_stored_encrypted_and_audited_masked(centers):
    p = centers
    before = _counts()
    with pytest.raises(DomainError) as exc:
        _ask(p, by=None)
    assert exc.value.code == "interaction_phone_required" and exc.value.status == 422
    with pytest.raises(DomainError) as exc:
        _ask(p, by=None, phone="12345")
    assert exc.value.code == "interaction_phone_invalid"
    assert _counts() == before
    q = _ask(p, by=None, phone="13812345678", throttle_key="203.0.113.9")
    assert Question.objects.get(pk=q.pk).phone == "13812345678"
    from django.db import connection
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM interaction_question WHERE id = %s", [q.pk])
        assert "13812345678" not in cur.fetchone()[0]
    entry = AuditEntry.objects.get(action="interaction.question_submit", target_id=str(q.pk))
    assert "13812345678" not in str(entry.after)


def test_anonymous_asking_is_rate_limited(centers, settings):
    p = centers
    cache.clear()
    settings.INTERACTION_ASK_LIMIT = 2
    for _ in range(2):
        _ask(p, by=None, phone="13812345678", throttle_key="198.51.100.7")
    before = _counts()
    with pytest.raises(DomainError) as exc:
        _ask(p, by=None, phone="13812345678", throttle_key="198.51.100.7")
    assert exc.value.status == 429 and exc.value.code == "interaction_ask_rate_limited"
    assert _counts() == before
    _ask(p)  # a logged-in resident is not throttled by the anonymous limit


def test_bad_input_is_refused_with_fields(centers):
    p = centers
    before = _counts()
    for kwargs, field in [({"text": ""}, "text"), ({"text": "短"}, "text"), ({"text": "x" * 1001}, "text"),
                          ({"department": 999999}, "department"), ({"item": 999999}, "item"),
                          ({"channel": "fax"}, "channel")]:
        with pytest.raises(DomainError) as exc:
            _ask(p, **{"text": "居住证怎么办理？", **kwargs})
        assert exc.value.status == 422 and field in exc.value.fields
    assert _counts() == before


def test_workflow_assign_answer_publish_and_reminders_follow(centers):
    p = centers
    q = _ask(p)
    q = services.question_assign(by=p.manager, question=q, assignee=p.clerk)
    assert q.status == QuestionStatus.ASSIGNED and q.assignee == p.clerk
    open_for = set(Reminder.objects.filter(source_key=f"interaction:question:{q.pk}", state=ReminderState.OPEN)
                   .values_list("user__username", flat=True))
    assert open_for == {"p_clerk"}
    q = services.question_answer(by=p.clerk, question=q, answer="请携带身份证和居住证明到中心办理。")
    assert q.status == QuestionStatus.ANSWERED and q.answered_at is not None
    assert not Reminder.objects.filter(source_key=f"interaction:question:{q.pk}", state=ReminderState.OPEN).exists()
    assert list(published_questions()) == []
    q = services.question_publish(by=p.clerk, question=q, text="办理居住证需要什么？")
    assert q.status == QuestionStatus.PUBLISHED and q.text == "办理居住证需要什么？"
    assert [x.pk for x in published_questions(q="居住证")] == [q.pk]
    assert list(q.events.values_list("action", flat=True)) == ["submit", "assign", "answer", "publish"]
    assert AuditEntry.objects.filter(target_id=str(q.pk), action__startswith="interaction.question_").count() == 4


def test_refusals_write_nothing(centers):
    p = centers
    q = _ask(p)
    before = _counts()
    cases = [
        (lambda: services.question_answer(by=p.clerk_other_department, question=q, answer="答"), 404),
        (lambda: services.question_answer(by=p.citizen, question=q, answer="答"), 403),
        (lambda: services.question_publish(by=p.clerk, question=q), 409),
        (lambda: services.question_answer(by=p.clerk, question=q, answer=""), 422),
        (lambda: services.question_assign(by=p.clerk, question=q, assignee=p.clerk_other_department), 422),
        (lambda: services.question_assign(by=p.clerk, question=q, assignee=p.admin), 422),
        (lambda: services.question_close(by=p.clerk, question=q, reason=" "), 422),
        (lambda: services.question_answer(by=p.clerk, question=987654, answer="答"), 404),
    ]
    for call, status in cases:
        with pytest.raises(DomainError) as exc:
            call()
        assert exc.value.status == status
    assert _counts() == before
    assert Question.objects.get(pk=q.pk).status == QuestionStatus.SUBMITTED
    services.question_close(by=p.clerk, question=q, reason="重复提问")
    with pytest.raises(DomainError) as exc:
        services.question_answer(by=p.clerk, question=q, answer="答")
    assert exc.value.status == 409 and exc.value.code == "interaction_illegal_transition"


def test_faq_from_cluster_prefills_and_search_finds_it_in_chinese_and_pinyin(centers):
    p = centers
    a = _ask(p, "居住证怎么办理？")
    b = _ask(p, "请问办理居住证需要哪些材料？")
    services.question_answer(by=p.clerk, question=a, answer="携带身份证、租赁合同到中心办理。")
    entry = services.faq_from_questions(by=p.clerk, question_ids=[a.pk, b.pk])
    assert entry.question == "居住证怎么办理？" and entry.answer == "携带身份证、租赁合同到中心办理。"
    assert entry.question_pinyin == "juzhuzhengzenmebanli" and entry.question_initials == "jzzzmbl"
    assert set(entry.sources.values_list("pk", flat=True)) == {a.pk, b.pk}
    for q in ("居住证", "jzz", "juzhuzheng", "JZZ", "租赁合同"):
        assert [e.pk for e in faq_search(q=q)] == [entry.pk], q
    assert list(faq_search(q="老年卡")) == []
    before = _counts()
    with pytest.raises(DomainError) as exc:
        services.faq_from_questions(by=p.clerk_other_department, question_ids=[a.pk])
    assert exc.value.status == 404
    with pytest.raises(DomainError) as exc:
        services.faq_from_questions(by=p.clerk, question_ids=[b.pk])  # no answer to prefill
    assert exc.value.status == 422 and "answer" in exc.value.fields
    assert _counts() == before
    services.faq_update(by=p.clerk, entry=entry, question="老年卡如何申请", answer="到中心申请。", is_published=False)
    assert list(faq_search(q="lnk")) == []
    services.faq_update(by=p.clerk, entry=entry, question="老年卡如何申请", answer="到中心申请。")
    assert [e.pk for e in faq_search(q="lnk")] == [entry.pk]


def test_statistics_counts_in_time_share_and_median(centers):
    p = centers
    now = timezone.now()
    h = datetime.timedelta(hours=1)
    for created, answered, due, status in [(now - 10 * h, now - 8 * h, now - 5 * h, "answered"),
                                           (now - 10 * h, now - 6 * h, now - 5 * h, "published"),
                                           (now - 10 * h, now - 1 * h, now - 5 * h, "answered"),
                                           (now - 10 * h, None, now - 5 * h, "submitted")]:
        Question.objects.create(department=p.department, text="测试问题一二", status=status, created_at=created,
                                answered_at=answered, due_at=due)
    Question.objects.create(department=p.other_department, text="测试问题一二", status="submitted",
                            created_at=now, due_at=now)
    s = qa_statistics(by=p.clerk)
    assert s.by_status == {"submitted": 1, "assigned": 0, "answered": 2, "published": 1, "closed": 0}
    assert (s.total, s.answered, s.answered_in_time, s.in_time_share, s.median_response_hours) == (4, 3, 2, 0.6667, 4.0)
    assert qa_statistics(by=p.citizen).total == 0
