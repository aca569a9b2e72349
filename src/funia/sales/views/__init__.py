"""Pages of deals (board, list, detail, form), pipelines and exchange rates."""
