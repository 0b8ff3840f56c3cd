"""Researchers' Cypher, read-only by construction, then confirmed by the server.

1. ``check`` (the lexical guard) tokenises the query the way a Cypher server does: ``//``
   comments end at every line terminator (``\\n``, ``\\r``, ``\\r\\n``, U+0085, U+2028,
   U+2029), ``/* */`` comments, string literals with backslash escapes, backticked names
   with ````` escapes, and unicode identifiers. Every bare word must then be on an
   ALLOWLIST: a read clause keyword (MATCH, OPTIONAL MATCH, WHERE, WITH, RETURN, UNWIND,
   ORDER BY, SKIP, LIMIT, UNION, CALL of a listed procedure or a read subquery, SHOW of
   indexes, constraints, functions or procedures ...), a known read-only function, or a
   variable the query binds. Anything else is refused before anything runs, with a one-line
   reason: writes (CREATE, MERGE, SET, DELETE, DETACH, REMOVE, FOREACH, INSERT), LOAD CSV,
   schema and administration commands, CALL { } IN TRANSACTIONS, USING PERIODIC COMMIT,
   procedures not on the list, several statements.
2. ``run_read`` then asks the server: ``EXPLAIN`` gives the query type, and only ``r``
   (read) runs, in a READ session with ``database=`` set, a server-side transaction timeout
   and a client-side deadline. Nothing that could change the schema ever reaches the
   server, so nothing needs rolling back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphflow.errors import GraphflowError, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    import neo4j

# -- the tokeniser -------------------------------------------------------------------------------

LINE_ENDS = "\n\r\u0085\u2028\u2029"
"""Characters that end a ``//`` comment on the server (\\r\\n is \\r then \\n)."""

UNCERTAIN_LINE_ENDS = "\v\f\x1c\x1d\x1e"
"""Characters some parsers read as a line end and others do not: inside a ``//`` comment
they make the query ambiguous (what the guard reads as code, the server could read as
comment), so a comment holding one is refused."""

LOAD_HINT = "graphflow cypher runs read-only queries; load data with graphflow neo4j load"
_PUNCT2 = ("..", "::", "<>", "<=", ">=", "=~", "->", "<-", "+=", "--")
_DIGITS = "0123456789"


@dataclass(frozen=True)
class Token:
    """``kind``: word, name (backticked, ``text`` unescaped), string, number, param, punct."""

    kind: str
    text: str
    pos: int


class Refused(GraphflowError):
    """A query the guard refuses (a one-line reason)."""

    def __init__(self, reason: str, hint: str | None = None, *, syntax: bool = False) -> None:
        super().__init__(f"Cypher syntax error: {reason}" if syntax else f"refused: {reason}",
                         hint=hint)
        self.reason = reason


def position(text: str, pos: int) -> str:
    """``line:column`` (1-based) of a character, counting every line terminator."""
    line, col, i = 1, 1, 0
    while i < pos:
        ch = text[i]
        if ch in LINE_ENDS:
            if ch == "\r" and i + 1 < pos and text[i + 1] == "\n":
                i += 1
            line, col = line + 1, 1
        else:
            col += 1
        i += 1
    return f"{line}:{col}"


def _is_start(ch: str) -> bool:
    return ch.isidentifier()


def _is_part(ch: str) -> bool:
    return ("a" + ch).isidentifier()


def _number_end(text: str, i: int) -> int:
    n = len(text)
    if text.startswith(("0x", "0X"), i) and i + 2 < n and text[i + 2] in "0123456789abcdefABCDEF":
        j = i + 2
        while j < n and (text[j] in "0123456789abcdefABCDEF_"):
            j += 1
        return j
    if text.startswith(("0o", "0O"), i) and i + 2 < n and text[i + 2] in "01234567":
        j = i + 2
        while j < n and text[j] in "01234567_":
            j += 1
        return j
    j = i
    while j < n and (text[j] in _DIGITS or (text[j] == "_" and j > i)):
        j += 1
    if j + 1 < n and text[j] == "." and text[j + 1] in _DIGITS:
        j += 1
        while j < n and (text[j] in _DIGITS or text[j] == "_"):
            j += 1
    if j < n and text[j] in "eE":
        k = j + 1
        if k < n and text[k] in "+-":
            k += 1
        if k < n and text[k] in _DIGITS:
            j = k
            while j < n and text[j] in _DIGITS:
                j += 1
    return j


