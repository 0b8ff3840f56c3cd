"""The Neo4j store: the audit graph in a Bolt server (Neo4j 5, Aura, or ArcadeDB in tests).

``model`` declares the graph once; ``rows`` (and ``statuses``) turn a pack into rows of that
model; ``load`` writes them (atomically, or a big pack in committed batches behind a
marker); ``connection`` reads the NEO4J_* settings and maps
server errors to one line; ``engine`` enumerates routes in the database for the domain core;
``readonly`` runs researchers' Cypher without writing; ``queries`` is the canned library;
``script`` exports a Cypher script and ``neo4j-admin`` CSV files. See docs/neo4j.md.
"""
