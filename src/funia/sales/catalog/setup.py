"""Navigation entries and customer-card sections."""
