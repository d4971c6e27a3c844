"""Public pages of 互动交流 (issue #14 part 7), mobile-first: the same page serves the WeChat page
美好临汾 (``?channel=wechat``).

- ``/interaction/``: ask a question (logged in, or with a mobile number for the answer notice;
  anonymous asking is rate-limited per client address), the FAQ search (Chinese or pinyin) and
  the published questions and answers — never the asker's identity;
- ``/interaction/faq/<id>/``: one published FAQ entry.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from onewindow.core.errors import DomainError, field_messages
from onewindow.core.net import client_ip
from onewindow.core.pagination import page_number, paginate

from ..choices import QuestionChannel
from ..models import FaqEntry
from ..selectors import faq_search, published_questions
from ..services import question_submit
from ..services.questions import question_departments

PAGE_SIZE = 20


def _channel(value: str) -> str:
    return value if value in QuestionChannel.values else QuestionChannel.WEB


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    departments = question_departments()
    error: DomainError | None = None
    form = {"department": request.GET.get("department", ""), "text": "", "phone": "", "item": "",
            "channel": _channel(request.GET.get("channel", ""))}
    status = 200
    if request.method == "POST":
        form = {k: str(request.POST.get(k, "")).strip() for k in ("department", "text", "phone", "item", "channel")}
        form["channel"] = _channel(form["channel"])
        try:
            item = int(form["item"]) if form["item"] else None
        except ValueError:
            item = -1
        try:
            question = question_submit(by=request.user if request.user.is_authenticated else None,
                                       department=form["department"] or (departments[0].pk if departments else ""),
                                       text=form["text"], item=item, phone=form["phone"],
                                       channel=form["channel"], throttle_key=client_ip(request))
        except DomainError as exc:
            error, status = exc, exc.status
        else:
            due = timezone.localtime(question.due_at).strftime("%Y-%m-%d %H:%M")
            messages.success(request, gettext("您的问题已提交（编号 Q%(id)d），我们将在 %(due)s 前答复。")
                             % {"id": question.pk, "due": due})
            return redirect(request.path + ("?channel=wechat" if form["channel"] == QuestionChannel.WECHAT else ""))
    q = " ".join(str(request.GET.get("q", "")).split())[:100]
    faqs = paginate(faq_search(q=q), 1, 10) if q else paginate(faq_search(), 1, 10)
    answered = paginate(published_questions(q=q), page_number(request.GET.get("page")), PAGE_SIZE)
    return render(request, "interaction/home.html", {
        "departments": departments, "form": form, "error": error, "errors": field_messages(error),
        "q": q, "faqs": faqs, "answered": answered,
    }, status=status)


@require_GET
def faq_detail(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = FaqEntry.objects.filter(pk=entry_id, is_published=True).prefetch_related("items").first()
    if entry is None:
        raise Http404
    return render(request, "interaction/faq_detail.html", {"entry": entry})


urlpatterns: list[URLPattern] = [
    path("", home, name="home"),
    path("faq/<int:entry_id>/", faq_detail, name="faq"),
]
