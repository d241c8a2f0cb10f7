"""One router per resource, each with its full path prefix (``/v1/clusters``); system routes are at the root."""
