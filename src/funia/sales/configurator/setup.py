"""The configurator has no navigation entry of its own: it opens from a product, a deal or
a quote, and its links' list from the configurator page."""
