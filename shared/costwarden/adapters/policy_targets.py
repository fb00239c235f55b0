"""``PolicyTargetDirectory``: the Azure subscriptions and Google projects a planner fans out to.

They are listed in the policy's ``targets`` section (``targets.azure.subscriptions``,
``targets.gcp.projects``); an empty list is a configuration error, not an empty run, so a
deployment that forgot its targets says so instead of reporting success every tick. AWS targets
need API calls (Organizations, the caller's own account) and come from
``costwarden.adapters.aws.targets.AwsTargetDirectory``.

No SDK here: the list is data. It sits with the adapters because it implements the
``TargetDirectory`` port.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from costwarden.errors import ConfigError
from costwarden.models.budget import Provider
from costwarden.ports_compute import Target

if TYPE_CHECKING:
    from costwarden.policy.scheduling import TargetsSection


class PolicyTargetDirectory:
    """One ``Target`` per listed Azure subscription or Google project, in the policy's order."""

    def __init__(self, targets: TargetsSection, cloud: Provider) -> None:
        self._targets = _targets_of(targets, cloud)

    def targets(self) -> Sequence[Target]:
        return self._targets


def _targets_of(section: TargetsSection, cloud: Provider) -> tuple[Target, ...]:
    if cloud == "aws":
        # Accounts x regions, role ARNs per partition, Organizations, the caller's own account:
        # all of that is AwsTargetDirectory's (costwarden.adapters.aws.targets).
        raise ConfigError("AWS targets come from AwsTargetDirectory, not PolicyTargetDirectory")
    if cloud == "azure":
        if section.azure is None or not section.azure.subscriptions:
            raise ConfigError("the policy lists no targets.azure.subscriptions")
        return tuple(Target("azure", sub) for sub in _unique(section.azure.subscriptions))
    if section.gcp is None or not section.gcp.projects:
        raise ConfigError("the policy lists no targets.gcp.projects")
    return tuple(Target("gcp", project) for project in _unique(section.gcp.projects))


def _unique(values: Sequence[str]) -> list[str]:
    """In the policy's order, each once: a repeated account must not be acted on twice."""
    return list(dict.fromkeys(values))