def tokenize(text: str) -> list[Token]:
    """The query's tokens (comments and whitespace dropped). Raises ``Refused`` for an
    unterminated string, name or comment, and for an ambiguous line end in a comment."""
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif text.startswith("//", i):
            j = i + 2
            while j < n and text[j] not in LINE_ENDS:
                if text[j] in UNCERTAIN_LINE_ENDS:
                    raise Refused(f"the // comment at {position(text, i)} holds "
                                  f"U+{ord(text[j]):04X}, which Cypher parsers do not agree "
                                  "is a line end: end the comment with a newline")
                j += 1
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j == -1:
                raise Refused(f"unterminated /* comment at {position(text, i)}")
            i = j + 2
        elif ch in "'\"":
            j = i + 1
            while j < n and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise Refused(f"unterminated string literal at {position(text, i)}")
            out.append(Token("string", text[i:j + 1], i))
            i = j + 1
        elif ch == "`":
            name, j = _backticked(text, i)
            out.append(Token("name", name, i))
            i = j
        elif ch == "$":
            j = i + 1
            if j < n and text[j] == "`":
                name, j = _backticked(text, j)
                out.append(Token("param", name, i))
            elif j < n and (_is_part(text[j])):
                while j < n and _is_part(text[j]):
                    j += 1
                out.append(Token("param", text[i + 1:j], i))
            else:
                out.append(Token("punct", "$", i))
                j = i + 1
            i = j
        elif ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS
                               and not (out and (out[-1].kind in ("word", "name", "param")
                                                 or out[-1].text in (")", "]", "}")))):
            j = _number_end(text, i + 1 if ch == "." else i)
            out.append(Token("number", text[i:j], i))
            i = j
        elif _is_start(ch):
            j = i + 1
            while j < n and _is_part(text[j]):
                j += 1
            out.append(Token("word", text[i:j], i))
            i = j
        else:
            two = text[i:i + 2]
            if two in _PUNCT2:
                out.append(Token("punct", two, i))
                i += 2
            else:
                out.append(Token("punct", ch, i))
                i += 1
    return out


def _backticked(text: str, i: int) -> tuple[str, int]:
    parts, j, n = [], i + 1, len(text)
    while True:
        k = text.find("`", j)
        if k == -1:
            raise Refused(f"unterminated `name` at {position(text, i)}")
        parts.append(text[j:k])
        if k + 1 < n and text[k + 1] == "`":
            parts.append("`")
            j = k + 2
            continue
        return "".join(parts), k + 1


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# -- the allowlists ------------------------------------------------------------------------------

ALLOWED_KEYWORDS = _words("""
MATCH OPTIONAL WHERE WITH RETURN UNWIND ORDER BY SKIP LIMIT OFFSET UNION ALL DISTINCT AS
AND OR XOR NOT IN IS NULL TRUE FALSE CASE WHEN THEN ELSE END ASC DESC ASCENDING DESCENDING
STARTS ENDS CONTAINS EXISTS COUNT COLLECT CALL YIELD SHORTEST SHORTESTPATH ALLSHORTESTPATHS
ANY NONE SINGLE REDUCE PATH PATHS GROUP GROUPS REPEATABLE DIFFERENT ELEMENTS WALK TRAIL
ACYCLIC NAN INF INFINITY NFC NFD NFKC NFKD NORMALIZED TYPED LEADING TRAILING BOTH FROM
BOOL BOOLEAN INT INTEGER INT8 INT16 INT32 INT64 FLOAT FLOAT32 FLOAT64 STRING VARCHAR LIST
ARRAY MAP NODE NODES RELATIONSHIP RELATIONSHIPS EDGE VERTEX POINT DATE DATETIME TIME LOCAL
ZONED TIMESTAMP DURATION NOTHING PROPERTY VALUE SIGNED UNSIGNED ZONE SHOW
""")
"""Words a read-only query may use anywhere (compared in upper case)."""

