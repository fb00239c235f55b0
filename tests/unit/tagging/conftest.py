"""A tag policy shaped like a real one: three required keys, aliases, values and patterns."""

from __future__ import annotations

import pytest

from costwarden.policy.tagging import TaggingSection

POLICY = {
    "required": {
        "Environment": {
            "aliases": ["env", "stage"],
            "values": ["dev", "test", "staging", "prod"],
            "normalize": {"production": "prod", "development": "dev"},
        },
        "Owner": {
            "pattern": r"[a-z0-9._-]+@example\.com",
            "gcp_pattern": r"[a-z0-9_-]+_example_com",
            "infer": ["creator"],
        },
        "CostCenter": {"aliases": ["cost-center"], "pattern": r"(?i)cc-[0-9]{3}"},
    },
    "owner_key": "Owner",
    "defaults": [
        {"accounts": ["111111111111"], "tags": {"CostCenter": "cc-100", "Environment": "dev"}}
    ],
}


@pytest.fixture
def section() -> TaggingSection:
    return TaggingSection.model_validate(POLICY)
