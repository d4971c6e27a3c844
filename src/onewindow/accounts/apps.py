from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "onewindow.accounts"
    label = "accounts"
    verbose_name = _("账户与角色")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .reauth import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="onewindow.accounts.reauth")
