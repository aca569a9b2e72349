"""Navigation entries, card sections and search registration of pipelines and deals."""
