"""Writes of case handling (ARCHITECTURE rule 3: one service per action). Import from here."""

from .apply import (
    case_apply,
    case_attach,
    case_create,
    case_detach,
    case_resubmit,
    case_submit,
    case_update,
    case_withdraw,
    channel_allowed,
)
from .deadline_check import deadlines_check
from .handling import (
    case_accept,
    case_approve,
    case_deem_accepted,
    case_deliver,
    case_extend,
    case_forward,
    case_reassign,
    case_refuse,
    case_reject,
    case_request_correction,
    case_resume,
    case_start_pre_review,
    case_start_review,
    case_suspend,
)
from .kiosk import case_kiosk_start
from .prefill import prefill_decline, prefill_plan, prefill_run, prefill_view_for
from .rating import case_from_token, case_rate, case_rate_by_token, rating_token

__all__ = [
    "case_accept",
    "case_apply",
    "case_approve",
    "case_attach",
    "case_create",
    "case_deem_accepted",
    "case_deliver",
    "case_detach",
    "case_extend",
    "case_forward",
    "case_from_token",
    "case_kiosk_start",
    "case_rate",
    "case_rate_by_token",
    "case_reassign",
    "case_refuse",
    "case_reject",
    "case_request_correction",
    "case_resubmit",
    "case_resume",
    "case_start_pre_review",
    "case_start_review",
    "case_submit",
    "case_suspend",
    "case_update",
    "case_withdraw",
    "channel_allowed",
    "deadlines_check",
    "prefill_decline",
    "prefill_plan",
    "prefill_run",
    "prefill_view_for",
    "rating_token",
]
