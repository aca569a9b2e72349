"""Navigation entries and dashboard cards of the pipeline reports."""
