"""The staffing API (/api/v1/staffing/, issue #15)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["staffing"])
