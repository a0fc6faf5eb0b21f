"""OpenTofu adapter: roots, streamed init/plan/show/apply, the plan summary and saved-plan records.

``actions.tofu.TofuAdapter`` is the entry point; the TUI and the CLI use nothing else to run the binary.
"""

from actions.tofu.adapter import ApplyResult, PlanResult, TofuAdapter
from actions.tofu.errors import (
    ApplyFailed,
    InitFailed,
    NoSavedPlan,
    PlanFailed,
    RootBusy,
    StalePlan,
    TofuCancelled,
    TofuError,
    TofuNotFound,
    UnknownRoot,
)
from actions.tofu.roots import Root, discover_roots, find_binary, find_root, guide_page
from actions.tofu.runner import TofuEvent
from actions.tofu.store import PlanRecord, load_record
from actions.tofu.summary import (
    Action,
    Counts,
    OutputChange,
    PlanFormatError,
    PlanSummary,
    ResourceChange,
    summarize,
)

__all__ = [
    "Action",
    "ApplyFailed",
    "ApplyResult",
    "Counts",
    "InitFailed",
    "NoSavedPlan",
    "OutputChange",
    "PlanFailed",
    "PlanFormatError",
    "PlanRecord",
    "PlanResult",
    "PlanSummary",
    "ResourceChange",
    "Root",
    "RootBusy",
    "StalePlan",
    "TofuAdapter",
    "TofuCancelled",
    "TofuError",
    "TofuEvent",
    "TofuNotFound",
    "UnknownRoot",
    "discover_roots",
    "find_binary",
    "find_root",
    "guide_page",
    "load_record",
    "summarize",
]
