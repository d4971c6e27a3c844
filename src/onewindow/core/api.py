"""The core part of the JSON API (/api/v1/core/)."""

from ninja import Router

router = Router(tags=["core"])