WRITE_WORDS = _words("CREATE MERGE SET DELETE DETACH NODETACH REMOVE FOREACH INSERT")
ADMIN_WORDS = _words("""DROP ALTER GRANT DENY REVOKE RENAME TERMINATE ENABLE DEALLOCATE
REALLOCATE DATABASE DATABASES SERVER SERVERS""")
OTHER_WORDS = {
    "LOAD": "LOAD CSV reads files and URLs on the server",
    "CSV": "LOAD CSV reads files and URLs on the server",
    "TRANSACTIONS": "CALL { ... } IN TRANSACTIONS commits on its own",
    "CONCURRENT": "CALL { ... } IN TRANSACTIONS commits on its own",
    "PERIODIC": "USING PERIODIC COMMIT writes",
    "COMMIT": "USING PERIODIC COMMIT writes",
    "USING": "USING (planner hints, PERIODIC COMMIT) is not allowed",
    "USE": "USE selects another database: set NEO4J_DATABASE instead",
    "EXPLAIN": "EXPLAIN and PROFILE are not allowed: graphflow cypher explains the query itself",
    "PROFILE": "EXPLAIN and PROFILE are not allowed: graphflow cypher explains the query itself",
    "CYPHER": "query options (CYPHER ...) are not allowed",
}
FORBIDDEN_WORDS = WRITE_WORDS | ADMIN_WORDS | frozenset(OTHER_WORDS)
PREFIX_WORDS = frozenset({"EXPLAIN", "PROFILE", "CYPHER", "USE"})
"""Forbidden only where they act: first in the query (USE also first in a subquery);
elsewhere they are names (``p.id AS profile``)."""

ALLOWED_PROCEDURES = frozenset({
    "db.labels", "db.relationshiptypes", "db.propertykeys", "db.schema.visualization",
    "db.schema.nodetypeproperties", "db.schema.reltypeproperties", "dbms.components",
})
"""Procedures a researcher's query may CALL (compared in lower case)."""

ALLOWED_FUNCTIONS = _words("""
abs acos asin atan atan2 avg ceil char_length character_length coalesce collect cos cot
count degrees e elementid endnode exists exp floor haversin head id isempty isnan keys labels
last left length log log10 lower ltrim max min nodes normalize nullif percentilecont
percentiledisc pi point properties radians rand randomuuid range reduce relationships replace
reverse right round rtrim sign sin single size split sqrt startnode stdev stdevp substring sum
tail tan timestamp toboolean tobooleanlist tobooleanornull tofloat tofloatlist tofloatornull
tointeger tointegerlist tointegerornull tolower tostring tostringlist tostringornull toupper
trim btrim type upper valuetype date datetime localdatetime localtime time duration any all
none shortestpath allshortestpaths vector_dimension_count vector_distance vector_norm cosh
sinh tanh isinfinite db.namefromelementid
""")
"""Built-in functions (lower case); every function in a namespace below is allowed too."""

ALLOWED_FUNCTION_NAMESPACES = ("date.", "datetime.", "localdatetime.", "localtime.", "time.",
                               "duration.", "point.", "vector.", "apoc.coll.", "apoc.text.",
                               "apoc.map.", "apoc.convert.", "apoc.math.", "apoc.number.")

SHOW_KINDS = _words("INDEX INDEXES CONSTRAINT CONSTRAINTS FUNCTION FUNCTIONS PROCEDURE "
                       "PROCEDURES")
