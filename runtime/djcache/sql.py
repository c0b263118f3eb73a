"""A small SQL tokenizer and statement analyser.

It answers two questions about a statement, without ever doing substring tests:

* which tables does it *write* (INSERT/UPDATE/DELETE/TRUNCATE/REPLACE/MERGE/ALTER/DROP/COPY FROM)?
* which tables does it *read* (FROM/JOIN targets, at any depth, CTE names excluded)?

Identifiers such as ``updated_at`` or ``"delete"`` are identifiers, string literals are
literals, and comments are skipped, so none of them can be mistaken for a keyword.

Why not sqlparse (which Django already requires)? Measured with ``python -m
bench.sql_tokenizer`` (sqlparse 0.6.1, Python 3.11, best of 5 rounds, µs per call):

    statement     tokenize  sqlparse.lexer.tokenize    analyse  sqlparse.parse
    INSERT            88.5                    717.4      171.8          2292.6
    UPDATE            43.8                    604.1      146.7          2619.7
    SELECT+JOIN      237.4                   1272.7      329.8          5825.6

That run was on a shared 2-core machine under load (load average ~12), so the absolute
figures are about 4x the review's idle ones (INSERT: 24 vs 159 µs to tokenize, 39 vs 858 µs
for the whole analysis); the ratios hold: sqlparse is 5-14x slower to tokenize and 13-18x
slower to analyse, on a path every write runs. It would not save the table walk either:
its ``get_type()`` calls ``WITH d AS (DELETE FROM queue RETURNING *) SELECT * FROM d`` a
SELECT and ``COPY shop_product (name) FROM STDIN`` UNKNOWN, both writes here.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

# token kinds
KW = "kw"        # bare word (keyword or unquoted identifier), value upper-cased in .up
QID = "qid"      # quoted identifier ("x", `x`, [x])
STR = "str"      # string literal
NUM = "num"
PUNCT = "punct"  # ( ) , . ;
OP = "op"        # anything else
PARAM = "param"


@dataclass(frozen=True)
class Tok:
    kind: str
    value: str

    @property
    def up(self):
        return self.value.upper() if self.kind == KW else None


_WORD = re.compile(r"[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*")
_NUM = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_DOLLAR_PARAM = re.compile(r"\$\d+")
_PYFORMAT_PARAM = re.compile(r"%(\([^)]*\))?s")


def tokenize(sql: str, backslash_escapes: bool = False) -> list[Tok]:
    """``backslash_escapes``: ``\\`` escapes the next character in every '...' string (MySQL).
    In standard SQL (PostgreSQL, SQLite) it is an ordinary character, except in E'...'."""
    toks: list[Tok] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c.isspace():
            i += 1
            continue
        if c == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c == "#" and (i + 1 < n and sql[i + 1] in " \t"):  # MySQL comment
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c == "/" and sql.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if sql.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif sql.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            i = j
            continue
        if c in "'\"`" or (c in "eEnNbBxX" and i + 1 < n and sql[i + 1] == "'"):
            escapes = backslash_escapes and c == "'"
            if c not in "'\"`":
                escapes = backslash_escapes or c in "eE"
                i += 1  # E'...', N'...' prefixes
                c = "'"
            j = i + 1
            buf = []
            while j < n:
                d = sql[j]
                if d == c:
                    if j + 1 < n and sql[j + 1] == c:  # doubled quote escape
                        buf.append(c)
                        j += 2
                        continue
                    break
                if d == "\\" and escapes and j + 1 < n:
                    buf.append(sql[j + 1])
                    j += 2
                    continue
                buf.append(d)
                j += 1
            toks.append(Tok(STR if c == "'" else QID, "".join(buf)))
            i = j + 1
            continue
        if c == "[":
            j = sql.find("]", i)
            j = n if j < 0 else j
            toks.append(Tok(QID, sql[i + 1:j]))
            i = j + 1
            continue
        if c == "$":
            m = _DOLLAR_TAG.match(sql, i)
            if m:
                end = sql.find(m.group(0), m.end())
                end = n if end < 0 else end
                toks.append(Tok(STR, sql[m.end():end]))
                i = end + len(m.group(0))
                continue
            m = _DOLLAR_PARAM.match(sql, i)
            if m:
                toks.append(Tok(PARAM, m.group(0)))
                i = m.end()
                continue
        if c == "%" and i + 1 < n and sql[i + 1] in "s(":
            m = _PYFORMAT_PARAM.match(sql, i)
            if m:
                toks.append(Tok(PARAM, m.group(0)))
                i = m.end()
                continue
        if c == "?":
            toks.append(Tok(PARAM, "?"))
            i += 1
            continue
        if c.isdigit() or (c == "." and i + 1 < n and sql[i + 1].isdigit()):
            m = _NUM.match(sql, i)
            assert m is not None  # a digit, or a dot before one, always starts a number
            toks.append(Tok(NUM, m.group(0)))
            i = m.end()
            continue
        m = _WORD.match(sql, i)
        if m:
            toks.append(Tok(KW, m.group(0)))
            i = m.end()
            continue
        if c in "(),.;":
            toks.append(Tok(PUNCT, c))
            i += 1
            continue
        toks.append(Tok(OP, c))
        i += 1
    return toks


@dataclass
class Analysis:
    kind: str = "other"              # select | write | ddl | tx | other
    # True when the statement is one plain UPDATE/DELETE (no RETURNING), so a rowcount of 0 means
    # that nothing changed
    rowcount_ok: bool = False
    writes: set = field(default_factory=set)
    reads: set = field(default_factory=set)
    # tables emptied by TRUNCATE ... CASCADE: every table referencing them is emptied too
    truncated_cascade: set = field(default_factory=set)
    # columns whose values the statement pins, so the rows it touches can be named:
    # table -> column -> value references (see ``pins``); empty when they cannot be known
    pins: dict = field(default_factory=dict)
    # one plain INSERT (no upsert) whose new rows are named only by the pins above
    plain_insert: bool = False
    # the first word of the statement when there is one (``UPDATE``, ``DELETE``, ...)
    statement: str = ""
    # one UPDATE: column -> the value reference it is SET to (None: an expression); None when
    # the SET list cannot be read, so any column may change
    sets: dict | None = None


_NAME_KINDS = (KW, QID)
_NOT_TABLE_WORDS = {
    "SELECT", "WITH", "VALUES", "LATERAL", "ONLY", "WHERE", "ON", "USING", "SET", "AS",
    "GROUP", "ORDER", "LIMIT", "UNION", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS",
    "NATURAL", "OUTER", "HAVING", "WINDOW", "OFFSET", "FETCH", "FOR", "RETURNING",
}
_TX_WORDS = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START", "END", "SET",
             "SHOW", "PRAGMA", "EXPLAIN", "VACUUM", "ANALYZE", "LOCK", "DECLARE", "FETCH",
             "CLOSE", "DEALLOCATE", "PREPARE", "EXECUTE", "RESET", "LISTEN", "NOTIFY"}
# functions whose argument syntax uses FROM without naming a table
_FROM_FUNCS = {"EXTRACT", "TRIM", "SUBSTRING", "OVERLAY", "POSITION", "SUBSTR"}


class _Parser:
    def __init__(self, toks):
        self.t = toks
        self.n = len(toks)

    def up(self, i):
        return self.t[i].up if 0 <= i < self.n else None

    def is_p(self, i, ch):
        return 0 <= i < self.n and self.t[i].kind == PUNCT and self.t[i].value == ch

    def qualified_name(self, i):
        """Read ``a.b.c`` at i; return (last part or None, next index)."""
        if i >= self.n or self.t[i].kind not in _NAME_KINDS:
            return None, i
        if self.t[i].kind == KW and self.t[i].up in _NOT_TABLE_WORDS:
            return None, i
        name = self.t[i].value
        i += 1
        while self.is_p(i, ".") and i + 1 < self.n and self.t[i + 1].kind in _NAME_KINDS:
            name = self.t[i + 1].value
            i += 2
        return name, i

    def match_paren(self, i):
        """i is at '('; return index of the matching ')'."""
        depth = 0
        for j in range(i, self.n):
            if self.is_p(j, "("):
                depth += 1
            elif self.is_p(j, ")"):
                depth -= 1
                if depth == 0:
                    return j
        return self.n - 1


def _split_statements(toks: list[Tok]) -> list[list[Tok]]:
    out: list[list[Tok]] = []
    cur: list[Tok] = []
    depth = 0
    for t in toks:
        if t.kind == PUNCT and t.value == "(":
            depth += 1
        elif t.kind == PUNCT and t.value == ")":
            depth -= 1
        if t.kind == PUNCT and t.value == ";" and depth <= 0:
            if cur:
                out.append(cur)
            cur = []
            continue
        cur.append(t)
    if cur:
        out.append(cur)
    return out


def analyse(sql: str, backslash_escapes: bool = False) -> Analysis:
    """Analyse one or more statements (``backslash_escapes``: see :func:`tokenize`)."""
    result = Analysis()
    stmts = _split_statements(tokenize(sql, backslash_escapes))
    for stmt in stmts:
        _analyse_stmt(stmt, result)
    if len(stmts) == 1 and stmts[0] and stmts[0][0].up in ("UPDATE", "DELETE") and \
            not any(t.up == "RETURNING" for t in stmts[0]):
        result.rowcount_ok = True
    if len(stmts) == 1:
        result.pins, result.plain_insert = pins(stmts[0])
        result.statement = stmts[0][0].up or "" if stmts[0] else ""
        if result.statement == "UPDATE":
            result.sets = update_sets(stmts[0])
    return result


_RANK = {"other": 0, "tx": 1, "select": 2, "write": 3, "ddl": 4}


def _set_kind(result, kind):
    if _RANK[kind] > _RANK[result.kind]:
        result.kind = kind


def _analyse_stmt(toks, result, outer_ctes=frozenset()):
    p = _Parser(toks)
    if not toks:
        return
    cte_names = set(outer_ctes)
    i = 0
    # leading parentheses: (SELECT ...) UNION (SELECT ...)
    while p.is_p(i, "("):
        i += 1
    if p.up(i) == "WITH":
        i += 1
        if p.up(i) == "RECURSIVE":
            i += 1
        while i < p.n:
            name, j = p.qualified_name(i)
            if name is None:
                break
            cte_names.add(name.lower())
            if p.is_p(j, "("):  # column list
                j = p.match_paren(j) + 1
            if p.up(j) == "AS":
                j += 1
            while p.up(j) in ("NOT", "MATERIALIZED"):
                j += 1
            if not p.is_p(j, "("):
                break
            end = p.match_paren(j)
            body = toks[j + 1:end]
            sub = Analysis()
            _analyse_stmt(body, sub, frozenset(cte_names))
            result.writes |= sub.writes
            result.reads |= sub.reads
            if sub.kind in ("write", "ddl"):
                _set_kind(result, sub.kind)
            i = end + 1
            if p.is_p(i, ","):
                i += 1
                continue
            break
    head = p.up(i)
    writes = set()
    if head in ("INSERT", "REPLACE", "MERGE"):
        j = i + 1
        while p.up(j) in ("OR", "REPLACE", "IGNORE", "ROLLBACK", "ABORT", "FAIL",
                          "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "INTO", "OVERWRITE", "TABLE"):
            j += 1
        name, j = p.qualified_name(j)
        if name:
            writes.add(name)
        if head == "MERGE":   # MERGE INTO target [AS t] USING source: the source is read
            while j < p.n and p.up(j) != "USING":
                j += 1
            source, _ = p.qualified_name(j + 1)
            if source:
                result.reads.add(source.lower())
        _set_kind(result, "write")
    elif head == "UPDATE":
        j = i + 1
        while p.up(j) in ("ONLY", "LOW_PRIORITY", "IGNORE", "OR", "ROLLBACK", "ABORT",
                          "REPLACE", "FAIL"):
            j += 1
        name, j = p.qualified_name(j)
        if name:
            writes.add(name)
        _set_kind(result, "write")
    elif head == "DELETE":
        j = i + 1
        while p.up(j) in ("LOW_PRIORITY", "QUICK", "IGNORE"):
            j += 1
        if p.up(j) == "FROM":
            j += 1
            if p.up(j) == "ONLY":
                j += 1
            name, _ = p.qualified_name(j)
            if name:
                writes.add(name)
        else:  # MySQL multi-table: DELETE t1, t2 FROM ...
            while True:
                name, j = p.qualified_name(j)
                if not name:
                    break
                writes.add(name)
                if p.is_p(j, ","):
                    j += 1
                    continue
                break
        _set_kind(result, "write")
    elif head == "TRUNCATE":
        j = i + 1
        while p.up(j) in ("TABLE", "ONLY"):
            j += 1
        while True:
            name, j = p.qualified_name(j)
            if not name:
                break
            writes.add(name)
            if p.is_p(j, ","):
                j += 1
                if p.up(j) == "ONLY":
                    j += 1
                continue
            break
        if any(p.up(k) == "CASCADE" for k in range(j, p.n)):
            result.truncated_cascade |= {w.lower() for w in writes}
        _set_kind(result, "write")
    elif head in ("ALTER", "DROP"):
        if p.up(i + 1) == "TABLE":
            j = i + 2
            while p.up(j) in ("IF", "EXISTS", "ONLY"):
                j += 1
            while True:
                name, j = p.qualified_name(j)
                if not name:
                    break
                writes.add(name)
                if head == "DROP" and p.is_p(j, ","):
                    j += 1
                    continue
                break
        _set_kind(result, "ddl")
    elif head == "COPY":
        name, j = p.qualified_name(i + 1)
        if p.is_p(j, "("):
            j = p.match_paren(j) + 1
        if name and p.up(j) == "FROM":
            result.writes.add(name.lower())
            _set_kind(result, "write")
            return
        _set_kind(result, "select")   # COPY table TO ..., COPY (query) TO ...
        if name:
            result.reads.add(name.lower())
            return
    elif head in ("SELECT", "VALUES", "TABLE"):
        _set_kind(result, "select")
        if head == "TABLE":
            name, _ = p.qualified_name(i + 1)
            if name:
                result.reads.add(name.lower())
    elif head in _TX_WORDS:
        _set_kind(result, "tx")
    result.writes |= {w.lower() for w in writes if w.lower() not in cte_names}
    result.reads |= {r for r in _read_tables(p, i) if r not in cte_names}


def _read_tables(p, start):
    """Tables named after FROM / JOIN (and USING in DELETE ... USING) at any query depth."""
    out = set()
    # stack of booleans: is this paren group a query context?
    stack = [True]
    i = start
    while i < p.n:
        t = p.t[i]
        if t.kind == PUNCT and t.value == "(":
            prev = p.t[i - 1] if i > 0 else None
            nxt = p.up(i + 1)
            if nxt in ("SELECT", "WITH", "VALUES") or p.is_p(i + 1, "("):
                stack.append(True)
            elif prev is not None and prev.kind == KW and prev.up in _FROM_FUNCS:
                stack.append(False)
            else:
                stack.append(False if prev is not None and prev.kind in (KW, QID) and
                             prev.up not in ("FROM", "JOIN", "IN", "EXISTS", "AS", "ON",
                                             "AND", "OR", "NOT", "WHERE", "LATERAL")
                             else stack[-1])
            i += 1
            continue
        if t.kind == PUNCT and t.value == ")":
            if len(stack) > 1:
                stack.pop()
            i += 1
            continue
        u = t.up
        if u in ("FROM", "JOIN") and stack[-1]:
            # `a IS [NOT] DISTINCT FROM b` is not a table reference
            if u == "FROM" and p.up(i - 1) == "DISTINCT" and p.up(i - 2) in ("IS", "NOT"):
                i += 1
                continue
            j = i + 1
            while True:
                while p.up(j) in ("ONLY", "LATERAL"):
                    j += 1
                if p.is_p(j, "("):
                    break  # subquery: its own FROM/JOIN are found as we go
                name, j2 = p.qualified_name(j)
                if not name:
                    break
                if p.is_p(j2, "("):  # table function: generate_series(...)
                    break
                out.add(name.lower())
                j = j2
                # optional alias
                if p.up(j) == "AS":
                    j += 1
                if j < p.n and p.t[j].kind in _NAME_KINDS and (
                        p.t[j].kind == QID or p.t[j].up not in _CLAUSE_WORDS):
                    j += 1
                    if p.is_p(j, "("):  # alias column list
                        j = p.match_paren(j) + 1
                if u == "FROM" and p.is_p(j, ","):
                    j += 1
                    continue
                break
            i += 1
            continue
        i += 1
    return out


_CLAUSE_WORDS = {
    "WHERE", "ON", "USING", "GROUP", "ORDER", "LIMIT", "UNION", "JOIN", "INNER", "LEFT",
    "RIGHT", "FULL", "CROSS", "NATURAL", "OUTER", "HAVING", "WINDOW", "OFFSET", "FETCH",
    "FOR", "RETURNING", "SET", "EXCEPT", "INTERSECT", "INTO", "VALUES", "SELECT", "WITH",
    "STRAIGHT_JOIN", "TABLESAMPLE", "LATERAL", "AND", "OR", "NOT", "IS", "WHEN", "THEN",
    "ELSE", "END", "DO", "CONFLICT", "FROM",
}


# --- pinned rows -------------------------------------------------------------------------
# A value reference is ("p", i) for the i-th positional parameter (%s, ?, $n), ("k", name) for
# %(name)s, ("v", text) for a literal written in the statement, or ("a", i) for the i-th
# positional parameter holding a list of values (an INSERT ... SELECT * FROM UNNEST).

_END_OF_WHERE = {"GROUP", "ORDER", "LIMIT", "HAVING", "WINDOW", "OFFSET", "FETCH", "FOR",
                 "RETURNING", "UNION", "EXCEPT", "INTERSECT"}


def _value_refs(toks):
    """Token index -> value reference, for parameters and literals."""
    refs = {}
    position = 0
    for i, t in enumerate(toks):
        if t.kind == PARAM:
            if t.value.startswith("$"):
                refs[i] = ("p", int(t.value[1:]) - 1)
            elif t.value.startswith("%("):
                refs[i] = ("k", t.value[2:-2])
            else:
                refs[i] = ("p", position)
                position += 1
        elif t.kind in (NUM, STR):
            refs[i] = ("v", t.value)
    return refs


def pins(toks: list[Tok]) -> tuple[dict, bool]:
    """Which rows one statement touches, as far as its text says: ``(pins, plain_insert)``.

    ``pins`` maps a table to the columns pinned to values: ``UPDATE``/``DELETE``/``SELECT``
    whose top-level WHERE is a conjunction with ``col = value`` or ``col IN (values...)``
    terms, and the columns of ``INSERT ... VALUES`` (not an upsert, which may change rows
    the values do not name). A table read more than once (a self-join, a subquery on it) is
    never pinned: some of its reads are not limited to those rows.
    """
    p = _Parser(toks)
    head = p.up(0)
    if head == "INSERT":
        return _insert_pins(p), _is_plain_insert(p)
    if head not in ("UPDATE", "DELETE", "SELECT"):
        return {}, False
    names = _table_names(p, head)
    if not names:
        return {}, False
    where = _top_level_index(p, "WHERE")
    if where is None or any(_top_level_index(p, w) is not None
                            for w in ("UNION", "EXCEPT", "INTERSECT")):
        return {}, False
    end = next((k for k in _top_level(p, where + 1) if p.up(k) in _END_OF_WHERE), p.n)
    refs = _value_refs(toks)
    out: dict = {}
    for qualifier, column, values in _conjunct_pins(p, where + 1, end, refs):
        table = names.get(qualifier) if qualifier else (
            next(iter(set(names.values()))) if len(set(names.values())) == 1 else None)
        if table is None or _references(p, table) != 1:
            continue
        out.setdefault(table, {}).setdefault(column, values)
    return out, False


def update_sets(toks: list[Tok]) -> dict | None:
    """``UPDATE t SET a = %s, b = (b + 1) WHERE ...`` -> {"a": ref, "b": None}: the columns one
    UPDATE changes, with the value reference each is set to when it is a parameter or literal.
    None when the SET list is not a plain ``column = expression, ...`` list."""
    p = _Parser(toks)
    start = _top_level_index(p, "SET")
    if start is None:
        return None
    end = next((k for k in _top_level(p, start + 1) if p.up(k) in ("WHERE", "FROM", "RETURNING")),
               p.n)
    refs = _value_refs(toks)
    out: dict = {}
    for a, b in _split_cells(p, start + 1, end):
        parts, k = _dotted(p, a)
        if not parts or not (k < b and p.t[k].kind == OP and p.t[k].value == "="):
            return None
        out[parts[-1]] = refs.get(k + 1) if b == k + 2 else None
    return out


def _top_level(p, start=0, end=None):
    """Indices in [start, end) outside any parentheses opened there (the parentheses too)."""
    depth = 0
    for j in range(start, p.n if end is None else end):
        if p.is_p(j, "("):
            depth += 1
        elif p.is_p(j, ")"):
            depth -= 1
        elif depth == 0:
            yield j


def _top_level_index(p, word):
    return next((j for j in _top_level(p) if p.up(j) == word), None)


def _dotted(p, i):
    """``a.b.c`` at i -> (lower-cased parts, next index)."""
    parts = []
    while i < p.n and p.t[i].kind in _NAME_KINDS:
        parts.append(p.t[i].value.lower())
        if p.is_p(i + 1, ".") and i + 2 < p.n and p.t[i + 2].kind in _NAME_KINDS:
            i += 2
            continue
        return parts, i + 1
    return parts, i


def _table_names(p, head):
    """Qualifier (table name or alias) -> table, for the top-level FROM/JOIN/UPDATE targets."""
    names: dict[str, str] = {}
    for j in _top_level(p):
        if not (p.up(j) in ("FROM", "JOIN", "UPDATE", "USING") or
                (p.is_p(j, ",") and names and _in_from_list(p, j))):
            continue
        k = j + 1
        while p.up(k) in ("ONLY", "LOW_PRIORITY", "IGNORE"):
            k += 1
        if k < p.n and p.t[k].kind == KW and (p.t[k].up in _NOT_TABLE_WORDS or
                                              p.t[k].up in _CLAUSE_WORDS):
            continue
        parts, k = _dotted(p, k)
        if not parts or p.is_p(k, "("):
            continue
        table = parts[-1]
        names[table] = table
        if p.up(k) == "AS":
            k += 1
        if k < p.n and (p.t[k].kind == QID or
                        (p.t[k].kind == KW and p.t[k].up not in _CLAUSE_WORDS)):
            names[p.t[k].value.lower()] = table
    return names


def _in_from_list(p, comma):
    """Is this top-level comma between FROM and WHERE (``FROM a, b``)?"""
    depth = 0
    for j in range(comma - 1, -1, -1):
        if p.is_p(j, ")"):
            depth += 1
        elif p.is_p(j, "("):
            depth -= 1
        elif depth == 0 and p.up(j) in ("FROM", "WHERE", "SELECT", "SET", "ON"):
            return p.up(j) == "FROM"
    return False


def _references(p, table):
    """How many times ``table`` is named as a table (a name not followed by a dot)."""
    return sum(1 for j, t in enumerate(p.t) if t.kind in _NAME_KINDS and t.value.lower() == table
               and not p.is_p(j + 1, "."))


def _conjunct_pins(p, start, end, refs):
    """(qualifier or None, column, value refs) for each ``col = v`` / ``col IN (v, ...)`` term of
    the AND-only condition in tokens [start, end); nothing when the condition has a top-level OR."""
    while p.is_p(start, "(") and p.match_paren(start) == end - 1:
        start, end = start + 1, end - 1
    terms, term_start = [], start
    for j in _top_level(p, start, end):
        if p.up(j) == "OR":
            return []
        if p.up(j) == "AND":
            terms.append((term_start, j))
            term_start = j + 1
    terms.append((term_start, end))
    out = []
    for a, b in terms:
        if p.is_p(a, "(") and p.match_paren(a) == b - 1:
            out += _conjunct_pins(p, a, b, refs)
            continue
        parts, k = _dotted(p, a)
        if not parts or len(parts) > 3 or p.t[a].kind == KW and p.t[a].up in _CLAUSE_WORDS:
            continue
        qualifier = parts[-2] if len(parts) > 1 else None
        if k + 2 == b and p.t[k].kind == OP and p.t[k].value == "=" and k + 1 in refs:
            out.append((qualifier, parts[-1], (refs[k + 1],)))
        elif p.up(k) == "IN" and p.is_p(k + 1, "(") and p.match_paren(k + 1) == b - 1:
            values = _value_list(p, k + 2, b - 1, refs)
            if values:
                out.append((qualifier, parts[-1], values))
    return out


def _value_list(p, start, end, refs):
    """``v, v, ...`` in tokens [start, end) -> value refs, or None if anything else is there."""
    values = []
    for j in range(start, end):
        if (j - start) % 2 == 0:
            if j not in refs:
                return None
            values.append(refs[j])
        elif not p.is_p(j, ","):
            return None
    return tuple(values) if values and (end - start) % 2 == 1 else None


def _is_plain_insert(p):
    """An INSERT that changes no row but the new ones: not ``OR REPLACE``, ``ON DUPLICATE KEY
    UPDATE`` or ``ON CONFLICT ... DO UPDATE`` (``OR IGNORE``/``DO NOTHING`` only skip rows)."""
    words = {t.up for t in p.t if t.kind == KW}
    if p.up(1) == "OR" and p.up(2) == "REPLACE":
        return False
    return "DUPLICATE" not in words and not ("CONFLICT" in words and "UPDATE" in words)


def _insert_pins(p):
    """``INSERT INTO t (a, b) VALUES (v, v), (v, v)`` -> {t: {a: refs, b: refs}}; columns with
    a value that is not a parameter or literal in some row are left out."""
    if not _is_plain_insert(p):
        return {}
    j = 1
    while p.up(j) in ("OR", "IGNORE", "INTO"):
        j += 1
    parts, j = _dotted(p, j)
    if not parts or not p.is_p(j, "("):
        return {}
    close = p.match_paren(j)
    columns = []
    for k in range(j + 1, close, 2):
        if p.t[k].kind not in _NAME_KINDS or not (p.is_p(k + 1, ",") or k + 1 == close):
            return {}
        columns.append(p.t[k].value.lower())
    j = close + 1
    refs = _value_refs(p.t)
    if p.up(j) == "SELECT":
        unnested = _unnest_pins(p, j, columns, refs)
        return {parts[-1]: unnested} if unnested else {}
    if p.up(j) != "VALUES":
        return {}
    per_column: dict[str, list | None] = {c: [] for c in columns}
    j += 1
    while p.is_p(j, "("):
        close = p.match_paren(j)
        cells = _split_cells(p, j + 1, close)
        if len(cells) != len(columns):
            return {}
        for column, (a, b) in zip(columns, cells, strict=True):
            got = per_column[column]
            if got is not None:
                per_column[column] = got + [refs[a]] if b == a + 1 and a in refs else None
        j = close + 1
        if not p.is_p(j, ","):
            break
        j += 1
    return {parts[-1]: {c: tuple(v) for c, v in per_column.items() if v}}


def _unnest_pins(p, j, columns, refs):
    """``SELECT * FROM UNNEST((%s)::integer[], ...)`` at j, the form of Django's bulk_create on
    PostgreSQL (5.2+): column -> ("a", n), parameter n holding the column's values as a list."""
    if not (p.t[j + 1:j + 2] == [Tok(OP, "*")] and p.up(j + 2) == "FROM" and
            p.up(j + 3) == "UNNEST" and p.is_p(j + 4, "(")):
        return {}
    close = p.match_paren(j + 4)
    if close + 1 < p.n and p.up(close + 1) != "RETURNING":
        return {}
    cells = _split_cells(p, j + 5, close)
    if len(cells) != len(columns):
        return {}
    out = {}
    for column, (a, b) in zip(columns, cells, strict=True):
        ref = refs.get(a + 1)
        cast = p.t[a + 3:b]
        if p.is_p(a, "(") and p.is_p(a + 2, ")") and ref is not None and ref[0] == "p" and \
                cast[:2] == [Tok(OP, ":"), Tok(OP, ":")] and \
                all(t.kind in (KW, QID, NUM, PUNCT) for t in cast[2:]):
            out[column] = (("a", ref[1]),)
    return out


def _split_cells(p, start, end):
    cells, cell_start = [], start
    for j in _top_level(p, start, end):
        if p.is_p(j, ","):
            cells.append((cell_start, j))
            cell_start = j + 1
    cells.append((cell_start, end))
    return cells


@functools.lru_cache(maxsize=4096)
def analyse_cached(sql: str, backslash_escapes: bool = False) -> Analysis:
    """``analyse`` with a bounded memo (Django's SQL strings repeat, parameters are separate).

    Least recently used statements go first, so a burst of one-off SQL does not drop the
    statements every request runs."""
    return analyse(sql, backslash_escapes)


def looks_like_plain_select(sql: str) -> bool:
    """Cheap pre-check used on the hot path: a statement starting with SELECT cannot write."""
    s = sql.lstrip()[:6]
    return s.upper() == "SELECT" and ";" not in sql
