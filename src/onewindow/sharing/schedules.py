"""Periodic jobs of data sharing: sealing the exchange log into its hash chain every minute."""

from __future__ import annotations

import datetime

from onewindow.core import scheduling

from .tasks import log_seal

scheduling.register("sharing.log_seal", every=datetime.timedelta(minutes=1), task=log_seal)
