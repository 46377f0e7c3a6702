#!/usr/bin/python3
"""omni client test through psycopg2, as a Python notebook or script reads omni's results.

    /usr/bin/python3 clients/python/test_psycopg2.py [clients/queries.sql]

Connects with libpq's environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE;
a Unix-socket directory in PGHOST works). Runs the fixture and queries of clients/queries.sql
and checks, for every result column, that each value arrives as the plain Python type that file
names (int, float, Decimal, str, bool, date, tz-aware datetime; NULL as None) and equals the
expected value. Prints one line per column checked; exits 1 if any check failed.
"""

import datetime
import decimal
import sys

import psycopg2

PYTHON_TYPES = {
    "int": int,
    "float": float,
    "Decimal": decimal.Decimal,
    "str": str,
    "bool": bool,
    "date": datetime.date,
    "datetime": datetime.datetime,
}


class Query:
    def __init__(self, name):
        self.name = name
        self.sql = []
        self.columns = []  # (name, jdbc type, python type)
        self.rows = []


def parse(path):
    """The @session, @fixture and @query blocks of clients/queries.sql."""
    session, fixture, queries = [], [], []
    current, query = None, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            stripped = line.strip()
            if stripped.startswith("-- @"):
                word, _, rest = stripped[4:].strip().partition(" ")
                if word == "session":
                    current, query = session, None
                elif word == "fixture":
                    current, query = fixture, None
                elif word == "query":
                    query = Query(rest.strip())
                    queries.append(query)
                    current = query.sql
                elif word == "column":
                    parts = rest.split()
                    if query is None or len(parts) != 3:
                        raise ValueError("bad @column line: " + line)
                    query.columns.append(tuple(parts))
                elif word == "row":
                    if query is None:
                        raise ValueError("@row outside a query: " + line)
                    query.rows.append([c.strip() for c in rest.split("|")])
                else:
                    raise ValueError("unknown directive: " + line)
            elif current is not None:
                current.append(line)
    for q in queries:
        for row in q.rows:
            if len(row) != len(q.columns):
                raise ValueError(f"query {q.name}: a @row has {len(row)} values for {len(q.columns)} columns")
    return "".join(session), "".join(fixture), queries


def compare(pytype, value, expected):
    """None if value matches the expected text of clients/queries.sql, else what is wrong."""
    if expected == "*":
        return None
    if pytype == "int":
        ok = value == int(expected)
    elif pytype == "float":
        # the server sends the shortest text that reads back as the same double
        ok = value == float(expected)
    elif pytype == "Decimal":
        ok = value == decimal.Decimal(expected)
    elif pytype == "bool":
        if expected not in ("t", "f"):
            raise ValueError("boolean expected as t or f, not " + expected)
        ok = value is (expected == "t")
    elif pytype == "date":
        ok = value == datetime.date.fromisoformat(expected)
    elif pytype == "datetime":
        if value.tzinfo is None or value.utcoffset() is None:
            return f"{value!r} is a naive datetime, expected a tz-aware one"
        ok = value == datetime.datetime.fromisoformat(expected)
    else:
        ok = value == expected
    return None if ok else f"got {value!r}, expected {expected}"


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "clients/queries.sql"
    session_sql, fixture_sql, queries = parse(path)

    try:
        conn = psycopg2.connect("", application_name="omni-client-test-psycopg2")
    except psycopg2.OperationalError as e:
        print(f"FAIL connect: {e}".strip())
        print("psycopg2: cannot connect")
        return 1
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT current_setting('server_version')")
    print(f"connected: {conn.dsn} (psycopg2 {psycopg2.__version__}, libpq {psycopg2.extensions.libpq_version()}, "
          f"server {cur.fetchone()[0]}, Python {sys.version.split()[0]})")
    try:
        cur.execute(session_sql)
        cur.execute(fixture_sql)
    except psycopg2.Error as e:
        print(f"FAIL fixture: {e}".strip())
        print("psycopg2: cannot create the fixture (is omni installed and CREATE EXTENSION omni done?)")
        return 1
    print("fixture: schema client_test created")

    checks = failures = 0

    def fail(what, message):
        nonlocal failures
        failures += 1
        print(f"FAIL {what}: {message}")

    for q in queries:
        checks += 1
        try:
            cur.execute("".join(q.sql))
            rows = cur.fetchall()
        except psycopg2.Error as e:
            fail(q.name, f"query failed: {e}".strip())
            continue
        names = [d.name for d in cur.description]
        if len(names) != len(q.columns):
            fail(q.name, f"{len(names)} columns, expected {len(q.columns)}")
            continue
        if len(rows) != len(q.rows):
            fail(q.name, f"{len(rows)} rows, expected {len(q.rows)}")
            continue
        for i, (name, _jdbc, pytype) in enumerate(q.columns):
            what = f"{q.name}.{name}"
            checks += 1
            problems = []
            if names[i] != name:
                problems.append(f"column is named {names[i]}")
            want = PYTHON_TYPES[pytype]
            seen = set()
            for r, row in enumerate(rows):
                value, expected = row[i], q.rows[r][i]
                where = f"row {r + 1}: "
                seen.add(type(value).__name__)
                if expected == "NULL":
                    if value is not None:
                        problems.append(f"{where}expected None, got {value!r}")
                    continue
                if value is None:
                    problems.append(f"{where}got None, expected {expected}")
                    continue
                # exact types: bool is a subclass of int, datetime of date
                if type(value) is not want:
                    problems.append(f"{where}{value!r} is a {type(value).__module__}.{type(value).__name__}, expected {pytype}")
                    continue
                mismatch = compare(pytype, value, expected)
                if mismatch:
                    problems.append(where + mismatch)
            summary = (f"{what:<42} oid {cur.description[i].type_code:<6} -> "
                       f"{', '.join(sorted(seen))}, {len(rows)} rows")
            if problems:
                if len(problems) > 3:
                    problems[3:] = [f"and {len(problems) - 3} more"]
                fail(what, "; ".join(problems) + f"  [{summary}]")
            else:
                print(f"ok   {summary}")

    conn.close()
    if failures:
        print(f"psycopg2: {failures} of {checks} checks FAILED")
        return 1
    print(f"psycopg2: all {checks} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
