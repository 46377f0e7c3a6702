-- Seeded BG/NBD customers for bench/btyd.sh: table btyd_bench(frequency, recency, t), days.
-- True parameters r = 0.25, alpha = 28 (days), a = 0.8, b = 2.5; customers join uniformly
-- over the first 84 days of a year and are observed to day 365.  Each draws its purchase
-- rate lambda ~ Gamma(r, alpha) and dropout probability p ~ Beta(a, b); repeat purchases
-- arrive as a Poisson process and after each the customer leaves with probability p
-- (FHL 2005 assumptions i-v).  Times are rounded up to whole days, as a daily summary has
-- them.  Gamma variates: Marsaglia & Tsang (2000), with U^(1/k) for shape k < 1.
CREATE EXTENSION IF NOT EXISTS omni;
SET client_min_messages = warning;
DROP TABLE IF EXISTS btyd_bench;
\o /dev/null
SELECT setseed(0.42);
\o

CREATE FUNCTION pg_temp.rgamma(shape float8) RETURNS float8 LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    k float8 := shape;
    boost float8 := 1;
    d float8;
    c float8;
    x float8;
    v float8;
BEGIN
    IF k < 1 THEN
        boost := power(1 - random(), 1 / k);
        k := k + 1;
    END IF;
    d := k - 1.0 / 3;
    c := 1 / sqrt(9 * d);
    LOOP
        x := sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random());
        CONTINUE WHEN 1 + c * x <= 0;
        v := power(1 + c * x, 3);
        IF ln(1 - random()) < 0.5 * x * x + d - d * v + d * ln(v) THEN
            RETURN d * v * boost;
        END IF;
    END LOOP;
END $$;

CREATE FUNCTION pg_temp.customer(age float8, OUT frequency float8, OUT recency float8) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    lambda float8 := pg_temp.rgamma(0.25) / 28;
    g float8 := pg_temp.rgamma(0.8);
    p float8 := g / (g + pg_temp.rgamma(2.5));
    clock float8 := 0;
BEGIN
    frequency := 0;
    recency := 0;
    IF lambda <= 0 THEN
        RETURN;
    END IF;
    LOOP
        clock := clock - ln(1 - random()) / lambda;
        EXIT WHEN ceil(clock) > age;
        frequency := frequency + 1;
        recency := ceil(clock);
        EXIT WHEN random() < p;
    END LOOP;
END $$;

CREATE TABLE btyd_bench AS
SELECT c.frequency, c.recency, t
  FROM (SELECT 365 - floor(random() * 84) AS t FROM generate_series(1, :customers)) g,
       LATERAL pg_temp.customer(g.t) c;
ANALYZE btyd_bench;
