-- The cohort x period triangle as one value: omni.cohort_triangle, cohort_cells, rollup.
SET TimeZone = 'UTC';
SET DateStyle = ISO;

CREATE TABLE tri_customers (customer_id int, first_seen_at timestamptz);
CREATE TABLE tri_messages (customer_id int, channel text, sent_at timestamptz, delivered boolean, opened boolean);
INSERT INTO tri_customers VALUES (1, '2026-01-10'), (2, '2026-01-20'), (3, '2026-02-03'), (4, '2026-03-02');
INSERT INTO tri_messages VALUES
    (1, 'email', '2026-01-12', true, true),  (1, 'email', '2026-02-12', true, false),
    (2, 'email', '2026-01-25', true, false), (2, 'sms',   '2026-03-03', true, true),
    (3, 'email', '2026-02-04', true, true),  (3, 'email', '2026-03-05', false, NULL),
    (4, 'email', '2026-03-04', true, false), (1, 'sms',   '2026-03-10', true, false),
    (2, 'email', '2026-02-25', true, true);

-- one triangle per channel: cohort = first_seen_at truncated to the month, period = months
-- since the cohort's start (the GROUP BY form with date_trunc and cohort_period, cell for cell)
SELECT m.channel, c.cohort_start::date, c.period_number, c.rate, round(omni.value(c.rate)::numeric, 3) AS open_rate
FROM (SELECT m.channel,
             omni.cohort_triangle(cu.first_seen_at, m.sent_at, m.opened, '1 month', '1 month') FILTER (WHERE m.delivered) AS tri
      FROM tri_messages m JOIN tri_customers cu USING (customer_id) GROUP BY m.channel) m,
     omni.cohort_cells(m.tri) c
ORDER BY 1, 2, 3;

-- periods counted from each customer's own start: customer 2 (Jan 20) is in period 1 on Feb 25
SELECT c.cohort_start::date, c.period_number, c.rate
FROM omni.cohort_cells((SELECT omni.cohort_triangle(cu.first_seen_at, m.sent_at, m.opened, '1 month', '1 month', 'customer')
                               FILTER (WHERE m.delivered)
                        FROM tri_messages m JOIN tri_customers cu USING (customer_id))) c
ORDER BY 1, 2;

-- gap-filled for an as_of, with the flags of omni.cohort_grid: NULL = cannot have data yet,
-- 0/0 = could have had deliveries and had none
SELECT c.cohort_start::date, c.period_number, c.observable, c.complete, c.rate
FROM omni.cohort_cells((SELECT omni.cohort_triangle(cu.first_seen_at, m.sent_at, m.opened, '1 month', '1 month')
                               FILTER (WHERE m.delivered)
                        FROM tri_messages m JOIN tri_customers cu USING (customer_id)), '2026-03-15') c
ORDER BY 1, 2;

-- stored per day and merged: the rollup of daily triangles is the triangle of all rows
CREATE TABLE tri_daily AS
SELECT date_trunc('day', m.sent_at) AS day,
       omni.cohort_triangle(cu.first_seen_at, m.sent_at, m.opened, '1 month', '1 month', 'cohort', 'UTC')
           FILTER (WHERE m.delivered) AS tri
FROM tri_messages m JOIN tri_customers cu USING (customer_id) GROUP BY 1;
SELECT (SELECT omni.rollup(tri) FROM tri_daily)::text =
       (SELECT omni.cohort_triangle(cu.first_seen_at, m.sent_at, m.opened, '1 month', '1 month', 'cohort', 'UTC')
                   FILTER (WHERE m.delivered)
        FROM tri_messages m JOIN tri_customers cu USING (customer_id))::text AS rollup_equals_whole;

-- from counts already aggregated elsewhere (a daily report per cohort month and channel):
-- each row adds opens out of sends to its cell; the cells are those of the raw rows above
CREATE TABLE tri_report AS
SELECT date_trunc('month', cu.first_seen_at) AS cohort_month, m.sent_at::date AS day, m.channel,
       count(*) FILTER (WHERE m.opened) AS opens, count(m.opened) AS sends
FROM tri_messages m JOIN tri_customers cu USING (customer_id) WHERE m.delivered GROUP BY 1, 2, 3;
SELECT r.channel, c.cohort_start::date, c.period_number, c.rate
FROM (SELECT channel, omni.cohort_triangle(cohort_month, day, opens, sends, '1 month', '1 month') AS tri
      FROM tri_report GROUP BY channel) r,
     omni.cohort_cells(r.tri) c
ORDER BY 1, 2, 3;

-- the text form: the binary form in hex (exact, what Citus ships between nodes)
SELECT omni.cohort_triangle(s, a, h, '1 month', '1 month', 'cohort', 'UTC')
FROM (VALUES (timestamptz '2026-01-05', timestamptz '2026-02-06', true)) v(s, a, h);

-- weekly cohorts are ISO weeks (Monday), as date_trunc('week', ...)
SELECT c.cohort_start, c.period_number, c.rate
FROM omni.cohort_cells((SELECT omni.cohort_triangle(s, a, true, '7 days', '1 day', 'cohort', 'Europe/Berlin')
                        FROM (VALUES (timestamptz '2026-03-26 12:00+00', timestamptz '2026-03-30 12:00+00')) v(s, a))) c;

-- NULLs: a NULL hit is not a trial; a NULL start or time skips the row; no rows give NULL
SELECT omni.cohort_triangle(s, a, true, '1 month', '1 month') IS NULL AS no_rows
FROM (VALUES (NULL::timestamptz, timestamptz '2026-01-01')) v(s, a);

-- errors
SELECT omni.cohort_triangle(now(), now(), true, '1 month 2 days', '1 month');
SELECT omni.cohort_triangle(now(), now(), true, '1 month', '1 month', 'signup');
SELECT omni.cohort_triangle(now(), now(), 5, 3, '1 month', '1 month');
SELECT omni.cohort_triangle(now(), now(), true, '1 month', '1 month', 'cohort', 'Mars/Olympus_Mons');
SELECT omni.rollup(t) FROM (VALUES
    ((SELECT omni.cohort_triangle(now(), now(), true, '1 month', '1 month', 'cohort', 'UTC'))),
    ((SELECT omni.cohort_triangle(now(), now(), true, '1 month', '7 days', 'cohort', 'UTC')))) v(t);
SELECT '\x01'::omni.cohort_triangle;
