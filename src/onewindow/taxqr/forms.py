"""The client form (房产交易辅助) as flat HTML fields ⇄ the nested record data.

Field names are dotted paths of the record: ``property.area``, ``sellers.0.id_number``,
``buyers.1.family.children.0.name``. Buttons ``op=add:<list path>`` and ``op=remove:<item path>``
add or remove a person, so the form works without JavaScript on any phone.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import QueryDict

_PATH = re.compile(r"^(property|contract|sellers|buyers)(\.[A-Za-z0-9_]{1,40}){1,6}$")
MAX_INDEX = 19
BLANK_PERSON = {"name": "", "id_number": "", "phone": "", "share": ""}


def _blank_buyer() -> dict[str, Any]:
    return {**BLANK_PERSON, "family": {"spouse": {"name": "", "id_number": ""}, "children": [], "homes_held": "0"}}


def blank() -> dict[str, Any]:
    return {"property": {"district_code": "310106", "use": "residential", "housing_class": "ordinary"},
            "contract": {}, "sellers": [{**BLANK_PERSON, "share": "100"}],
            "buyers": [{**_blank_buyer(), "share": "100"}]}


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_listify(node[k]) for k in sorted(node, key=int)]
        return {k: _listify(v) for k, v in node.items()}
    return node


def parse(post: QueryDict) -> dict[str, Any]:
    """The nested record data from the posted fields (unknown names ignored)."""
    root: dict[str, Any] = {}
    for name, value in post.items():
        if not _PATH.match(name):
            continue
        parts = name.split(".")
        if any(p.isdigit() and int(p) > MAX_INDEX for p in parts):
            continue
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node[parts[-1]] = str(value).strip()[:200]
    data: dict[str, Any] = _listify(root)
    for side in ("sellers", "buyers"):
        data.setdefault(side, [])
    for seller in data["sellers"]:
        seller["only_family_home"] = seller.get("only_family_home") == "on"
    for buyer in data["buyers"]:
        family = buyer.setdefault("family", {})
        spouse = family.get("spouse")
        if isinstance(spouse, dict) and not (spouse.get("name") or spouse.get("id_number")):
            family["spouse"] = None
        family.setdefault("children", [])
        family["children"] = [c for c in family["children"] if c.get("name") or c.get("id_number")] \
            if isinstance(family["children"], list) else []
        family["homes_held"] = family.get("homes_held") or "0"
    data.setdefault("property", {})
    data.setdefault("contract", {})
    return data


def apply_op(data: dict[str, Any], op: str) -> dict[str, Any]:
    """Add a blank person to a list, or remove one (``add:sellers``, ``remove:buyers.0.family.children.1``)."""
    kind, _, path = op.partition(":")
    parts = path.split(".")
    node: Any = data
    try:
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if kind == "add":
            target = node[last] if isinstance(node, dict) else node[int(last)]
            if isinstance(target, list) and len(target) <= MAX_INDEX:
                target.append(_blank_buyer() if last == "buyers" else dict(BLANK_PERSON))
        elif kind == "remove" and isinstance(node, list):
            node.pop(int(last))
    except (KeyError, IndexError, ValueError, TypeError):
        pass
    return data


def for_display(data: dict[str, Any]) -> dict[str, Any]:
    """The data with every list and sub-dict present, for the template."""
    shown = blank() | {k: v for k, v in data.items() if v}
    shown["property"] = {**blank()["property"], **(data.get("property") or {})}
    for i, seller in enumerate(shown["sellers"]):
        seller["prefix"] = f"sellers.{i}"
    for i, buyer in enumerate(shown["buyers"]):
        buyer["prefix"] = f"buyers.{i}"
        family = buyer.setdefault("family", {})
        family["spouse"] = dict(family.get("spouse") or {"name": "", "id_number": ""})
        family["spouse"]["prefix"] = f"buyers.{i}.family.spouse"
        family["children"] = [dict(c, prefix=f"buyers.{i}.family.children.{j}")
                              for j, c in enumerate(family.get("children") or [])]
        family.setdefault("homes_held", "0")
    return shown


def attach_errors(shown: dict[str, Any], fields: dict[str, list[str]]) -> dict[str, Any]:
    """Put each field's messages beside it (``node["err"][leaf]``) for the template."""
    for path, messages in fields.items():
        parts = path.split(".")
        node: Any = shown
        try:
            for part in parts[:-1]:
                node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            node = None
        if isinstance(node, dict):
            node.setdefault("err", {})[parts[-1]] = messages
        else:
            shown.setdefault("err", {})[path] = messages
    return shown
