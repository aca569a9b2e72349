"""Navigation entries and dashboard cards of plan_risk."""
