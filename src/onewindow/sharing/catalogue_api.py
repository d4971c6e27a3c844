"""The JSON API of data sharing: catalogue (mounted by sharing/api.py; filled by its owner)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["sharing"])
