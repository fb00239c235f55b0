"""AWS adapters (boto3). Installed with the ``aws`` extra; the core never imports this package.

The scheduler's adapters load on first use (PEP 562), as in ``adapters.azure``: a budget
alert's cold start imports this package for its state store and should not pay for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from costwarden.adapters.aws.dynamodb_state import DynamoDbStateStore, create_state_table

if TYPE_CHECKING:
    from costwarden.adapters.aws.cloudwatch_metrics import CloudWatchCpuMetrics
    from costwarden.adapters.aws.ec2_compute import Ec2Compute
    from costwarden.adapters.aws.retry import client_config
    from costwarden.adapters.aws.sqs_queue import SqsWorkQueue
    from costwarden.adapters.aws.targets import (
        AwsTargetDirectory,
        assumed_session,
        session_for_target,
    )

_LAZY = {
    "AwsTargetDirectory": "costwarden.adapters.aws.targets",
    "CloudWatchCpuMetrics": "costwarden.adapters.aws.cloudwatch_metrics",
    "Ec2Compute": "costwarden.adapters.aws.ec2_compute",
    "SqsWorkQueue": "costwarden.adapters.aws.sqs_queue",
    "assumed_session": "costwarden.adapters.aws.targets",
    "client_config": "costwarden.adapters.aws.retry",
    "session_for_target": "costwarden.adapters.aws.targets",
}

__all__ = [
    "AwsTargetDirectory",
    "CloudWatchCpuMetrics",
    "DynamoDbStateStore",
    "Ec2Compute",
    "SqsWorkQueue",
    "assumed_session",
    "client_config",
    "create_state_table",
    "session_for_target",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
