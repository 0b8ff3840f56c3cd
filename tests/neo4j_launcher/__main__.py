"""python -m tests.neo4j_launcher fetch  (fetch the Neo4j jars into the cache, compile the launcher)
python -m tests.neo4j_launcher run    (start a server, print its URI, stop on Enter)"""

from __future__ import annotations

import sys

from tests.neo4j_launcher import NEO4J_VERSION, Neo4jServer, classpath, jars_dir


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "fetch"
    if what == "fetch":
        classpath()
        print(f"Neo4j {NEO4J_VERSION}: {jars_dir()}")
        return 0
    if what == "run":
        with Neo4jServer() as server:
            print(f"{server.agent} at {server.uri} (user neo4j, password {server.password}); "
                  "Enter stops it", file=sys.stderr)
            sys.stdin.readline()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
