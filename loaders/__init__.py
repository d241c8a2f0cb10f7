"""Read, map, normalise and validate insurer exports."""
