"""Navigation entries and dashboard cards of territories."""
