"""The interaction pages: the public page for everyone, the staff pages as an authorization
matrix (anonymous → login, resident 403, another center's clerk 404 on a question), the xlsx export."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from openpyxl import load_workbook

from onewindow.interaction import services
from onewindow.interaction.models import FaqEntry, Question

pytestmark = pytest.mark.django_db
PAGES = ["/interaction/manage/", "/interaction/manage/clusters/", "/interaction/manage/faq/",
         "/interaction/manage/faq/new/", "/interaction/manage/statistics/"]


@pytest.fixture
def asked(centers):
    p = centers
    q = services.question_submit(by=p.citizen, department=p.department, text="居住证怎么办理？")
    return p, q


@pytest.mark.parametrize("path", PAGES)
def test_staff_pages_matrix(asked, path):
    p, _q = asked
    response = p.client("anonymous").get(path)
    assert response.status_code == 302 and "/login" in response["Location"]
    assert p.client("citizen").get(path).status_code == 403
    for name in ("clerk", "manager", "clerk_other_department", "admin"):
        assert p.client(name).get(path).status_code == 200, name


def test_question_page_scope(asked):
    p, q = asked
    url = f"/interaction/manage/questions/{q.pk}/"
    assert p.client("clerk").get(url).status_code == 200
    assert p.client("manager").get(url).status_code == 200
    assert p.client("clerk_other_department").get(url).status_code == 404
    assert p.client("citizen").get(url).status_code == 403
    inbox = p.client("clerk_other_department").get("/interaction/manage/").content.decode()
    assert "居住证怎么办理" not in inbox
    assert "居住证怎么办理" in p.client("manager").get("/interaction/manage/").content.decode()


def test_public_page_asks_and_shows_errors(centers):
    p = centers
    cache.clear()
    anon = p.client("anonymous")
    assert anon.get("/interaction/").status_code == 200
    response = anon.post("/interaction/", {"department": p.department.pk, "text": "居住证怎么办理？", "phone": ""})
    assert response.status_code == 422 and "以便通知答复" in response.content.decode()
    assert Question.objects.count() == 0
    response = anon.post("/interaction/", {"department": p.department.pk, "text": "居住证怎么办理？",
                                           "phone": "13812345678", "item": "abc"})
    assert response.status_code == 422 and Question.objects.count() == 0
    response = anon.post("/interaction/", {"department": p.department.pk, "text": "居住证怎么办理？",
                                           "phone": "13812345678"})
    assert response.status_code == 302 and Question.objects.count() == 1


def test_staff_answer_publish_faq_through_pages(asked):
    p, q = asked
    clerk = p.client("clerk")
    base = f"/interaction/manage/questions/{q.pk}/"
    response = clerk.post(base + "answer/", {"answer": ""})
    assert response.status_code == 422 and Question.objects.get(pk=q.pk).status == "submitted"
    assert clerk.post(base + "frobnicate/", {}).status_code == 404
    assert clerk.post(base + "answer/", {"answer": "带身份证到中心办理。"}).status_code == 302
    assert clerk.post(base + "publish/", {"text": ""}).status_code == 302
    assert Question.objects.get(pk=q.pk).status == "published"
    form = clerk.get(f"/interaction/manage/faq/new/?questions={q.pk}").content.decode()
    assert "带身份证到中心办理。" in form
    response = clerk.post("/interaction/manage/faq/new/", {"questions": str(q.pk), "question": "居住证怎么办理？",
                                                           "answer": "带身份证到中心办理。", "items": "NO-SUCH-CODE"})
    assert response.status_code == 422 and FaqEntry.objects.count() == 0
    response = clerk.post("/interaction/manage/faq/new/", {"questions": str(q.pk), "question": "居住证怎么办理？",
                                                           "answer": "带身份证到中心办理。", "items": ""})
    assert response.status_code == 302 and FaqEntry.objects.count() == 1
    public = p.client("anonymous").get("/interaction/?q=jzz").content.decode()
    assert "居住证怎么办理？" in public and "带身份证到中心办理。" in public
    assert p.client("clerk_other_department").get(
        f"/interaction/manage/faq/{FaqEntry.objects.get().pk}/").status_code == 404


def test_statistics_export_xlsx(asked):
    p, _q = asked
    response = p.client("clerk").get("/interaction/manage/statistics/?format=xlsx")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert ["待分派", 1] in [list(v[:2]) for v in values]
    assert ["合计", 1] in [list(v[:2]) for v in values]
