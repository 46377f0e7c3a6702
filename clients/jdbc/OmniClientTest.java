// omni client test through the PostgreSQL JDBC driver (pgjdbc), as a BI tool connects.
//
//   java -cp /usr/share/java/postgresql.jar clients/jdbc/OmniClientTest.java [clients/queries.sql]
//
// A single-file Java 17 program (records, switch expressions): no build step, the `java`
// launcher compiles it in memory (Java 11+ single-source launch; a JRE is enough on Debian).
// Connects with the libpq environment variables PGHOST, PGPORT, PGUSER, PGPASSWORD and
// PGDATABASE. pgjdbc cannot use Unix sockets, so when PGHOST is empty or a socket directory it
// connects over TCP to localhost:PGPORT (pg_virtualenv's clusters listen there, with the
// password it exports as PGPASSWORD).
//
// Runs the fixture and queries of clients/queries.sql and checks, for every result column, the
// java.sql.Types that ResultSetMetaData.getColumnType() reports, the class getObject() returns
// and every value. Each query runs twice: through a plain Statement (pgjdbc receives text) and
// through a PreparedStatement on a connection with prepareThreshold=-1 (pgjdbc asks for binary
// results for the built-in types it can decode, as it does for any statement a BI tool has run
// five times). Prints one line per column checked; exits 1 if any check failed.

import java.io.IOException;
import java.lang.reflect.Field;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

public class OmniClientTest {

    /** One result column as clients/queries.sql expects it. */
    record Column(String name, String jdbcType, String pythonType) {}

    /** One query block of clients/queries.sql. */
    static final class Query {
        final String name;
        final StringBuilder sql = new StringBuilder();
        final List<Column> columns = new ArrayList<>();
        final List<String[]> rows = new ArrayList<>();

        Query(String name) {
            this.name = name;
        }
    }

    static String sessionSql = "";
    static String fixtureSql = "";
    static final List<Query> queries = new ArrayList<>();

