from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed_item_types(sender: AppConfig, **kwargs: Any) -> None:
    """Framework hook: after migrate, make sure the 事项类型 dictionary has its seed entries."""
    from .services import item_types_seed

    if kwargs.get("using", "default") == "default":
        item_types_seed()


class CatalogConfig(AppConfig):
    name = "onewindow.catalog"
    label = "catalog"
    verbose_name = _("事项目录")

    def ready(self) -> None:
        post_migrate.connect(_seed_item_types, sender=self, dispatch_uid="catalog_seed_item_types")
