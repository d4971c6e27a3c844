"""Background tasks of notifications (django.tasks): deliver one SMS, and the periodic sweep."""

from __future__ import annotations

from django_tasks import task


@task()
def message_deliver(message_id: str) -> bool:
    """Try to hand one SMS to the gateway (enqueued on commit of the change that wrote it)."""
    from .services import message_deliver_one

    return message_deliver_one(message_id)


@task()
def messages_deliver_due() -> int:
    """Deliver every due SMS: first tries whose task was lost, and retries after back-off (every 10 s)."""
    from .services import messages_deliver_due as sweep

    return sweep()


@task()
def reminders_deliver_due() -> int:
    """Notify each reminder that became due (in-app, and SMS when the user chose it), once per due."""
    from .services import reminders_deliver_due as deliver

    return deliver()