    static int checks = 0;
    static int failures = 0;

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args.length > 0 ? args[0] : "clients/queries.sql");
        parse(file);

        String host = env("PGHOST", "");
        String port = env("PGPORT", "5432");
        String user = env("PGUSER", System.getProperty("user.name"));
        String database = env("PGDATABASE", user);
        String password = System.getenv("PGPASSWORD");
        if (host.isEmpty() || host.startsWith("/")) {
            System.out.println("note: PGHOST " + (host.isEmpty() ? "is unset" : "is a Unix-socket directory (" + host + ")")
                    + "; pgjdbc has no Unix-socket support, connecting over TCP to localhost:" + port);
            host = "localhost";
        }
        String url = "jdbc:postgresql://" + host + ":" + port + "/" + database;

        Properties props = new Properties();
        props.setProperty("user", user);
        if (password != null) {
            props.setProperty("password", password);
        }
        props.setProperty("ApplicationName", "omni-client-test-jdbc");

        try (Connection conn = connect(url, props)) {
            System.out.println("connected: " + url + " as " + user + " (" + conn.getMetaData().getDriverName() + " "
                    + conn.getMetaData().getDriverVersion() + ", server " + conn.getMetaData().getDatabaseProductVersion()
                    + ", Java " + System.getProperty("java.version") + ")");
            try (Statement st = conn.createStatement()) {
                st.execute(sessionSql);
                st.execute(fixtureSql);
            } catch (SQLException e) {
                System.out.println("FAIL fixture: " + e.getMessage());
                System.out.println("jdbc: cannot create the fixture (is omni installed and CREATE EXTENSION omni done?)");
                System.exit(1);
            }
            System.out.println("fixture: schema client_test created");
            for (Query q : queries) {
                try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(q.sql.toString())) {
                    checkResult("text", q, rs);
                } catch (SQLException e) {
                    checks++;
                    fail("text", q.name, "query failed: " + e.getMessage());
                }
            }
        }

        Properties binaryProps = (Properties) props.clone();
        binaryProps.setProperty("prepareThreshold", "-1");
        try (Connection conn = connect(url, binaryProps)) {
            try (Statement st = conn.createStatement()) {
                st.execute(sessionSql);
            }
            for (Query q : queries) {
                try (PreparedStatement ps = conn.prepareStatement(q.sql.toString()); ResultSet rs = ps.executeQuery()) {
                    checkResult("binary", q, rs);
                } catch (SQLException e) {
                    checks++;
                    fail("binary", q.name, "query failed: " + e.getMessage());
                }
            }
        }

        if (failures > 0) {
            System.out.println("jdbc: " + failures + " of " + checks + " checks FAILED");
            System.exit(1);
        }
        System.out.println("jdbc: all " + checks + " checks passed");
    }

    /** A connection, or exit 1 with a message saying what pgjdbc needs. */
    static Connection connect(String url, Properties props) {
        try {
            return DriverManager.getConnection(url, props);
        } catch (SQLException e) {
            System.out.println("FAIL connect " + url + " as " + props.getProperty("user") + ": " + e.getMessage());
            System.out.println("jdbc: cannot connect (pgjdbc needs TCP: the server must listen there and accept this user"
                    + (props.getProperty("password") == null ? " without a password" : " with PGPASSWORD") + ")");
            System.exit(1);
            return null;
        }
    }

    static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? fallback : v;
    }

    /** Reads the @session, @fixture and @query blocks of clients/queries.sql. */
    static void parse(Path file) throws IOException {
        StringBuilder session = new StringBuilder();
        StringBuilder fixture = new StringBuilder();
        StringBuilder current = null;
        Query query = null;
        for (String line : Files.readAllLines(file)) {
            String t = line.strip();
            if (t.startsWith("-- @")) {
                String[] w = t.substring(4).strip().split("\\s+", 2);
                switch (w[0]) {
                    case "session" -> { current = session; query = null; }
                    case "fixture" -> { current = fixture; query = null; }
                    case "query" -> {
                        query = new Query(w[1].strip());
                        queries.add(query);
                        current = query.sql;
                    }
                    case "column" -> {
                        String[] c = w[1].strip().split("\\s+");
                        if (query == null || c.length != 3) {
                            throw new IllegalArgumentException("bad @column line: " + line);
                        }
                        query.columns.add(new Column(c[0], c[1], c[2]));
                    }
                    case "row" -> {
                        if (query == null) {
                            throw new IllegalArgumentException("@row outside a query: " + line);
                        }
                        String[] cells = w[1].split("\\|", -1);
                        for (int i = 0; i < cells.length; i++) {
                            cells[i] = cells[i].strip();
                        }
                        query.rows.add(cells);
                    }
                    default -> throw new IllegalArgumentException("unknown directive: " + line);
                }
            } else if (current != null) {
                current.append(line).append('\n');
            }
        }
        sessionSql = session.toString();
        fixtureSql = fixture.toString();
        for (Query q : queries) {
            for (String[] row : q.rows) {
                if (row.length != q.columns.size()) {
                    throw new IllegalArgumentException("query " + q.name + ": a @row has " + row.length
                            + " values for " + q.columns.size() + " columns");
                }
            }
        }
    }

    static void fail(String mode, String what, String message) {
        failures++;
        System.out.println("FAIL " + mode + " " + what + ": " + message);
    }

    static int typeCode(String name) {
        try {
            Field f = Types.class.getField(name);
            return f.getInt(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("not a java.sql.Types name: " + name);
        }
    }

    static String typeName(int code) {
        for (Field f : Types.class.getFields()) {
            try {
                if (f.getInt(null) == code) {
                    return f.getName();
                }
            } catch (IllegalAccessException e) {
                // every field of java.sql.Types is public
            }
        }
        return Integer.toString(code);
    }

    /** The class getObject() must return for a column of this java.sql.Types (null: not checked). */
    static String expectedClass(String jdbcType) {
        return switch (jdbcType) {
            case "BIGINT" -> "java.lang.Long";
            case "INTEGER" -> "java.lang.Integer";
            case "SMALLINT" -> "java.lang.Integer";
            case "DOUBLE" -> "java.lang.Double";
            case "NUMERIC" -> "java.math.BigDecimal";
            case "VARCHAR" -> "java.lang.String";
            case "BIT", "BOOLEAN" -> "java.lang.Boolean";
            case "DATE" -> "java.sql.Date";
            case "TIMESTAMP" -> "java.sql.Timestamp";
            case "OTHER", "STRUCT" -> "org.postgresql.util.PGobject";
            default -> null;
        };
    }

    static void checkResult(String mode, Query q, ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount();
        if (n != q.columns.size()) {
            checks++;
            fail(mode, q.name, n + " columns, expected " + q.columns.size());
            return;
        }
        // read everything first: per column, every row's getObject() and getString()
        List<Object[]> objects = new ArrayList<>();
        List<String[]> strings = new ArrayList<>();
        List<OffsetDateTime[]> odts = new ArrayList<>();
        while (rs.next()) {
            Object[] o = new Object[n];
            String[] s = new String[n];
            OffsetDateTime[] t = new OffsetDateTime[n];
            for (int i = 1; i <= n; i++) {
                o[i - 1] = rs.getObject(i);
                s[i - 1] = rs.getString(i);
                if (md.getColumnType(i) == Types.TIMESTAMP) {
                    t[i - 1] = rs.getObject(i, OffsetDateTime.class);
                }
            }
            objects.add(o);
            strings.add(s);
            odts.add(t);
        }
        checks++;
        if (objects.size() != q.rows.size()) {
            fail(mode, q.name, objects.size() + " rows, expected " + q.rows.size());
            return;
        }

        for (int i = 1; i <= n; i++) {
            Column col = q.columns.get(i - 1);
            String what = q.name + "." + col.name();
            checks++;
            List<String> problems = new ArrayList<>();
            if (!md.getColumnLabel(i).equals(col.name())) {
                problems.add("column is named " + md.getColumnLabel(i));
            }
            int actualType = md.getColumnType(i);
            int wantType = typeCode(col.jdbcType());
            if (actualType != wantType) {
                problems.add("getColumnType() is " + typeName(actualType) + ", expected " + col.jdbcType());
            }
            String wantClass = expectedClass(col.jdbcType());
            String seenClass = null;
            for (int r = 0; r < objects.size(); r++) {
                Object v = objects.get(r)[i - 1];
                String s = strings.get(r)[i - 1];
                String expected = q.rows.get(r)[i - 1];
                String where = "row " + (r + 1) + ": ";
                if (v != null) {
                    seenClass = v.getClass().getName();
                }
                if (expected.equals("NULL")) {
                    if (v != null) {
                        problems.add(where + "expected NULL, got " + v);
                    }
                    continue;
                }
                if (v == null) {
                    problems.add(where + "got NULL, expected " + expected);
                    continue;
                }
                if (wantClass != null && !v.getClass().getName().equals(wantClass)) {
                    problems.add(where + "getObject() is a " + v.getClass().getName() + ", expected " + wantClass);
                    continue;
                }
                String mismatch = compare(col.jdbcType(), v, s, odts.get(r)[i - 1], expected);
                if (mismatch != null) {
                    problems.add(where + mismatch);
                }
            }
            String summary = String.format("%-6s %-42s %-9s (%s) -> %s, %d rows", mode, what, typeName(actualType),
                    md.getColumnTypeName(i), seenClass == null ? "null" : seenClass, objects.size());
            if (problems.isEmpty()) {
                System.out.println("ok   " + summary);
            } else {
                List<String> shown = problems.size() > 3 ? new ArrayList<>(problems.subList(0, 3)) : problems;
                if (problems.size() > 3) {
                    shown.add("and " + (problems.size() - 3) + " more");
                }
                fail(mode, what, String.join("; ", shown) + "  [" + summary.substring(7).strip() + "]");
            }
        }
    }

    /** null if the value matches the expected text of clients/queries.sql, else what is wrong. */
    static String compare(String jdbcType, Object v, String s, OffsetDateTime odt, String expected) {
        if (expected.equals("*")) {
            return null;
        }
        switch (jdbcType) {
            case "BIGINT":
            case "INTEGER":
                return ((Number) v).longValue() == Long.parseLong(expected) ? null : "got " + v + ", expected " + expected;
            case "DOUBLE":
                // the server sends the shortest text that reads back as the same double (and binary
                // mode sends the double itself), so the value must be exactly the expected one
                return ((Double) v).doubleValue() == Double.parseDouble(expected) ? null
                        : "got " + v + ", expected " + expected;
            case "NUMERIC":
                return ((BigDecimal) v).compareTo(new BigDecimal(expected)) == 0 ? null
                        : "got " + v + ", expected " + expected;
            case "BIT":
            case "BOOLEAN":
                boolean want = switch (expected) {
                    case "t" -> true;
                    case "f" -> false;
                    default -> throw new IllegalArgumentException("boolean expected as t or f, not " + expected);
                };
                return ((Boolean) v) == want ? null : "got " + v + ", expected " + expected;
            case "DATE":
                return ((java.sql.Date) v).toLocalDate().equals(LocalDate.parse(expected)) ? null
                        : "got " + v + ", expected " + expected;
            case "TIMESTAMP": {
                java.time.Instant wantInstant = OffsetDateTime.parse(expected).toInstant();
                java.time.Instant got = ((java.sql.Timestamp) v).toInstant();
                if (!got.equals(wantInstant)) {
                    return "getObject() is the instant " + got + ", expected " + wantInstant;
                }
                if (odt == null || !odt.toInstant().equals(wantInstant)) {
                    return "getObject(i, OffsetDateTime.class) is " + odt + ", expected " + wantInstant;
                }
                return null;
            }
            case "OTHER":
            case "STRUCT":
            case "VARCHAR":
            default: {
                // a type pgjdbc does not know (omni.rate, omni.message_state) arrives as a PGobject
                // holding the text form; BI tools show getString() or the object's toString()
                if (!expected.equals(s)) {
                    return "getString() is \"" + s + "\", expected \"" + expected + "\"";
                }
                if (!expected.equals(v.toString())) {
                    return "getObject().toString() is \"" + v + "\", expected \"" + expected + "\"";
                }
                if (v instanceof org.postgresql.util.PGobject pg && !expected.equals(pg.getValue())) {
                    return "PGobject.getValue() is \"" + pg.getValue() + "\", expected \"" + expected + "\"";
                }
                return null;
            }
        }
    }
}
