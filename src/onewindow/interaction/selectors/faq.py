"""The FAQ as the public and staff read it: search in Chinese and in pinyin (full or initials),
like the catalog (catalog.search_keys.normalize_query): ``居住证`` matches the question and answer
text, ``jzz`` / ``juzhuzheng`` the pinyin columns of the question."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db.models import Q, QuerySet

from onewindow.catalog.models import ServiceItem
from onewindow.catalog.search_keys import normalize_query
from onewindow.core.normalize import has_invalid_characters

from ..models import FaqEntry
from ..permissions import faq_queryset_for


def _search(qs: QuerySet[FaqEntry], q: str) -> QuerySet[FaqEntry]:
    # NFKC first: a Chinese input method in full-width mode types ｊｚｚ for jzz.
    text, pinyin = normalize_query(unicodedata.normalize("NFKC", q))
    if not text:
        return qs
    cond = Q(question__contains=text) | Q(answer__contains=text) | Q(items__name__contains=text)
    if pinyin:
        cond |= Q(question_pinyin__contains=pinyin) | Q(question_initials__contains=pinyin)
    return qs.filter(cond).distinct()


def faq_search(*, q: str = "", item_id: int | None = None) -> QuerySet[FaqEntry]:
    """Published FAQ entries matching ``q`` (and linked to ``item_id``), newest first."""
    qs = FaqEntry.objects.filter(is_published=True).prefetch_related("items")
    if item_id is not None:
        qs = qs.filter(items__id=item_id)
    return _search(qs, q).order_by("-updated_at", "-id")


def faq_for_staff(*, by: Any, q: str = "") -> QuerySet[FaqEntry]:
    """Every FAQ entry of the viewer's departments (published or not)."""
    return _search(faq_queryset_for(by).prefetch_related("items", "sources"), q).order_by("-updated_at", "-id")


def faq_entry_for_staff(*, by: Any, entry_id: int) -> FaqEntry | None:
    return faq_queryset_for(by).prefetch_related("items", "sources").filter(pk=entry_id).first()


def items_for_codes(text: str) -> tuple[list[int], list[str]]:
    """Catalog item ids for the 实施编码 typed one per line (or separated by commas/spaces), and the
    codes that match no item."""
    codes = list(dict.fromkeys(c for c in str(text or "").replace("，", " ").replace(",", " ").split() if c))[:50]
    typable = [c for c in codes if not has_invalid_characters(c)]  # a NUL never reaches the database
    found = dict(ServiceItem.objects.filter(code__in=typable).values_list("code", "id"))
    return [found[c] for c in codes if c in found], [c for c in codes if c not in found]
