//! Multi-row statements: one statement per batch instead of one per row (SQLite has a single
//! writer, and every statement holds it).
//!
//! On SQLite the placeholders are anonymous `?`: for numbered ones sqlx looks each name up with
//! `sqlite3_bind_parameter_name`, a linear scan, so binding n parameters costs n² — 16 % of the
//! server's time in `chorus bench survey` before this. PostgreSQL takes `$1…$n`.

use std::borrow::Cow;

/// SQLite statements write a power of two of rows (at most 2^10): eleven shapes per statement,
/// each prepared once and then reused from sqlx's statement cache, where a statement per batch
/// size would be parsed anew for almost every batch and push other statements out.
const MAX_ROWS_LOG2: u32 = 10;

/// The `rows`-row shapes of one multi-row statement: `head`, then `values` repeated (comma
/// separated), then `tail`. Built on first use.
pub(crate) struct Shapes {
    head: &'static str,
    values: &'static str,
    tail: &'static str,
    built: std::sync::OnceLock<Vec<String>>,
}

impl Shapes {
    pub(crate) const fn new(head: &'static str, values: &'static str, tail: &'static str) -> Self {
        Self { head, values, tail, built: std::sync::OnceLock::new() }
    }

    /// The largest shape that `left` rows fill, and its row count.
    pub(crate) fn next(&self, left: usize) -> (&str, usize) {
        let log2 = left.ilog2().min(MAX_ROWS_LOG2);
        let shapes = self.built.get_or_init(|| {
            (0..=MAX_ROWS_LOG2)
                .map(|log2| {
                    let rows = 1usize << log2;
                    let mut sql = String::with_capacity(
                        self.head.len() + self.tail.len() + rows * (self.values.len() + 1),
                    );
                    sql.push_str(self.head);
                    sql.push_str(self.values);
                    for _ in 1..rows {
                        sql.push(',');
                        sql.push_str(self.values);
                    }
                    sql.push_str(self.tail);
                    sql
                })
                .collect()
        });
        (&shapes[log2 as usize], 1 << log2)
    }
}

/// Rows per PostgreSQL statement: at most 8 values a row, well under its 65,535 parameters.
const PG_ROWS: usize = 500;

impl Shapes {
    /// The next statement for `left` rows on either backend, and how many rows it takes.
    pub(crate) fn statement(&self, postgres: bool, left: usize) -> (Cow<'_, str>, usize) {
        if !postgres {
            let (sql, rows) = self.next(left);
            return (Cow::Borrowed(sql), rows);
        }
        let rows = left.min(PG_ROWS);
        let cols = self.values.matches('?').count();
        let mut sql = String::with_capacity(self.head.len() + self.tail.len() + rows * cols * 5);
        sql.push_str(self.head);
        for r in 0..rows {
            if r > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..cols {
                if c > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("${}", r * cols + c + 1));
            }
            sql.push(')');
        }
        sql.push_str(self.tail);
        (Cow::Owned(sql), rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_take_powers_of_two_on_sqlite_and_numbered_chunks_on_postgres() {
        static S: Shapes = Shapes::new("insert into t (a, b) values ", "(?,?)", " on conflict do nothing");
        let (sql, rows) = S.statement(false, 5);
        assert_eq!(
            (sql.as_ref(), rows),
            ("insert into t (a, b) values (?,?),(?,?),(?,?),(?,?) on conflict do nothing", 4)
        );
        let (sql, rows) = S.statement(true, 2);
        assert_eq!(
            (sql.as_ref(), rows),
            ("insert into t (a, b) values ($1,$2),($3,$4) on conflict do nothing", 2)
        );
        assert_eq!(S.statement(true, 10_000).1, PG_ROWS);
        assert_eq!(S.statement(false, 10_000).1, 1024);
    }
}
