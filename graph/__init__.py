"""The graph: data model, stores and detection rules."""
