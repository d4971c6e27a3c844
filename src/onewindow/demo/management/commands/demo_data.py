"""``onewindow demo_data``: load the demo data set (idempotent, deterministic, with progress).

Each app that has demo data exposes ``<app>.demo.load(progress)``; ``progress(n)`` advances the
bar. ``--size small`` is the profile for CI (e.g. the whole-database PII scan, tests/test_pii_scan.py):
it is passed as ``size="small"`` to the steps whose ``load`` takes a ``size`` argument, which then
write a few weeks of history instead of a year or more; the others load as usual. The steps run
in dependency order; a step that finds its data already loaded returns at once, so a second
``make demo`` starts in seconds. At the end the demo accounts are printed.
"""

from __future__ import annotations

import importlib
import inspect
import time
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

STEPS = [
    ("onewindow.core.demo", "行政区划、工作日历 regions and calendar"),
    ("onewindow.catalog.demo", "部门与事项目录 departments and the catalog"),
    ("onewindow.accounts.demo", "演示账户 demo accounts"),
    ("onewindow.cases.demo", "办件 a year of cases and the demo accounts' stories"),
    ("onewindow.centers.demo", "受理服务中心 the 临汾路 center and 18 months of queue history"),
    ("onewindow.taxqr.demo", "房交信息采集 housing-transaction capture (智慧税务)"),
    ("onewindow.market.demo", "市场主体库与信息归集 the Jing'an registry and pooled records"),
    ("onewindow.supervision.demo", "事中事后监管 双告知, officers and the platform's users"),
    ("onewindow.sharing.demo", "政务数据共享 the resource catalogue, grants, drops and months of signed exchanges"),
    ("onewindow.demo.management.prefill_story", "减材料 the demo citizen's application filled from shared registers"),
    ("onewindow.interaction.demo", "互动交流 online questions and the FAQ"),
    ("onewindow.analytics.demo", "综合服务管理 item proposals and the rollups of the whole history"),
    ("onewindow.training.demo", "培训管理 courses, sessions and attendance"),
    ("onewindow.staffing.demo", "弹性调配 the 临汾路 demand model, next week's proposal and today's advice"),
    ("onewindow.bigscreen.demo", "大数据应用展示 南京西路商圈: its simulated crowd feed (14 days) and the big screen"),
    ("onewindow.demo.management.reminders_story", "提醒管理 the staff's reminders"),
]
SIZES = ("full", "small")


class Command(BaseCommand):
    help = "Load the demo data set (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=20170929, help="random seed (default: the article's date)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")
        parser.add_argument("--size", choices=SIZES, default="full",
                            help="full (the default) or small: a few weeks of history, for CI")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        accounts: list[tuple[str, str, str]] = []
        for module_name, label in STEPS:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name == module_name:
                    continue
                raise
            with tqdm(desc=label, unit=" rows", disable=options["quiet"], leave=True) as bar:
                sized = {"size": options["size"]} if "size" in inspect.signature(module.load).parameters else {}
                result = module.load(progress=bar.update, seed=options["seed"], **sized)
            if result:  # a step may return demo accounts (username, password, role) to print
                accounts.extend(result)
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {elapsed:.1f} s."))
        if accounts:
            self.stdout.write("\nDemo accounts (username / password / role):")
            for username, password, role in dict.fromkeys(accounts):  # a step may repeat another's account
                self.stdout.write(f"  {username:<18} {password:<16} {role}")
