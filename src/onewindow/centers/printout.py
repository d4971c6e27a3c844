"""What a printer prints under a ticket just taken (issue #17): the people ahead and the wait estimate.

The ticket's holder later follows the same figures on the status page (``selectors.ticket_status``);
for the printout the ticket is already in hand, so it is not read again, and the inputs of the wait
estimate — the category's recent service minutes and its open windows, two queries — are kept for a
minute per category and day in the ``default`` cache (an estimate given as a ±30 % range moves little
within a minute). Only the people ahead are counted at each take: one COUNT on the queue index.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Q
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


def printout(ticket: Ticket) -> TicketStatusView:
    """The status view of a ticket just taken (waiting), as ``selectors.ticket_status`` would give it."""
    category = ticket.category
    ahead = (Ticket.objects.filter(center_id=ticket.center_id, date=ticket.date, category_id=ticket.category_id,
                                   status=TicketStatus.WAITING)
             .filter(Q(queue_key__lt=ticket.queue_key) | Q(queue_key=ticket.queue_key, pk__lt=ticket.pk)).count())
    minutes, windows = wait_inputs(category, ticket)
    return TicketStatusView(display=ticket.display, center=ticket.center.name, category=category.name,
                            status=ticket.status, status_label=str(TicketStatus(ticket.status).label), ahead=ahead,
                            wait=wait_range(ahead, minutes, windows), window=None, taken_at=ticket.taken_at,
                            called_at=None, rateable=False)
