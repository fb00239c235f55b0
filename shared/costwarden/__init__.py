"""costwarden: FinOps automation for AWS, Azure and Google Cloud.

The core package is pure: models, normalizers, policy and services never import a cloud SDK.
Adapters under ``costwarden.adapters`` do, and only the one cloud's extra needs to be installed.
"""

__version__ = "0.1.0"
