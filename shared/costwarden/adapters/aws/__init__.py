"""AWS adapters (boto3). Installed with the ``aws`` extra; the core never imports this package."""

from costwarden.adapters.aws.cloudwatch_metrics import CloudWatchCpuMetrics
from costwarden.adapters.aws.dynamodb_state import DynamoDbStateStore, create_state_table
from costwarden.adapters.aws.ec2_compute import Ec2Compute
from costwarden.adapters.aws.retry import client_config
from costwarden.adapters.aws.sqs_queue import SqsWorkQueue
from costwarden.adapters.aws.targets import AwsTargetDirectory, assumed_session, session_for_target

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
