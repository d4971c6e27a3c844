"""The taxqr part of the JSON API (/api/v1/taxqr/)."""

from ninja import Router

from onewindow.accounts.api_auth import session_or_token

router = Router(tags=["taxqr"], auth=session_or_token)
