"""Navigation entries and dashboard cards of dashboard."""
