"""Adapters: the ports implemented per technology; each imports its own SDK."""
