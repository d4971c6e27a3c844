"""Writes of supervision (ARCHITECTURE rule 3: one service per action). Import from here."""

from .dispatch import dual_notice_dispatch, dual_notice_listener
from .draws import plan_cancel, plan_close, plan_create, plan_publish, plans_close_due
from .draws_freeze import plan_freeze
from .draws_run import plan_draw, plan_replace_officer
from .handling import dual_notice_task_answer, dual_notice_task_claim, dual_notice_task_receive
from .inspections import (
    inspection_close,
    objection_answer,
    objection_file,
    plan_inspections_close,
    result_record,
    result_reinspect,
    results_publish,
)
from .item_lists import check_item_create, check_item_update, item_list_publish, joint_item_create
from .licence_rules import licence_rule_create, licence_rule_update
from .officers import officer_conflict_declare, officer_conflict_withdraw, officer_create, officer_update
from .recompute import tasks_recompute
from .reminders import dual_notice_reminders_send

__all__ = [
    "check_item_create",
    "check_item_update",
    "dual_notice_dispatch",
    "dual_notice_listener",
    "dual_notice_reminders_send",
    "dual_notice_task_answer",
    "dual_notice_task_claim",
    "dual_notice_task_receive",
    "inspection_close",
    "item_list_publish",
    "joint_item_create",
    "licence_rule_create",
    "licence_rule_update",
    "objection_answer",
    "objection_file",
    "officer_conflict_declare",
    "officer_conflict_withdraw",
    "officer_create",
    "officer_update",
    "plan_cancel",
    "plan_close",
    "plan_create",
    "plan_draw",
    "plan_freeze",
    "plan_inspections_close",
    "plan_publish",
    "plan_replace_officer",
    "plans_close_due",
    "result_record",
    "result_reinspect",
    "results_publish",
    "tasks_recompute",
]
