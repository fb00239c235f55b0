"""The SQL of cost allocation (``costwarden.focus.allocation`` fills in the policy's parts).

Five statements, run on one in-memory DuckDB connection per allocation:

``ALLOC_SQL``       reads the window's FOCUS rows once, gives each row its owner (shared rule,
                    team tag, account mapping, or none and why) and aggregates them into the
                    temp table ``alloc`` (day x currency x provider x owner x service x
                    resource); a team tag whose value names no team is ``unknown_team`` even
                    in a mapped account (a misspelt tag is reported, not silently covered);
``RULE_TEAMS_SQL``  the teams of each shared rule and their static weights (``rule_teams``);
``LINES_SQL``       the allocated lines: direct and unallocated costs as they are, shared pools
                    split with the largest-remainder method;
``RESOURCES_SQL``   the top resources per team and overall;
``FRESHNESS_SQL``   the last day of data per provider and currency.

Amounts are HUGEINT units of 1e-10 from ``ALLOC_SQL`` on, so every sum and split is exact.
``{...}`` fields are SQL fragments built from the policy; every value is a ``$parameter``.
"""

# The rows of the window, classified and aggregated once into a temp table that the lines and the
# resources queries both read. Tags are reduced to the team tag value here, so the table stays
# small (days x services x resources), never the size of the export.
ALLOC_SQL = """
CREATE TEMP TABLE alloc AS
WITH src AS (
    SELECT {day} AS day, {currency} AS currency, {provider} AS provider,
           {account} AS account_raw, {service} AS service, {resource_id} AS resource_id,
           {resource_name} AS resource_name, {charge_category} AS charge_category,
           {tags} AS tags,
           CAST(round({cost} * 10000000000) AS HUGEINT) AS units
    FROM read_parquet($paths, hive_partitioning = true, union_by_name = true)
    {prune}
),
keyed AS (
    SELECT * EXCLUDE (account_raw),
           CASE WHEN regexp_full_match(k, '[0-9]+') THEN coalesce(nullif(ltrim(k, '0'), ''), '0')
                ELSE k END AS account_key
    FROM (SELECT *, lower(regexp_extract(rtrim(trim(account_raw), '/'), '[^/]*$')) AS k
          FROM src WHERE day >= $start AND day < $end)
),
classified AS (
    SELECT * EXCLUDE (tags, k), {shared_case} AS rule, {tag_value} AS tag_value FROM keyed
),
team_values AS (
    SELECT unnest(CAST($tv_keys AS VARCHAR[])) AS value,
           unnest(CAST($tv_teams AS VARCHAR[])) AS team
),
account_map AS (
    SELECT unnest(CAST($am_keys AS VARCHAR[])) AS key,
           unnest(CAST($am_providers AS VARCHAR[])) AS provider,
           unnest(CAST($am_teams AS VARCHAR[])) AS team
)
SELECT c.day, c.currency, c.provider, c.rule, c.service, c.resource_id,
       CASE WHEN c.rule IS NOT NULL THEN NULL
            WHEN c.tag_value IS NOT NULL THEN tv.team
            ELSE am.team END AS team,
       CASE WHEN c.rule IS NOT NULL THEN 'shared'
            WHEN tv.team IS NOT NULL THEN 'direct'
            WHEN c.tag_value IS NOT NULL THEN 'unknown_team'
            WHEN am.team IS NOT NULL THEN 'direct'
            ELSE 'untagged' END AS how,
       CASE WHEN c.rule IS NULL AND tv.team IS NULL THEN c.tag_value END AS detail,
       max(c.resource_name) AS resource_name,
       sum(c.units) AS units
FROM classified c
LEFT JOIN team_values tv ON c.rule IS NULL AND tv.value = lower(c.tag_value)
LEFT JOIN account_map am
       ON c.rule IS NULL AND am.key = c.account_key
      AND (am.provider IS NULL OR am.provider = c.provider)
GROUP BY ALL
"""

RULE_TEAMS_SQL = """
CREATE TEMP TABLE rule_teams AS
SELECT unnest(CAST($rt_rules AS INTEGER[])) AS rule,
       unnest(CAST($rt_methods AS VARCHAR[])) AS method,
       unnest(CAST($rt_teams AS VARCHAR[])) AS team,
       unnest(CAST($rt_weights AS HUGEINT[])) AS weight
"""

