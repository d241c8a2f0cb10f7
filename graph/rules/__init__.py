"""Detection rules; each runs on any ``graph.store.GraphStore``."""
