"""Plans: what costwarden would do, computed before anything changes, then applied."""
