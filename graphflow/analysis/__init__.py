"""Policy analysis on top of route queries: cuts, what-ifs, change over time, exposure."""
