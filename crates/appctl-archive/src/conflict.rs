//! What import does with rows the target already has.

/// What to do with a row whose primary key (or another unique key) exists in the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Stop, roll everything back, and say which table.
    Fail,
    /// Keep the target's row.
    Skip,
    /// Overwrite the target's row with the archive's (by primary key).
    Upsert,
    /// Empty the archived tables first: afterwards they hold exactly the archive's rows.
    Replace,
}
