"""Staff pages of the FAQ (常见问题) and of the frequent questions mined from the Q&A.

- ``/interaction/manage/clusters/``: clusters of similar questions (clustering.py), the ones not
  yet in the FAQ first, each with "转为常见问题";
- ``/interaction/manage/faq/``: the department's FAQ entries, searched like the public FAQ;
- ``/interaction/manage/faq/new/?questions=1,2,3``: a new entry, prefilled from a cluster (its
  representative question, the latest answer, the items asked about);
- ``/interaction/manage/faq/<id>/``: edit an entry (wording, answer, items by 实施编码, published).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from onewindow.core.errors import DomainError, NotFound, field_messages
from onewindow.core.pagination import page_number, paginate

from .. import permissions as perms
from .. import selectors, services
from ..services.questions import question_departments
from .manage import error_page, require_staff

PAGE_SIZE = 30


@login_required
@require_GET
def clusters(request: HttpRequest) -> HttpResponse:
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    return render(request, "interaction/clusters.html",
                  {"clusters": selectors.frequent_questions(by=request.user)})


@login_required
@require_GET
def faq_list(request: HttpRequest) -> HttpResponse:
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    q = " ".join(str(request.GET.get("q", "")).split())[:100]
    page = paginate(selectors.faq_for_staff(by=request.user, q=q), page_number(request.GET.get("page")), PAGE_SIZE)
    return render(request, "interaction/faq_list.html", {"page": page, "q": q})


def _ids(text: str) -> list[int]:
    return [int(p) for p in str(text or "").split(",") if p.strip().isdigit()][:200]


def _items_error(missing: list[str]) -> DomainError:
    return DomainError(_("常见问题信息不正确。"), code="interaction_faq_invalid", status=422,
                       fields={"items": [_("找不到事项：%(codes)s") % {"codes": "、".join(missing)}]})


@login_required
@require_http_methods(["GET", "POST"])
def faq_new(request: HttpRequest) -> HttpResponse:
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    data = request.POST if request.method == "POST" else request.GET
    source_ids = _ids(data.get("questions", ""))
    sources = list(selectors.inbox(by=request.user).filter(pk__in=source_ids)) if source_ids else []
    departments = [d for d in question_departments() if perms.handles_department(request.user, d.pk)]
    if len(sources) != len(set(source_ids)):
        return error_page(request, NotFound(_("找不到该问题。"), code="interaction_question_not_found"))
    error: DomainError | None = None
    if request.method == "POST":
        form = {k: str(request.POST.get(k, "")).strip() for k in ("question", "answer", "items", "questions")}
        item_ids, missing = selectors.items_for_codes(form["items"])
        try:
            if missing:
                raise _items_error(missing)
            if sources:
                entry = services.faq_from_questions(by=request.user, question_ids=source_ids, question=form["question"],
                                                    answer=form["answer"], item_ids=item_ids)
            else:
                chosen = request.POST.get("department", "")
                only = departments[0] if len(departments) == 1 else None
                department = next((d for d in departments if str(d.pk) == chosen), only)
                if department is None:
                    raise DomainError(_("常见问题信息不正确。"), code="interaction_faq_invalid", status=422,
                                      fields={"department": [_("请选择服务中心。")]})
                entry = services.faq_create(by=request.user, department=department, question=form["question"],
                                            answer=form["answer"], item_ids=item_ids)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, str(_("常见问题已发布。")))
            return redirect(reverse("interaction:manage_faq_edit", args=[entry.pk]))
    else:
        answered = [q for q in sources if q.answer]
        form = {"question": sources[0].text if sources else "", "answer": answered[-1].answer if answered else "",
                "items": "\n".join(dict.fromkeys(q.item.code for q in sources if q.item is not None)),
                "questions": ",".join(str(q.pk) for q in sources)}
    return render(request, "interaction/faq_form.html", {"form": form, "sources": sources, "entry": None,
                                                         "departments": departments,
                                                         "error": error, "errors": field_messages(error)},
                  status=error.status if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def faq_edit(request: HttpRequest, entry_id: int) -> HttpResponse:
    try:
        require_staff(request.user)
        entry = selectors.faq_entry_for_staff(by=request.user, entry_id=entry_id)
        if entry is None:
            raise NotFound(_("找不到该常见问题。"), code="interaction_faq_not_found")
    except DomainError as exc:
        return error_page(request, exc)
    error: DomainError | None = None
    form: dict[str, Any]
    if request.method == "POST":
        form = {k: str(request.POST.get(k, "")).strip() for k in ("question", "answer", "items")}
        form["published"] = request.POST.get("published") == "on"
        item_ids, missing = selectors.items_for_codes(form["items"])
        try:
            if missing:
                raise _items_error(missing)
            services.faq_update(by=request.user, entry=entry, question=form["question"], answer=form["answer"],
                                item_ids=item_ids, is_published=form["published"])
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, str(_("常见问题已保存。")))
            return redirect(reverse("interaction:manage_faq_edit", args=[entry.pk]))
    else:
        form = {"question": entry.question, "answer": entry.answer, "published": entry.is_published,
                "items": "\n".join(i.code for i in entry.items.all())}
    return render(request, "interaction/faq_form.html", {"form": form, "sources": list(entry.sources.all()),
                                                         "entry": entry, "error": error,
                                                         "errors": field_messages(error)},
                  status=error.status if error else 200)


urlpatterns: list[URLPattern] = [
    path("manage/clusters/", clusters, name="manage_clusters"),
    path("manage/faq/", faq_list, name="manage_faq"),
    path("manage/faq/new/", faq_new, name="manage_faq_new"),
    path("manage/faq/<int:entry_id>/", faq_edit, name="manage_faq_edit"),
]

