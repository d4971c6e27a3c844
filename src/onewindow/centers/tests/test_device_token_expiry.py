"""The center manager sees when each device's token expires, and which expire within 30 days, so
a kiosk or display is renewed before it goes dark (issue #9 point 8, accounts.tokens)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from onewindow.accounts.models import ApiToken
from onewindow.centers.testing import CenterWorld

pytestmark = pytest.mark.django_db


def test_the_manager_page_shows_each_device_token_expiry(center_world: CenterWorld) -> None:
    w = center_world
    soon = timezone.now() + datetime.timedelta(days=10)
    later = timezone.now() + datetime.timedelta(days=200)
    ApiToken.objects.filter(pk=w.kiosk.token_id).update(expires_at=soon)
    ApiToken.objects.filter(pk=w.display.token_id).update(expires_at=later)
    client = Client()
    client.force_login(w.manager)
    html = client.get(f"/centers/{w.center.pk}/manage/").content.decode()
    kiosk_row = html.split(f'data-device="{w.kiosk.pk}"', 1)[1].split("</tr>", 1)[0]
    display_row = html.split(f'data-device="{w.display.pk}"', 1)[1].split("</tr>", 1)[0]
    assert timezone.localtime(soon).strftime("%Y-%m-%d") in kiosk_row and "即将到期" in kiosk_row
    assert timezone.localtime(later).strftime("%Y-%m-%d") in display_row and "即将到期" not in display_row