SHOW_QUALIFIERS = _words("ALL RANGE TEXT POINT LOOKUP FULLTEXT VECTOR BTREE UNIQUE "
                            "UNIQUENESS NODE RELATIONSHIP REL EXIST EXISTENCE KEY PROPERTY TYPE "
                            "BUILT IN USER DEFINED")
_CLAUSE_WORDS = _words("MATCH OPTIONAL WHERE WITH RETURN UNWIND ORDER SKIP LIMIT OFFSET "
                          "UNION CALL")
_BLOCK_OPENERS = frozenset({"CALL", "EXISTS", "COUNT", "COLLECT"})


@dataclass
class Checked:
    """What the guard found in a query that it lets through."""

    text: str  # the text to run (a trailing ';' cut off)
    labels: list[str] = field(default_factory=list)  # in node patterns
    types: list[str] = field(default_factory=list)  # in relationship patterns
    either: list[str] = field(default_factory=list)  # label or type (predicates: n:X)
    procedures: list[str] = field(default_factory=list)


def _where(text: str, tok: Token) -> str:
    return f"at {position(text, tok.pos)}"


def _forbidden(text: str, toks: list[Token], i: int, binding: bool = False) -> Refused:
    tok = toks[i]
    word = tok.text.upper()
    at = _where(text, tok)
    if binding:
        return Refused(f"the variable {tok.text!r} {at} is a Cypher keyword: choose another "
                       "name")
    if word in ("CREATE", "DROP", "ALTER"):
        nxt = [t.text.upper() for t in toks[i + 1:i + 5] if t.kind == "word"]
        kinds = [w for w in nxt if w in ("INDEX", "CONSTRAINT", "DATABASE", "ALIAS", "USER",
                                         "ROLE", "SERVER", "COMPOSITE")]
        if kinds:
            return Refused(f"schema or administration command ({word} {kinds[0]} {at}): "
                           "schema changes cannot be undone, so they are never sent")
    if word in WRITE_WORDS:
        return Refused(f"this query would write ({word} {at})", hint=LOAD_HINT)
    if word in ADMIN_WORDS:
        return Refused(f"administration or schema command ({word} {at})")
    return Refused(f"{OTHER_WORDS[word]} ({word} {at})")


def _chain(toks: list[Token], i: int) -> tuple[list[Token], int]:
    """word(.word)* starting at i; returns the parts and the index after them."""
    parts = [toks[i]]
    j = i + 1
    while (j + 1 < len(toks) and toks[j].kind == "punct" and toks[j].text == "."
           and toks[j + 1].kind in ("word", "name")):
        parts.append(toks[j + 1])
        j += 2
    return parts, j


def _is(tok: Token | None, *texts: str) -> bool:
    return tok is not None and tok.kind == "punct" and tok.text in texts


def _kw(tok: Token | None, *words: str) -> bool:
    return tok is not None and tok.kind == "word" and tok.text.upper() in words


def _bound_names(toks: list[Token]) -> set[str]:
    """Names the query binds: after ( or [ (patterns, comprehensions), after AS, before IN
    or = (comprehensions, path variables, reduce), and in YIELD lists."""
    bound: set[str] = set()
    in_yield = False
    for i, tok in enumerate(toks):
        if tok.kind == "word" and tok.text.upper() == "YIELD":
            in_yield = True
            continue
        if tok.kind != "word":
            if in_yield and not _is(tok, ",", "*"):
                in_yield = False
            continue
        up = tok.text.upper()
        if in_yield and (up in _CLAUSE_WORDS or _is(toks[i - 1], ".")):
            in_yield = False
        prev = toks[i - 1] if i else None
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if _is(prev, "."):
            continue
        if (in_yield or _is(prev, "(", "[") or _kw(prev, "AS") or _kw(nxt, "IN")
                or _is(nxt, "=")):
            bound.add(tok.text)
    return bound


