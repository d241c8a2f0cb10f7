"""One router per resource; ``api.app`` mounts them under ``/v1`` (system routes at the root)."""
