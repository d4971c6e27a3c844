"""What a printer prints under a ticket just taken (issue #17): the people ahead and the wait estimate.

The ticket's holder later follows the same figures on the status page (``selectors.ticket_status``);
for the printout the ticket is already in hand, so it is not read again, and the inputs of the wait
estimate — the category's recent service minutes and its open windows, two queries — are kept for a
minute per category and day in the ``default`` cache (an estimate given as a ±30 % range moves little
within a minute). Only the people ahead are counted at each take: one COUNT on the queue index.
"""

from __future__ import annotations

import functools

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from .choices import TicketStatus
from .models import Ticket, TicketCategory
from .selectors import TicketStatusView, open_windows_for, service_minutes, wait_range

ESTIMATE_SECONDS = 60


def wait_inputs(category: TicketCategory, ticket: Ticket) -> tuple[float, int]:
    """(average service minutes, open windows) of the ticket's category and day, cached per minute."""
    minute = int(timezone.now().timestamp() // ESTIMATE_SECONDS)
    key = f"centers:wait:{category.pk}:{ticket.date.isoformat()}:{minute}"
    inputs: tuple[float, int] | None = cache.get(key)
    if inputs is None:
        inputs = (service_minutes(category, ticket.date), open_windows_for(category))
        cache.set(key, inputs, ESTIMATE_SECONDS * 2)
    return inputs


@functools.cache
def _ahead_sql(vendor: str) -> str:
    """The people-ahead COUNT on the queue index, built once per process from ``_meta`` (issue #17: the ORM
    compiled it anew at every take; names quoted by the backend, values parameters)."""
    quote = connection.ops.quote_name
    names = ("center", "date", "category", "status", "queue_key", "id")
    column = {name: quote(Ticket._meta.get_field(name).column) for name in names}  # type: ignore[union-attr,arg-type]
    return (f"SELECT COUNT(*) FROM {quote(Ticket._meta.db_table)} WHERE {column['center']} = %s "  # noqa: S608
            f"AND {column['date']} = %s AND {column['status']} = %s AND {column['category']} = %s "
            f"AND ({column['queue_key']} < %s OR ({column['queue_key']} = %s AND {column['id']} < %s))")


def people_ahead(ticket: Ticket) -> int:
    """The waiting tickets of the ticket's category and day before it in the queue order (queue key, id).
    Counted, not derived from the number and the called count: priorities move tickets ahead by their
    head start, transfers keep their place in another category, cancels and re-queues leave or re-enter."""
    key = connection.ops.adapt_datetimefield_value(ticket.queue_key)
    with connection.cursor() as cursor:
        cursor.execute(_ahead_sql(connection.vendor),
                       [ticket.center_id, connection.ops.adapt_datefield_value(ticket.date), TicketStatus.WAITING,
                        ticket.category_id, key, key, ticket.pk])
        return int(cursor.fetchone()[0])


def printout(ticket: Ticket) -> TicketStatusView:
    """The status view of a ticket just taken (waiting), as ``selectors.ticket_status`` would give it."""
    category = ticket.category
    ahead = people_ahead(ticket)
    minutes, windows = wait_inputs(category, ticket)
    return TicketStatusView(display=ticket.display, center=ticket.center.name, category=category.name,
                            status=ticket.status, status_label=str(TicketStatus(ticket.status).label), ahead=ahead,
                            wait=wait_range(ahead, minutes, windows), window=None, taken_at=ticket.taken_at,
                            called_at=None, rateable=False)