def check(text: str) -> Checked:
    """Refuse (``Refused``, one line) any query that is not read-only by construction;
    otherwise return what it names, for the unknown-label check."""
    toks = tokenize(text)
    if not toks:
        raise Refused("the query is empty")
    bound = _bound_names(toks)
    found = Checked(text)
    stack: list[tuple[str, str, Token]] = []  # ("(", "(" | "(call" | "[rel" ..., token)
    label_state = False
    in_yield = False
    last_close = ""
    i, n = 0, len(toks)

    def forbidden(k: int) -> bool:
        up = toks[k].text.upper() if toks[k].kind == "word" else ""
        if up not in FORBIDDEN_WORDS:
            return False
        if up in PREFIX_WORDS:
            return k == 0 or (up == "USE" and _is(toks[k - 1], "{"))
        return True

    while i < n:
        tok = toks[i]
        prev = toks[i - 1] if i else None
        nxt = toks[i + 1] if i + 1 < n else None
        if tok.kind == "punct":
            t = tok.text
            keep_labels = label_state and t in ("|", "&", "!", "%") and not (
                t == "|" and stack and stack[-1][1] == "[list")
            if t == ";":
                if i == n - 1 and not stack:  # a trailing ';' is cut off
                    found.text = text[:tok.pos]
                    break
                raise Refused(f"several statements (';' {_where(text, tok)}): run one query "
                              "at a time")
            if t == "(":
                stack.append(("(", "(call" if _kw(prev, "CALL") else "(", tok))
            elif t == "[":
                stack.append(("[", "[rel" if _is(prev, "-", "<-") else "[list", tok))
            elif t == "{":
                block = _kw(prev, *_BLOCK_OPENERS) or (_is(prev, ")") and last_close == "(call")
                stack.append(("{", "{block" if block else "{map", tok))
            elif t in (")", "]", "}"):
                if not stack or stack[-1][0] != {")": "(", "]": "[", "}": "{"}[t]:
                    raise Refused(f"{t!r} {_where(text, tok)} closes nothing", syntax=True)
                last_close = stack.pop()[1]
            elif t == ":":
                is_map = (stack and stack[-1][1] == "{map" and prev is not None
                          and prev.kind in ("word", "name", "string")
                          and i >= 2 and _is(toks[i - 2], "{", ","))
                if not is_map:
                    label_state = True
                    keep_labels = True
            if in_yield and t not in (",", "*"):
                in_yield = False
            if not keep_labels:
                label_state = False
            i += 1
            continue
        if tok.kind in ("string", "number", "param"):
            label_state = False
            in_yield = False
            i += 1
            continue
        # a word or a backticked name
        if label_state and (_is(prev, ":", "|", "&", "!")):
            kind = stack[-1][1] if stack else ""
            target = (found.types if kind == "[rel" else found.labels if kind == "(" else
                      found.either)
            target.append(tok.text)
            i += 1
            continue  # label_state stays on for A|B, A&B
        label_state = False
        if _is(prev, "."):  # a property key
            i += 1
            continue
        if (nxt is not None and _is(nxt, ":") and stack and stack[-1][1] == "{map"
                and _is(prev, "{", ",")):  # a map key
            i += 1
            continue
        parts, j = _chain(toks, i)
        after = toks[j] if j < n else None
        dotted = ".".join(p.text for p in parts)
        if _kw(prev, "CALL"):
            name = dotted.lower()
            if name not in ALLOWED_PROCEDURES:
                raise Refused(f"procedure {dotted} ({_where(text, tok)}) is not on the "
                              "read-only list: " + ", ".join(sorted(
                                  _PROC_NAMES[p] for p in ALLOWED_PROCEDURES)))
            found.procedures.append(dotted)
            i = j
            continue
        if tok.kind == "name" and len(parts) == 1 and not _is(after, "("):
            i = j  # a backticked variable: never a keyword
            continue
        up = tok.text.upper() if tok.kind == "word" else ""
        if _is(after, "(") and (len(parts) > 1 or tok.kind == "name"
                                 or up not in ALLOWED_KEYWORDS):
            if len(parts) == 1 and forbidden(i):
                raise _forbidden(text, toks, i, binding=_is(prev, "(", "[") or _kw(prev, "AS"))
            name = dotted.lower()
            if name not in ALLOWED_FUNCTIONS and not name.startswith(
                    ALLOWED_FUNCTION_NAMESPACES):
                raise Refused(f"function {dotted} ({_where(text, tok)}) is not on the "
                              "read-only list")
            i = j
            continue
        if in_yield and up not in _CLAUSE_WORDS and not forbidden(i):
            i = j
            continue
        in_yield = False
        if forbidden(i):
            raise _forbidden(text, toks, i, binding=_is(prev, "(", "[") or _kw(prev, "AS"))
        if _kw(prev, "AS"):
            i = j  # an alias
            continue
        if up == "SHOW":
            i = _check_show(text, toks, i)
            continue
        if up in ALLOWED_KEYWORDS:
            if up == "YIELD":
                in_yield = True
            i += 1 if len(parts) == 1 else j - i
            continue
        if tok.text in bound:
            i = j
            continue
        raise Refused(f"unknown word {tok.text!r} {_where(text, tok)}: not a read-only clause "
                      "keyword, a known function or a variable bound in the query")
    if stack:
        raise Refused(f"{stack[-1][0]!r} {_where(text, stack[-1][2])} is not closed",
                      syntax=True)
    return found


