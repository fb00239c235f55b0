"""The scheduler service: nightly shutdown, morning start, idle stop, behind safety rails.

The public API the functions, the CLI and the composition root use (``docs/scheduling.md``):

- ``plan_target``: one target's inventory -> a ``Plan`` (pure; ``scheduler_plan.py``);
- ``apply_plan``: carry a plan out, one outcome per action (``scheduler_run.py``);
- ``run_target``: a work item end to end: plan, apply, one Slack report per team;
- ``fan_out``: the planner's tick: one work item per target onto the queue.

Split in modules by concern, re-exported here so callers import one name.
"""

from costwarden.pricing import SavingsEstimator
from costwarden.services.scheduler_parts import (
    HOURS_PER_MONTH,
    RDS_AUTO_START_AFTER,
    TAG_RULE,
    blast_radius,
)
from costwarden.services.scheduler_plan import plan_target
from costwarden.services.scheduler_report import TeamReport, build_reports
from costwarden.services.scheduler_run import (
    MAX_ITEM_AGE,
    Delivery,
    RunReport,
    ScheduleNotifier,
    apply_plan,
    fan_out,
    run_target,
)

__all__ = [
    "HOURS_PER_MONTH",
    "MAX_ITEM_AGE",
    "RDS_AUTO_START_AFTER",
    "TAG_RULE",
    "Delivery",
    "RunReport",
    "SavingsEstimator",
    "ScheduleNotifier",
    "TeamReport",
    "apply_plan",
    "blast_radius",
    "build_reports",
    "fan_out",
    "plan_target",
    "run_target",
]
