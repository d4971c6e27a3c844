"""Demo data of 互动交流: questions of 临汾路 residents, the answers, and the FAQ (issue #14 part 7).

Planted paraphrase clusters (居住证、医保卡、老年卡、生育登记、社保卡) so that the frequent-question
page has something to find, mixed with one-off questions; over the last ~60 days, most answered
and published, a few answered late, and some still open (the latest of them overdue). Two
clusters are already FAQ entries (linked to the center's items), so the page shows both kinds.
Written through the services (events, audit, reminders), then dated back. Idempotent: a second
run finds the questions and returns.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from onewindow.accounts.models import User
from onewindow.catalog.models import ServiceItem
from onewindow.core.actors import system_actor
from onewindow.core.models import Department

from . import reminder_feed, services
from .choices import QuestionChannel
from .deadlines import add_working_hours, response_hours
from .models import Question, QuestionEvent

CENTER = "310106021-SQSW"

# topic: (item name prefix at the center, phrasings, the answer)
TOPICS: dict[str, tuple[str, list[str], str]] = {
    "居住证": ("居住证办理", [
        "居住证怎么办理？", "请问办理居住证需要哪些材料？", "办居住证要带什么材料", "外地人在上海怎么申请居住证",
        "居住证到期了怎么续办？", "居住证办理需要多长时间？",
    ], "办理居住证请携带本人身份证、近期照片和在本市合法稳定居住的证明（租赁合同备案或产权证明），"
       "到临汾路社区事务受理服务中心窗口申请；材料齐全的，15 个工作日内制证完成，可凭回执查询进度。"),
    "医保卡": ("医保卡补卡", [
        "医保卡丢了怎么补办？", "医保卡遗失了如何补办", "请问医保卡丢失后在哪里补办", "医保卡掉了，补办要多久",
    ], "医保卡遗失请先拨打挂失电话或在“随申办”挂失，再持本人身份证到中心窗口申请补卡；"
       "补卡期间可凭临时就医凭证就诊，新卡制作约需 10 个工作日。"),
    "老年卡": ("老年人优待证申领", [
        "老年卡怎么申请？", "老人满60岁如何办理老年卡", "请问办理老年卡需要什么材料", "我爸今年65了，老年卡在哪里申请",
    ], "年满 60 周岁的本市户籍老人可持身份证、户口簿和一张近期一寸照片到中心窗口申领老年人优待证（老年卡），"
       "也可由家属代办（另带代办人身份证）。"),
    "生育登记": ("生育登记", [
        "生育登记怎么办理", "生二胎要做生育登记吗，去哪里登记", "请问生育登记网上可以办吗",
    ], "生育登记可在“随申办”网上办理，也可由夫妻一方持双方身份证、户口簿和结婚证到中心窗口办理，当场办结。"),
    "社保卡": ("社会保障卡", [
        "第一次办社保卡要去哪里", "社保卡怎么申领？", "新参保的人社保卡如何办理",
    ], "首次申领社会保障卡请持身份证到中心窗口采集照片后申请，制卡完成后短信通知到中心领取。"),
}
ONE_OFF = [
    "中心周六上班吗", "停车场在哪里", "复印身份证收费吗", "户口迁移需要本人到场吗", "社区食堂几点开门",
    "残疾证年审什么时候", "低保申请要满足什么条件", "独生子女费还能领吗",
]
ONE_OFF_ANSWER = "您好，请致电中心咨询台 021-5666 0000（工作日 9:00–17:00）或到中心现场咨询。"
FAQ_TOPICS = ("居住证", "医保卡")


def _item(center: Department, prefix: str) -> ServiceItem | None:
    return ServiceItem.objects.filter(department=center, name__startswith=prefix).order_by("pk").first() or \
        ServiceItem.objects.filter(name__startswith=prefix).order_by("pk").first()


def _phone(rng: random.Random) -> str:
    return "139" + "".join(str(rng.randrange(10)) for _ in range(8))


def _backdate(question: Question, asked: datetime.datetime, answered: datetime.datetime | None,
              published: datetime.datetime | None) -> None:
    due = add_working_hours(asked, response_hours())
    Question.objects.filter(pk=question.pk).update(created_at=asked, due_at=due, answered_at=answered,
                                                   published_at=published)
    for event in QuestionEvent.objects.filter(question=question):
        when = {"submit": asked, "assign": asked + datetime.timedelta(minutes=30)}.get(
            event.action, published if event.action == "publish" and published else answered or asked)
        QuestionEvent.objects.filter(pk=event.pk).update(created_at=when)


def load(progress: Callable[[int], Any] = lambda n: None, seed: int = 20170929) -> list[tuple[str, str, str]]:
    if Question.objects.exists():
        return []
    center = Department.objects.filter(code=CENTER).first()
    if center is None:  # the catalog demo makes the center's department; nothing to attach to
        return []
    rng = random.Random(seed)
    staff = [u for u in (User.objects.filter(username=n).first() for n in ("centerclerk", "manager")) if u is not None]
    clerk = staff[0] if staff else None
    citizen = User.objects.filter(username="citizen").first()
    system = system_actor("interaction.demo")
    now = timezone.now()
    rows: list[tuple[str, str | None]] = [(t, topic) for topic, (_, ts, _) in TOPICS.items() for t in ts]
    rows += [(t, None) for t in ONE_OFF]
    rng.shuffle(rows)
    published_by_topic: dict[str, list[int]] = {}
    with transaction.atomic():
        for index, (text, topic) in enumerate(rows):
            item = _item(center, TOPICS[topic][0]) if topic else None
            by_citizen = citizen is not None and index % 5 == 0
            question = services.question_submit(
                by=citizen if by_citizen else None, department=center, text=text, item=item,
                phone="" if by_citizen else _phone(rng), throttle_key=f"demo-{index}",
                channel=QuestionChannel.WECHAT if index % 3 == 0 else QuestionChannel.WEB)
            # The newest questions stay open (the last few past their deadline); the rest are answered.
            age_days = 60 - index * 58 / max(1, len(rows) - 1)
            asked = now - datetime.timedelta(days=age_days, hours=rng.randrange(0, 6))
            asked = asked.replace(hour=rng.choice([9, 10, 11, 14, 15, 16]), minute=rng.randrange(60))
            still_open = index >= len(rows) - 6
            answered = published = None
            if clerk is not None and not still_open:
                actor = clerk
                services.question_assign(by=system, question=question, assignee=clerk)
                services.question_answer(by=actor, question=question,
                                         answer=TOPICS[topic][2] if topic else ONE_OFF_ANSWER)
                late = index % 7 == 3
                answered = add_working_hours(asked, rng.choice([1, 2, 3, 5, 7]) + (6 if late else 0))
                if topic is not None:
                    services.question_publish(by=actor, question=question)
                    published = answered + datetime.timedelta(minutes=20)
                    published_by_topic.setdefault(topic, []).append(question.pk)
            elif still_open and index % 2 == 0 and clerk is not None:
                services.question_assign(by=system, question=question, assignee=clerk)
            if still_open:
                # Two open questions are ten days old (overdue, whatever holidays fall between), the rest an hour.
                asked = now - datetime.timedelta(days=10 if index < len(rows) - 4 else 0, hours=1)
            _backdate(question, asked, answered, published)
            progress(1)
        if clerk is not None:
            for topic in FAQ_TOPICS:
                ids = published_by_topic.get(topic, [])
                if ids:
                    services.faq_from_questions(by=clerk, question_ids=ids, question=TOPICS[topic][1][0])
                    progress(1)
            services.faq_create(by=system, department=center, question="中心的办公时间是什么？",
                                answer="周一至周五 9:00–17:00，周六上午 9:00–12:00（法定节假日除外）。")
    reminder_feed.sync_open()
    return []