_PROC_NAMES = {"db.labels": "db.labels", "db.relationshiptypes": "db.relationshipTypes",
               "db.propertykeys": "db.propertyKeys",
               "db.schema.visualization": "db.schema.visualization",
               "db.schema.nodetypeproperties": "db.schema.nodeTypeProperties",
               "db.schema.reltypeproperties": "db.schema.relTypeProperties",
               "dbms.components": "dbms.components"}


def _check_show(text: str, toks: list[Token], i: int) -> int:
    """SHOW [qualifiers] INDEXES|CONSTRAINTS|FUNCTIONS|PROCEDURES, as the first clause."""
    words: list[Token] = []
    j = i + 1
    while j < len(toks) and toks[j].kind == "word" and toks[j].text.upper() not in (
            "YIELD", "WHERE", "RETURN"):
        words.append(toks[j])
        j += 1
    ups = [w.text.upper() for w in words]
    what = " ".join(["SHOW", *ups])
    ok = (i == 0 and ups and ups[-1] in SHOW_KINDS
          and all(u in SHOW_QUALIFIERS for u in ups[:-1]))
    if not ok:
        leak = " it lists the server's user accounts;" if any(
            u in ("USER", "USERS", "ROLES", "ROLE", "PRIVILEGES") for u in ups) else ""
        raise Refused(f"{what} is not allowed ({_where(text, toks[i])}):{leak} graphflow cypher "
                      "reads the graph; of SHOW commands only SHOW INDEXES, SHOW CONSTRAINTS, "
                      "SHOW FUNCTIONS and SHOW PROCEDURES run, as the first clause")
    return j


def refusal(text: str) -> str | None:
    """Why the guard refuses a query, or None if it passes."""
    try:
        check(text)
    except Refused as exc:
        return exc.reason
    return None


write_reason = refusal  # the older name


def check_read_only(text: str) -> Checked:
    """Raise a one-line ``refused: ...`` error unless the query is read-only by
    construction."""
    return check(text)


def used_labels(text: str) -> tuple[list[str], list[str]]:
    """Node labels (with the label-or-type names of predicates) and relationship types
    the query names, backticked ones included."""
    found = check(text)
    return (list(dict.fromkeys(found.labels + found.either)), list(dict.fromkeys(found.types)))


# -- running a checked query ------------------------------------------------------------


@dataclass
class QueryResult:
    """Columns, rows (plain Python values) and the server's notifications."""

    columns: list[str]
    rows: list[dict[str, Any]]
    notifications: list[str] = field(default_factory=list)


