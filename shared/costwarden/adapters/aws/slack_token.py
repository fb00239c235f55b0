"""The Slack token on AWS: SSM Parameter Store (SecureString) or Secrets Manager, via Powertools."""

from __future__ import annotations

from aws_lambda_powertools.utilities import parameters

from costwarden.errors import ConfigError

# Powertools caches the value this long, so a rotated token reaches warm containers' next
# cold start without a Parameter Store call on every invocation.
_CACHE_SECONDS = 300


def slack_token_from_aws(*, parameter: str | None, secret: str | None) -> str:
    try:
        if parameter:
            value = parameters.get_parameter(parameter, decrypt=True, max_age=_CACHE_SECONDS)
        elif secret:
            value = parameters.get_secret(secret, max_age=_CACHE_SECONDS)
        else:
            raise ConfigError("no SSM parameter or secret named for the Slack token")
    except parameters.exceptions.GetParameterError as exc:
        # The message names the parameter, never its value.
        raise ConfigError(f"cannot read the Slack token from {parameter or secret}: {exc}") from exc
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"the Slack token at {parameter or secret} is empty")
    return value.strip()
