// Generated events in SQL (bench:collector part 2, bench/collector-reads.mjs): N rows inserted
// into `events` by one statement per slice, from the row number x — 20k users (3 days each),
// 60k folders, 300 days back from today, two extension versions, codes of varied rarity.
import { COLUMNS } from "../../packages/collector/dist/db/columns.js";

function hexExpr(dialect, expr, width) {
  return dialect === "sqlite" ? `printf('%0${width}x', ${expr})` : `lpad(to_hex(${expr}), ${width}, '0')`;
}

/** A SELECT expression for each stored column, from the generated row number x. */
function generatedColumns(dialect) {
  let codeIndex = 0;
  return COLUMNS.map((c) => {
    const name = c.name;
    if (name === "distinct_id") return hexExpr(dialect, "(x * 7919) % 20000", 64);
    if (name === "workspace_folder") return hexExpr(dialect, "1000000 + (x * 104729) % 60000", 64);
    if (name === "insert_id") return hexExpr(dialect, "x", 32);
    if (name === "schema_version") return "1";
    if (name.endsWith("_count") && /^(parseerror|validationerror|validationwarning|operationalerror)_/.test(name)) {
      const i = codeIndex++;
      return `CASE WHEN (x * ${i + 7}) % ${11 + i * 5} = 0 THEN 1 + x % ${1 + (i % 4)} ELSE 0 END`;
    }
    if (name === "lsp_file_extensions") return `CASE WHEN x % 10 = 0 THEN 'pol,polar' ELSE 'polar' END`;
    if (name === "os") return `CASE x % 3 WHEN 0 THEN 'linux' WHEN 1 THEN 'darwin' ELSE 'win32' END`;
    if (name === "vscodeversion")
      return `CASE x % 4 WHEN 0 THEN '1.100.3' WHEN 1 THEN '1.99.1' WHEN 2 THEN '1.98.0' ELSE '1.101.0' END`;
    if (name === "extversion") return `CASE x % 2 WHEN 0 THEN '0.27.3' ELSE '0.28.0' END`;
    if (name === "isnewappinstall") return `CASE WHEN x % 50 = 0 THEN 1 ELSE 0 END`;
    if (c.sqlType === "text") return `'${c.property.value.example ?? "x"}'`;
    if (name === "polar_chars") return `(x * 31) % 50000`;
    return `(x % 7)`;
  });
}

/** Inserts generated rows number `from` to `to` (inclusive) into `events`. */
export async function fill(store, from, to) {
  const d = store.db.dialect.name;
  const cols = COLUMNS.map((c) => c.name).join(", ");
  const exprs = generatedColumns(d).join(", ");
  // Random ids, like ingest's (nothing stored orders events by arrival).
  const id = d === "sqlite" ? "lower(hex(randomblob(16)))" : "replace(gen_random_uuid()::text, '-', '')";
  const day =
    d === "sqlite"
      ? `date('now', '-' || (x % 300) || ' days')`
      : `to_char(current_date - (x % 300)::int, 'YYYY-MM-DD')`;
  const source =
    d === "sqlite"
      ? `WITH RECURSIVE g(x) AS (SELECT ${from} UNION ALL SELECT x + 1 FROM g WHERE x < ${to}) SELECT ${id}, ${day}, ${exprs} FROM g`
      : `SELECT ${id}, ${day}, ${exprs} FROM generate_series(${from}::bigint, ${to}::bigint) AS g(x)`;
  await store.db.transaction((tx) => tx.run(`INSERT INTO events (id, day, ${cols}) ${source}`));
}