def plain(value: Any) -> Any:
    """A JSON-able version of a driver value (nodes, relationships, paths, temporal types)."""
    import neo4j.graph as ng

    if isinstance(value, ng.Node):
        return {"labels": sorted(value.labels), "properties": plain(dict(value))}
    if isinstance(value, ng.Relationship):
        return {"type": value.type, "properties": plain(dict(value))}
    if isinstance(value, ng.Path):
        return {"nodes": [plain(n) for n in value.nodes],
                "relationships": [plain(r) for r in value.relationships]}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    iso = getattr(value, "iso_format", None)
    return iso() if callable(iso) else str(value)


def _notes(summary: Any) -> list[str]:
    out = []
    for status in getattr(summary, "gql_status_objects", None) or ():
        if getattr(status, "is_notification", False):
            severity = getattr(status, "raw_severity", None) or "NOTE"
            out.append(f"{severity}: {status.status_description} [{status.gql_status}]")
    return out


QUERY_TYPES = {"r": "read", "rw": "read-write", "w": "write", "s": "schema"}


def server_is_neo4j(summary: Any) -> bool:
    agent = getattr(getattr(summary, "server", None), "agent", "") or ""
    return agent.startswith("Neo4j/") and "ArcadeDB" not in agent  # "Neo4j/5.26.0 compatible
    # (ArcadeDB 26.10.2)"


def classify(session: Any, text: str, params: Mapping[str, Any],
             timeout: float | None) -> tuple[str | None, bool]:
    """The server's query type for ``EXPLAIN text`` (nothing runs), and whether the server
    is Neo4j (ArcadeDB answers 'w' for every EXPLAIN, so its answer says nothing)."""
    import neo4j

    summary = session.run(neo4j.Query("EXPLAIN " + text, timeout=timeout), dict(params)).consume()
    return summary.query_type, server_is_neo4j(summary)


def _read(tx: Any, text: str, params: Mapping[str, Any]) -> tuple[list[str], list[dict], Any]:
    result = tx.run(text, dict(params))
    columns = list(result.keys())
    rows = [{k: plain(v) for k, v in record.items()} for record in result]
    return columns, rows, result.consume()


class _DeadlinePassed(Exception):
    """Raised inside a unit of work once the client-side deadline has fired, so the driver's
    retry loop does not start the query again on a fresh connection."""


def _run_tx(driver: neo4j.Driver, database: str, text: str, params: Mapping[str, Any],
            timeout: float | None, dog: Any = None) -> QueryResult:
    import neo4j

    def read_once(tx: Any, text: str, params: Mapping[str, Any]) -> Any:
        if dog is not None and dog.fired:
            raise _DeadlinePassed
        return _read(tx, text, params)

    server_timeout = timeout * 0.9 if timeout else None  # the server's answer comes first
    with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
        query_type, neo = classify(session, text, params, server_timeout)
        if neo:
            if query_type != "r":
                kind = QUERY_TYPES.get(query_type or "", "unknown")
                raise Refused(f"the server classifies this query as {kind} (EXPLAIN query type "
                              f"{query_type!r}); only read queries ('r') run. Nothing ran",
                              hint=LOAD_HINT)
            work = neo4j.unit_of_work(timeout=server_timeout)(read_once)
            columns, rows, summary = session.execute_read(work, text, params)
        else:
            # a server whose EXPLAIN cannot tell (ArcadeDB): an explicit READ transaction that
            # is never committed, so row changes it makes are discarded
            tx = session.begin_transaction(timeout=server_timeout)
            try:
                columns, rows, summary = _read(tx, text, params)
            finally:
                tx.close()
    counters = summary.counters
    if counters.contains_updates or counters.contains_system_updates or (
            summary.query_type not in (None, "r")):
        raise Refused(f"the server reports this query as {summary.query_type!r}, not a read; "
                      "its transaction was not committed", hint=LOAD_HINT)
    return QueryResult(columns, rows, _notes(summary))


