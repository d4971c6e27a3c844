"""The language switch stores a logged-in user's preferred language, on the user and their person,
so that messages reach them in it (issue #10 part 6). Anonymous switches only set the cookie."""

from __future__ import annotations

from onewindow.accounts.models import Person, User
from onewindow.accounts.testing import Principals
from onewindow.centers.testing import CenterWorld, enrol
from onewindow.core.models import AuditEntry

URL = "/i18n/setlang/"


def _stored(user: User) -> tuple[str, str]:
    user.refresh_from_db()
    assert user.person is not None
    return user.preferred_language, Person.objects.get(pk=user.person.pk).preferred_language


def test_the_switch_stores_the_logged_in_users_preference_once(principals: Principals) -> None:
    citizen = principals.citizen
    assert _stored(citizen) == ("zh-hans", "zh-hans")  # the default
    client = principals.client("citizen")
    response = client.post(URL, {"language": "en", "next": "/catalog/"})
    assert (response.status_code, response["Location"]) == (302, "/catalog/")
    assert response.cookies["django_language"].value == "en"
    assert _stored(citizen) == ("en", "en")
    entries = AuditEntry.objects.filter(action="accounts.preferred_language_set")
    assert [(e.before, e.after) for e in entries.all()] == [({"preferred_language": "zh-hans"},
                                                       {"preferred_language": "en"})]
    # The same choice again changes nothing and writes no second entry.
    client.post(URL, {"language": "en", "next": "/"})
    assert entries.count() == 1
    client.post(URL, {"language": "zh-hans", "next": "/"})
    assert _stored(citizen) == ("zh-hans", "zh-hans") and entries.count() == 2


def test_an_unknown_language_and_an_anonymous_switch_store_nothing(principals: Principals) -> None:
    client = principals.client("citizen")
    response = client.post(URL, {"language": "xx", "next": "/"})
    assert response.status_code == 302 and "django_language" not in response.cookies
    assert _stored(principals.citizen) == ("zh-hans", "zh-hans")
    anonymous = principals.client("anonymous").post(URL, {"language": "en", "next": "/"})
    assert anonymous.status_code == 302 and anonymous.cookies["django_language"].value == "en"
    assert set(User.objects.values_list("preferred_language", flat=True)) == {"zh-hans"}
    assert set(Person.objects.values_list("preferred_language", flat=True)) == {"zh-hans"}
    assert not AuditEntry.objects.filter(action="accounts.preferred_language_set").exists()


def test_a_kiosk_browser_keeps_the_choice_in_its_cookie_only(center_world: CenterWorld) -> None:
    """A device-bound kiosk is shared by passers-by: whoever is signed in there, the switch stores
    nothing (request.bound_device, decision 0008)."""
    citizen = center_world.cw.p.citizen
    client = enrol(center_world.cw.p.client("citizen"), center_world.kiosk)
    response = client.post(URL, {"language": "en", "next": "/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "en"
    assert _stored(citizen) == ("zh-hans", "zh-hans")
    assert not AuditEntry.objects.filter(action="accounts.preferred_language_set").exists()
