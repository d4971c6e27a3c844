"""The catalog part of the JSON API (/api/v1/catalog/)."""

from ninja import Router

router = Router(tags=["catalog"])
