"""Writes of the market app (ARCHITECTURE rule 3: one service per action). Import from here."""

from .importer import COLUMNS, ImportRefused, entities_import, entities_load, expected_columns
from .industries import industries_load, industry_rows
from .registry import (
    RiskGradeRow,
    RiskImportResult,
    entity_register,
    entity_status_set,
    entity_update,
    risk_grades_import,
)
from .validation import EntityInput, References, RowError, check_entity

__all__ = [
    "COLUMNS",
    "EntityInput",
    "ImportRefused",
    "References",
    "RiskGradeRow",
    "RiskImportResult",
    "RowError",
    "check_entity",
    "entities_import",
    "entities_load",
    "entity_register",
    "entity_status_set",
    "entity_update",
    "expected_columns",
    "industries_load",
    "industry_rows",
    "risk_grades_import",
]
