"""Reads of bulk exchange (批量交换): the drops a user may see, and the loaded dataset rows.

Who sees a drop: the 部门管理员 and 数据报送员 of the resource's provider department (the people
who send them) and system admins (all drops); nobody else, not even other staff.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.choices import StaffRoleKind
from onewindow.core.actors import is_system
from onewindow.core.crypto import keyed_hash_candidates
from onewindow.core.errors import NotFound
from onewindow.core.fields import normalize_for_hash

from ..choices import DropStatus, ResourceKind, ResourceStatus
from ..models import BulkDrop, DataResource, DatasetRow

#: Who may send a drop for the department's resources (besides the system's own command).
DROP_ROLES: tuple[str, ...] = (StaffRoleKind.DEPARTMENT_ADMIN, StaffRoleKind.DATA_CLERK)


def may_send_drop(user: Any, resource: DataResource) -> bool:
    """True when ``user`` may send drops for ``resource``: an admin or data clerk of its provider
    department (a system admin acts for no department), or the system itself (the command)."""
    if is_system(user):
        return True
    return resource.provider_department_id in account_perms.departments_of(user, *DROP_ROLES)


def drop_department_ids(user: Any) -> set[int] | None:
    """The provider departments whose drops ``user`` sees (None: every department, a system admin)."""
    if account_perms.is_system_admin(user):
        return None
    return account_perms.departments_of(user, *DROP_ROLES)


def drop_list_for(user: Any, *, resource_code: str = "", status: str = "") -> QuerySet[BulkDrop]:
    """The drops ``user`` may see, newest first, optionally of one resource (by code) or status."""
    rows = BulkDrop.objects.select_related("resource", "version", "created_by").defer("errors")
    departments = drop_department_ids(user)
    if departments is not None:
        rows = rows.filter(resource__provider_department_id__in=departments)
    if resource_code:
        rows = rows.filter(resource__code=resource_code)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-id")


def drop_get_for(user: Any, drop_id: int) -> BulkDrop:
    """One drop ``user`` may see (404 ``sharing_drop_not_found`` otherwise, also when it exists
    but belongs to another department)."""
    rows = BulkDrop.objects.select_related("resource", "version", "created_by")
    departments = drop_department_ids(user)
    if departments is not None:
        rows = rows.filter(resource__provider_department_id__in=departments)
    found = rows.filter(pk=drop_id).first()
    if found is None:
        raise NotFound(_("找不到该批量交换文件。"), code="sharing_drop_not_found")
    return found


def drop_repeat_of(drop: BulkDrop) -> BulkDrop | None:
    """The earlier loaded drop of the same resource with the same content (same SHA-256), if any:
    a load that changed nothing says which file it repeated."""
    if drop.status != DropStatus.LOADED:
        return None
    return (BulkDrop.objects.filter(resource_id=drop.resource_id, actual_sha256=drop.actual_sha256,
                                    status=DropStatus.LOADED, pk__lt=drop.pk)
            .only("pk", "created_at").order_by("-pk").first())


def drop_resources_for(user: Any) -> QuerySet[DataResource]:
    """The published dataset resources ``user`` may send drops for (the upload form's choices)."""
    departments = account_perms.departments_of(user, *DROP_ROLES)
    return (DataResource.objects.filter(provider_department_id__in=departments, kind=ResourceKind.DATASET,
                                        status=ResourceStatus.PUBLISHED)
            .select_related("current").order_by("code"))


def dataset_row_for(resource: DataResource, key: str) -> tuple[dict[str, Any], DatasetRow] | None:
    """The loaded row of a dataset resource whose key field equals ``key`` (its values and the row,
    whose ``updated_at`` is the as-of time), or None. Not scoped to a user: the exchange calls it
    for the ``sharing.dataset`` provider after checking the grant."""
    candidates = keyed_hash_candidates(normalize_for_hash(str(key or ""), "upper"))
    row = DatasetRow.objects.filter(resource=resource, row_key_hash__in=candidates).first()
    if row is None:
        return None
    return json.loads(row.data), row
