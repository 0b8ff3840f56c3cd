"""Exporters: render a computed flow view to files (HTML, ...)."""
