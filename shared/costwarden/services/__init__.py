"""Service layer: each service takes its ports as arguments and does one job end to end."""
