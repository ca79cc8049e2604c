"""Core layer (pure): everything twinsql does that needs no database.

URL parsing (``url``), placeholder translation and statement splitting (``params``), the
dialects as data (``dialects``) and the other planners and state machines live here.  The
core has no ``async def``, no threads, no driver imports and no I/O: it imports the standard
library and ``twinsql.errors`` only, so it is tested without a database and shared as is by
the async shell and its generated sync twin.
"""
