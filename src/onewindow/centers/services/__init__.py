"""Writes of the service centers (one service per action). Import from here."""

from .queue import (
    ticket_call_next,
    ticket_cancel,
    ticket_finish,
    ticket_recall,
    ticket_requeue,
    ticket_skip,
    ticket_start,
    ticket_take,
    ticket_transfer,
)

__all__ = ["ticket_call_next", "ticket_cancel", "ticket_finish", "ticket_recall", "ticket_requeue", "ticket_skip",
           "ticket_start", "ticket_take", "ticket_transfer"]
