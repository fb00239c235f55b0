"""Tag compliance: checking tags against the policy and computing the remediation, per cloud."""
