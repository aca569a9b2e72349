"""Navigation entries and customer-card registration of activities."""
