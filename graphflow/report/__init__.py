"""Reports: turn query results into JSON-able dicts, tables, CSV and Markdown."""
