"""Navigation entries and dashboard cards of forecast."""
