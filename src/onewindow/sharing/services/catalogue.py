"""Services of the data-resource catalogue (资源目录): create, draft, publish, withdraw."""

from __future__ import annotations

from typing import Any

from ..models import ResourceVersion


def version_terms(version: ResourceVersion) -> dict[str, Any]:
    """The terms of a version whose canonical digest is ``ResourceVersion.digest``: the
    resource's code, kind and provider department code, the version number, and every term a
    consumer relies on (name, description, class, conditions, basis, frequency, fields, contact)."""
    resource = version.resource
    return {
        "resource": resource.code,
        "kind": resource.kind,
        "provider_department": resource.provider_department.code,
        "version": version.number,
        "name": version.name,
        "description": version.description,
        "sharing_class": version.sharing_class,
        "conditions": version.conditions,
        "not_shared_basis": version.not_shared_basis,
        "legal_basis": version.legal_basis,
        "update_frequency": version.update_frequency,
        "fields": [
            {"name": f["name"], "label": f["label"], "type": f["type"], "personal": bool(f.get("personal")),
             "key": bool(f.get("key"))}
            for f in version.fields
        ],
        "contact_name": version.contact_name,
        "contact_phone": version.contact_phone,
    }
