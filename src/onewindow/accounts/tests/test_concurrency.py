"""Two windows registering the same document at once: one person, one clean refusal."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from onewindow.accounts import services
from onewindow.accounts.models import Person
from onewindow.accounts.testing import StaffRoleFactory, UserFactory, make_resident_id
from onewindow.core.errors import DomainError
from onewindow.core.testing import join_all, start_barrier


@pytest.mark.django_db(transaction=True)
def test_concurrent_registration_of_one_document_makes_one_person() -> None:
    clerks = []
    for i in range(4):
        user = UserFactory.create(username=f"window{i}")
        StaffRoleFactory.create(user=user)
        clerks.append(user)
    number = make_resident_id()
    barrier = start_barrier(len(clerks))
    outcomes: list[str] = []

    def register(clerk: object) -> None:
        try:
            barrier.wait()
            services.person_register(by=clerk, name="并发", id_number=number, phone="13900009999")
            outcomes.append("created")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(c,)) for c in clerks]
    for t in threads:
        t.start()
    join_all(threads)
    assert sorted(outcomes) == ["created"] + ["person_exists"] * (len(clerks) - 1)
    assert Person.objects.filter(name="并发").count() == 1