def run_read(driver: neo4j.Driver, database: str, text: str,
             params: Mapping[str, Any] | None = None, *, timeout: float | None = None,
             check: bool = True) -> QueryResult:
    """Run a researcher's query read-only: refused by the lexical guard unless ``check`` is
    false, classified by the server's EXPLAIN (only 'r' runs), then run with ``execute_read``
    in a READ session of ``database``, with a server-side transaction timeout and a
    client-side deadline of ``timeout`` seconds."""
    from graphflow.store.connection import _Watchdog

    if check:
        text = check_read_only(text).text
    dog = _Watchdog(driver, timeout) if timeout else None

    def late() -> GraphflowError:
        return GraphflowError(f"no answer from the Neo4j server within {timeout:g} s "
                              "(client-side deadline)",
                              hint="raise --timeout, or add LIMIT / narrower patterns")

    try:
        result = _run_tx(driver, database, text, params or {}, timeout, dog)
    except Exception:
        if dog is not None and dog.fired:
            raise late() from None
        raise
    finally:
        if dog is not None:
            dog.cancel()
    if dog is not None and dog.fired:  # an answer that came after the deadline is not given
        raise late()
    return result


UNFINISHED_PACKS = ("MATCH (p:Pack) WHERE p.state IN $states RETURN p.id AS id, "
                    "p.state AS state, p.load_started_at AS load_started_at ORDER BY id")
"""The (:Pack) nodes whose batched load or drop has not finished (``loaded_packs`` in
graphflow/store/load.py reads every column of every pack, in a write-routed transaction
without a timeout; this one is narrower and runs like a researcher's query)."""


def unfinished_packs(driver: neo4j.Driver, database: str, *,
                     timeout: float | None = None) -> list[str]:
    """One warning per pack whose batched load or drop has not finished (``state`` loading
    or dropping on its (:Pack) node), for ``graphflow cypher``, which still runs the query:
    what it reads about such a pack may be half of it. The query is graphflow's own text,
    run by ``run_read`` as a researcher's is: a READ session of ``database``, the server's
    EXPLAIN, the server-side timeout and the client-side deadline of ``timeout``."""
    from graphflow.store.load import DROPPING, LOADING, unfinished, unfinished_hint

    result = run_read(driver, database, UNFINISHED_PACKS, {"states": [LOADING, DROPPING]},
                      timeout=timeout, check=False)
    out = []
    for row in result.rows:
        problem = unfinished(str(row["id"]), row["state"], row["load_started_at"])
        if problem:
            out.append(f"{problem}; results about it may be incomplete: "
                       f"{unfinished_hint(str(row['id']), row['state'])}")
    return out


def unknown_names(driver: neo4j.Driver, database: str, text: str) -> GraphflowError | None:
    """An error naming the first label or relationship type (backticked ones included)
    that the database does not have."""
    found = check(text)
    if not (found.labels or found.types or found.either):
        return None
    records, _, _ = driver.execute_query(
        "CALL db.labels() YIELD label RETURN collect(label) AS names", database_=database,
        routing_="r")
    have_labels = set(records[0]["names"]) if records else set()
    records, _, _ = driver.execute_query(
        "CALL db.relationshipTypes() YIELD relationshipType "
        "RETURN collect(relationshipType) AS names", database_=database, routing_="r")
    have_types = set(records[0]["names"]) if records else set()
    for kind, names, have in (("label", found.labels, have_labels),
                              ("relationship type", found.types, have_types),
                              ("label", found.either, have_labels | have_types)):
        for name in dict.fromkeys(names):
            if name not in have:
                hint = did_you_mean(name, have) if have else \
                    "the database is empty: run graphflow neo4j load"
                return GraphflowError(f"unknown {kind} :{name} in database {database!r}",
                                      hint=hint or f"known: {', '.join(sorted(have))}")
    return None
