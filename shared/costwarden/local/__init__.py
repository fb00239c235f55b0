"""Local stand-ins for running costwarden on one machine: a Slack Web API capture server
(``slack_server``) and previews of what it captured (``preview``).

Nothing is imported here, so ``import costwarden.local`` costs nothing and never needs the
``cli`` extra (``preview``'s terminal output imports ``rich`` only when called).
"""
