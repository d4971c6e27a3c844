"""The market part of the JSON API (/api/v1/market/): parse, call one selector or service, render."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["market"])
