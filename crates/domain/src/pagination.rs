//! Cursor pagination: `{"items": [...], "next_cursor": "…" | null}` everywhere.

/// A page size the caller asked for, clamped to what the server is willing to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u32);

impl Limit {
    pub const DEFAULT: u32 = 50;
    pub const MAX: u32 = 200;

    pub fn new(requested: Option<u32>) -> Self {
        Self(requested.unwrap_or(Self::DEFAULT).clamp(1, Self::MAX))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for Limit {
    fn default() -> Self {
        Self::new(None)
    }
}

/// One page of results and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, C> {
    pub items: Vec<T>,
    pub next_cursor: Option<C>,
}

impl<T, C> Page<T, C> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only proves there is more.
    pub fn from_overfetch(mut rows: Vec<T>, limit: Limit, cursor_of: impl Fn(&T) -> C) -> Self {
        let limit = limit.get() as usize;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(cursor_of)
        } else {
            None
        };
        Self { items: rows, next_cursor }
    }
}

/// Where a page sorted by (key, id) stops: the key is a time in ms or a count. Written as
/// `key~id` in `next_cursor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub key: i64,
    pub id: uuid::Uuid,
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}~{}", self.key, self.id)
    }
}

impl std::str::FromStr for Cursor {
    type Err = crate::Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || crate::Invalid::new("cursor", "is not a cursor from a previous page");
        let (key, id) = s.split_once('~').ok_or_else(bad)?;
        Ok(Cursor { key: key.parse().map_err(|_| bad())?, id: id.parse().map_err(|_| bad())? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_clamped() {
        assert_eq!(Limit::new(None).get(), 50);
        assert_eq!(Limit::new(Some(0)).get(), 1);
        assert_eq!(Limit::new(Some(10_000)).get(), 200);
    }

    #[test]
    fn overfetch_sets_the_cursor_only_when_more_rows_exist() {
        let page = Page::from_overfetch(vec![1, 2, 3], Limit::new(Some(2)), |n| *n);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next_cursor, Some(2));
        let last = Page::from_overfetch(vec![1, 2], Limit::new(Some(2)), |n| *n);
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor { key: -5, id: uuid::Uuid::now_v7() };
        assert_eq!(c.to_string().parse::<Cursor>(), Ok(c));
        assert!("12".parse::<Cursor>().is_err());
        assert!("x~y".parse::<Cursor>().is_err());
    }
}
