"""Reads of the data-resource catalogue (资源目录), always scoped to the reader.

Rule: the catalogue is public inside the extranet (《上海市政务数据资源共享管理办法》): every member
of staff and system admins read every published resource and its published versions; a resource's
drafts (and a resource never published) only its provider department's admins. Citizens,
enterprises and anonymous visitors read nothing here.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from onewindow.catalog.search_keys import name_search_keys, normalize_query
from onewindow.core.errors import NotFound

from .. import permissions as perms
from ..choices import ResourceKind, ResourceStatus, SharingClass
from ..models import DataResource, ResourceVersion

#: Pinyin matching runs over the names of the visible resources in Python (a catalogue has
#: hundreds of resources, not millions); past this many it is skipped.
PINYIN_SCAN_LIMIT = 5000


def _visible(user: Any) -> QuerySet[DataResource]:
    if not perms.is_sharing_reader(user):
        return DataResource.objects.none()
    own = perms.provider_department_ids(user)
    return DataResource.objects.filter(
        Q(status__in=[ResourceStatus.PUBLISHED, ResourceStatus.WITHDRAWN], current__isnull=False)
        | Q(provider_department_id__in=own)
    )


def resource_list_for(user: Any, *, q: str = "", department_id: int | None = None, sharing_class: str | None = None,
                      kind: str | None = None, include_withdrawn: bool = False) -> QuerySet[DataResource]:
    """The catalogue as ``user`` may read it: published resources (and, for a provider
    department's admins, their drafts), searched by code, name, provider department, field label
    or field name, or the pinyin (full or initials) of the name; filtered by sharing class, kind
    and provider department. Withdrawn resources only with ``include_withdrawn`` (or a
    provider's own). Unknown filter values match nothing."""
    rows = _visible(user)
    if not include_withdrawn:
        own = perms.provider_department_ids(user)
        rows = rows.filter(~Q(status=ResourceStatus.WITHDRAWN) | Q(provider_department_id__in=own))
    if department_id is not None:
        rows = rows.filter(provider_department_id=department_id)
    if sharing_class:
        known = sharing_class in SharingClass.values
        rows = rows.filter(current__sharing_class=sharing_class) if known else rows.none()
    if kind:
        rows = rows.filter(kind=kind) if kind in ResourceKind.values else rows.none()
    text, pinyin = normalize_query(q or "")
    if text:
        # Field labels live in a JSON list: matched on its text; on SQLite the JSON text keeps
        # non-ASCII characters as \\uXXXX escapes, so the escaped form of the query is tried too.
        escaped = json.dumps(text)[1:-1]
        rows = rows.annotate(fields_text=Cast("current__fields", TextField()))
        match = (Q(code__icontains=text) | Q(current__name__icontains=text)
                 | Q(provider_department__name__icontains=text) | Q(fields_text__icontains=text)
                 | Q(fields_text__icontains=escaped))
        if pinyin:
            match |= Q(pk__in=_pinyin_matches(rows, pinyin))
        rows = rows.filter(match)
    return rows.select_related("current", "provider_department").order_by("code")


def _pinyin_matches(rows: QuerySet[DataResource], pinyin: str) -> list[int]:
    named = list(rows.filter(current__isnull=False).values_list("pk", "current__name")[:PINYIN_SCAN_LIMIT + 1])
    if len(named) > PINYIN_SCAN_LIMIT:
        return []
    found = []
    for pk, name in named:
        full, initials = name_search_keys(name or "")
        if pinyin in full or initials.startswith(pinyin):
            found.append(pk)
    return found


def resource_detail_for(user: Any, code: str) -> DataResource:
    """One resource by its code, if ``user`` may read it (404 ``sharing_resource_not_found``
    otherwise: no existence leak)."""
    resource = (_visible(user).select_related("current", "provider_department", "provider_department__region")
                .filter(code=str(code or "")[:40]).first())
    if resource is None:
        raise NotFound(_("找不到该数据资源。"), code="sharing_resource_not_found")
    return resource


def version_list_for(user: Any, resource: DataResource) -> QuerySet[ResourceVersion]:
    """The version history of a resource, newest first: published versions for every reader,
    the open draft too for the provider department's admins."""
    rows = ResourceVersion.objects.filter(resource=resource).select_related("published_by")
    if not perms.is_provider_of(user, resource.provider_department_id):
        rows = rows.filter(published_at__isnull=False)
    return rows.order_by("-number")


def open_draft_for(user: Any, resource: DataResource) -> ResourceVersion | None:
    """The resource's unpublished version, for its provider's admins (None for anyone else)."""
    if not perms.is_provider_of(user, resource.provider_department_id):
        return None
    return resource.versions.filter(published_at__isnull=True).order_by("-number").first()


def may_manage(user: Any, resource: DataResource) -> bool:
    """Whether ``user`` drafts, publishes and withdraws this resource (its provider's admin)."""
    return perms.is_provider_of(user, resource.provider_department_id)
