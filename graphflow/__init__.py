"""graphflow: a data-sharing flow audit graph.

By which routes can an arrest reach immigration authorities despite sanctuary rules,
for which person, at which date, on what evidence?
"""

__version__ = "0.1.0"
