"""Navigation entries and dashboard cards of quotas."""
