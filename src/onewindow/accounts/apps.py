from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "onewindow.accounts"
    label = "accounts"
    verbose_name = _("账户与角色")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import pre_save

        from . import reauth, session_timeout, tokens
        from .models import ApiToken

        pre_save.connect(tokens.default_expiry, sender=ApiToken, dispatch_uid="onewindow.accounts.token_expiry")

        user_logged_in.connect(reauth.on_user_logged_in, dispatch_uid="onewindow.accounts.reauth")
        user_logged_in.connect(session_timeout.on_user_logged_in, dispatch_uid="onewindow.accounts.session_timeout")
