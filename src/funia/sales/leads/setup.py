"""Navigation entries, search and import registration of leads."""
