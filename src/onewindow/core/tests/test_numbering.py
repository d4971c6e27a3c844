"""Gap-free numbering (ARCHITECTURE rule 5): unique, 1..N, under threads and real processes."""

from __future__ import annotations

import multiprocessing
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from onewindow.core.models import AuditEntry, NumberCounter
from onewindow.core.numbering import NotInTransaction, next_number
from onewindow.core.testing import join_all, pool_starmap

from . import numbering_worker


@pytest.mark.django_db
def test_numbers_start_at_one_per_scope():
    with transaction.atomic():
        assert [next_number("a:2026") for _ in range(3)] == [1, 2, 3]
        assert next_number("b:2026") == 1
    assert dict(NumberCounter.objects.values_list("scope", "value")) == {"a:2026": 3, "b:2026": 1}


@pytest.mark.django_db
def test_a_number_is_one_statement():
    """Issue #17: one upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING), new scope or not."""
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert (next_number("one:2026"), next_number("one:2026")) == (1, 2)
    assert [q["sql"].split(" (")[0] for q in queries.captured_queries] == ['INSERT INTO "core_numbercounter"'] * 2
    assert NumberCounter.objects.get(scope="one:2026").value == 2


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_is_refused_and_nothing_is_counted():
    with pytest.raises(NotInTransaction):
        next_number("a:2026")
    assert NumberCounter.objects.count() == 0


@pytest.mark.django_db
def test_bad_scope_is_refused():
    with transaction.atomic(), pytest.raises(ValueError, match="scope"):
        next_number("")
    assert NumberCounter.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_number_is_handed_out_again():
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_number("x") == 1
        raise RuntimeError
    with transaction.atomic():
        assert next_number("x") == 1
    assert NumberCounter.objects.get(scope="x").value == 1


def committed_numbers(scope: str) -> list[int]:
    return sorted(int(n) for n in AuditEntry.objects.filter(
        action="test.number", target_label=scope).values_list("target_id", flat=True))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_threads_get_unique_gap_free_numbers():
    scope, threads, per_thread = "threads:310106:2026", 6, 15
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def work():
        try:
            results.append(numbering_worker.run(scope, per_thread, fail_every=4))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    join_all(workers)
    assert errors == []
    taken = sorted(n for chunk in results for n in chunk)
    committed = threads * (per_thread - per_thread // 4)
    assert taken == list(range(1, committed + 1))
    assert committed_numbers(scope) == taken
    assert NumberCounter.objects.get(scope=scope).value == committed


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_processes_get_unique_gap_free_numbers():
    db_name = connection.settings_dict["NAME"]
    scope, processes, per_process = "processes:2026", 4, 12
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        results = pool_starmap(pool, numbering_worker.take_numbers, [(db_name, scope, per_process, 5)] * processes)
    taken = sorted(n for chunk in results for n in chunk)
    committed = processes * (per_process - per_process // 5)
    assert taken == list(range(1, committed + 1))
    assert committed_numbers(scope) == taken
    assert NumberCounter.objects.get(scope=scope).value == committed
