"""API of the management system: search (filled by its owner)."""

from __future__ import annotations

from ninja import Router

router = Router()