# Shared pools are split per rule, day, currency and service with the largest-remainder method:
# floor(|pool| * w / W) each, then one unit more to the largest remainders (ties by team name)
# until the pool is used up. Signs are applied after, so a shared credit splits the same way.
LINES_SQL = """
WITH direct AS (
    SELECT day, currency, team, sum(units) AS units
    FROM alloc WHERE how = 'direct' GROUP BY ALL
),
pools AS (
    SELECT rule, day, currency, service, provider, sum(units) AS units
    FROM alloc WHERE how = 'shared' GROUP BY ALL
),
weights AS (
    SELECT rt.rule, d.day, d.currency, rt.team, d.units // 1000000 AS weight
    FROM rule_teams rt JOIN direct d ON d.team = rt.team
    WHERE rt.method = 'proportional' AND d.units // 1000000 > 0
    UNION ALL
    SELECT p.rule, p.day, p.currency, rt.team, rt.weight
    FROM (SELECT DISTINCT rule, day, currency FROM pools) p
    JOIN rule_teams rt ON rt.rule = p.rule
    WHERE rt.method <> 'proportional'
),
shares AS (
    SELECT p.rule, p.day, p.currency, p.service, p.provider, w.team, p.units AS pool,
           abs(p.units) * w.weight // sum(w.weight) OVER pool AS base,
           abs(p.units) * w.weight % sum(w.weight) OVER pool AS remainder
    FROM pools p JOIN weights w USING (rule, day, currency)
    WINDOW pool AS (PARTITION BY p.rule, p.day, p.currency, p.service, p.provider)
),
ranked AS (
    SELECT *,
           abs(pool) - sum(base) OVER pool AS leftover,
           row_number() OVER (PARTITION BY rule, day, currency, service, provider
                              ORDER BY remainder DESC, team) AS position
    FROM shares
    WINDOW pool AS (PARTITION BY rule, day, currency, service, provider)
),
parts AS (
    SELECT day, currency, provider, team, service, 'shared' AS basis, rule,
           CAST(NULL AS VARCHAR) AS reason, CAST(NULL AS VARCHAR) AS detail,
           sign(pool) * (base + CASE WHEN position <= leftover THEN 1 ELSE 0 END) AS units
    FROM ranked
),
orphans AS (
    SELECT p.day, p.currency, p.provider, CAST(NULL AS VARCHAR) AS team, p.service,
           'unallocated' AS basis,
           p.rule, 'no_split_basis' AS reason, CAST(NULL AS VARCHAR) AS detail, p.units
    FROM pools p ANTI JOIN weights w USING (rule, day, currency)
),
own AS (
    SELECT day, currency, provider, team, service,
           CASE WHEN how = 'direct' THEN 'direct' ELSE 'unallocated' END AS basis,
           CAST(NULL AS INTEGER) AS rule,
           CASE WHEN how = 'direct' THEN NULL ELSE how END AS reason, detail, units
    FROM alloc WHERE how <> 'shared'
)
SELECT day, currency, provider, team, service, basis, rule, reason, detail, sum(units) AS units
FROM (SELECT * FROM own UNION ALL SELECT * FROM parts UNION ALL SELECT * FROM orphans)
GROUP BY ALL
HAVING sum(units) <> 0
ORDER BY day, currency, team NULLS LAST, service, provider NULLS LAST, basis, rule, reason, detail
"""

# The last day with any cost row, per provider and currency: one provider's fresh data must not
# hide another's lag (a team is judged by the providers its own costs come from).
FRESHNESS_SQL = """
SELECT provider, currency, max(day) FROM alloc GROUP BY ALL ORDER BY ALL
"""

# Top resources per team (team NULL: the unallocated costs) and overall, over direct costs in the
# digest's currency; a shared cost is split by amount, so it has no resource on a team's list.
RESOURCES_SQL = """
WITH per_resource AS (
    SELECT team, how, resource_id, max(resource_name) AS name,
           arg_max(service, units) AS service, sum(units) AS units
    FROM alloc
    WHERE resource_id IS NOT NULL AND currency = $currency AND day >= $since
    GROUP BY team, how, resource_id
),
teams AS (
    SELECT 'team' AS scope, team, resource_id, name, service, units,
           row_number() OVER (PARTITION BY team ORDER BY units DESC, resource_id) AS position
    FROM per_resource WHERE how <> 'shared'
),
everyone AS (
    SELECT 'overall' AS scope, CAST(NULL AS VARCHAR) AS team, resource_id, max(name) AS name,
           arg_max(service, units) AS service, sum(units) AS units
    FROM per_resource GROUP BY resource_id
),
overall AS (
    SELECT *, row_number() OVER (ORDER BY units DESC, resource_id) AS position FROM everyone
)
SELECT scope, team, resource_id, name, service, units
FROM (SELECT * FROM teams UNION ALL SELECT * FROM overall)
WHERE position <= $top AND units > 0
ORDER BY scope, team NULLS LAST, units DESC, resource_id
"""
