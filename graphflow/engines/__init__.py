"""Route engines: they enumerate candidate routes (lists of flow ids). Status is the core's job."""
