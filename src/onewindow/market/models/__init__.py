"""Models of market (one module a concept, re-exported here)."""

from .entity import EntityImport, EntityProfile, EntitySearchKey, EntityVersion, FormerName, Industry

__all__ = ["EntityImport", "EntityProfile", "EntitySearchKey", "EntityVersion", "FormerName", "Industry"]
from .records import Objection as Objection, PooledRecord as PooledRecord, RecordRevision as RecordRevision  # noqa: I001
from .sanctions import SanctionEvent as SanctionEvent, SanctionListing as SanctionListing
