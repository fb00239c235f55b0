"""AWS adapters (boto3). Installed with the ``aws`` extra; the core never imports this package."""

from costwarden.adapters.aws.dynamodb_state import DynamoDbStateStore, create_state_table

__all__ = ["DynamoDbStateStore", "create_state_table"]
