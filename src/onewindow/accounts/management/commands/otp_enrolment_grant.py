"""``onewindow otp_enrolment_grant <username>``: open a TOTP enrolment from the server.

For the first system admin of an installation (no admin exists yet to grant it on the web page)
and for recovery when no admin can log in. Whoever runs it has the server, so the grant is
audited with the system actor ``otp_enrolment_grant command``. Prints the one-time code last.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onewindow.accounts import otp
from onewindow.accounts.models import User
from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError


class Command(BaseCommand):
    help = "Open a TOTP enrolment for a user and print its one-time enrolment code (decision 0009)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']!r}")
        try:
            code = otp.otp_enrolment_grant(by=system_actor("otp_enrolment_grant command"), user=user)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"Enrolment code for {user.get_username()} "
                          f"(valid {otp.enrolment_hours()} h, shown once):")
        self.stdout.write(code)
