//! The archive's tables as plain rows, for moving a whole archive between engines
//! (`copy-archive`, issue 17). Both engines have the same tables and columns at the same layout
//! (their migrations are numbered alike), so a row read from one is inserted into the other column
//! for column, its chain fields untouched: the copy's chain is the original's.
//!
//! A table added by a migration is one more entry of [`TABLES`] (after the tables it refers to).

use crate::archive::ArchiveError;

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A 64-bit integer (times in Unix ms, counts, ids).
    Int,
    /// Text.
    Text,
}

/// One value of a row; `None` is SQL NULL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// An integer column's value.
    Int(Option<i64>),
    /// A text column's value.
    Text(Option<String>),
}

/// One table: its name, its columns, and the column it is read in order of (unique; the chain's
/// seq for the records, so that they are inserted in chain order).
#[derive(Clone, Copy, Debug)]
pub struct Table {
    /// The table's name on both engines.
    pub name: &'static str,
    /// The unique column rows are read in order of; its position in `columns`.
    pub key: usize,
    /// Every column copied, with what it holds.
    pub columns: &'static [(&'static str, Kind)],
}

use Kind::{Int, Text};

/// Every table of the archive, in an order that inserts a row after the rows it refers to.
pub const TABLES: &[Table] = &[
    Table {
        name: "records",
        key: 7,
        columns: &[
            ("revisit_id", Text),
            ("policy_number", Text),
            ("outcome", Text),
            ("record_hash", Text),
            ("key_id", Text),
            ("received_at", Int),
            ("sealed_json", Text),
            ("seq", Int),
            ("prev_chain", Text),
            ("chain", Text),
        ],
    },
    Table {
        name: "deliveries",
        key: 0,
        columns: &[
            ("id", Int),
            ("revisit_id", Text),
            ("record_hash", Text),
            ("received_at", Int),
            ("outcome", Text),
        ],
    },
    Table {
        name: "problem_cases",
        key: 0,
        columns: &[
            ("id", Int),
            ("revisit_id", Text),
            ("policy_number", Text),
            ("item_index", Int),
            ("item_id", Text),
            ("comment", Text),
            ("answered_at", Int),
            ("created_at", Int),
        ],
    },
    Table {
        name: "phone_tasks",
        key: 0,
        columns: &[
            ("id", Int),
            ("revisit_id", Text),
            ("policy_number", Text),
            ("reason", Text),
            ("due_by", Int),
            ("created_at", Int),
        ],
    },
    Table {
        name: "terminations",
        key: 0,
        columns: &[
            ("id", Int),
            ("policy_number", Text),
            ("terminated_at", Int),
            ("reported_at", Int),
        ],
    },
    Table {
        name: "sms_outbox",
        key: 0,
        columns: &[
            ("message_id", Int),
            ("revisit_id", Text),
            ("phone", Text),
            ("text", Text),
            ("received_at", Int),
        ],
    },
    Table {
        name: "case_log",
        key: 0,
        columns: &[
            ("id", Int),
            ("seq", Int),
            ("case_id", Text),
            ("case_seq", Int),
            ("event", Text),
            ("at", Int),
            ("actor", Text),
            ("entry_json", Text),
            ("prev_chain", Text),
            ("chain", Text),
        ],
    },
    Table {
        name: "staff",
        key: 0,
        columns: &[
            ("staff_id", Text),
            ("display_name", Text),
            ("role", Text),
            ("seller_code", Text),
            ("password_hash", Text),
            ("created_at", Int),
            ("disabled_at", Int),
        ],
    },
    Table {
        name: "staff_sessions",
        key: 0,
        columns: &[
            ("id_sha256", Text),
            ("staff_id", Text),
            ("csrf_token", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("ended_at", Int),
        ],
    },
    Table {
        name: "staff_log",
        key: 0,
        columns: &[
            ("id", Int),
            ("at", Int),
            ("staff_id", Text),
            ("action", Text),
            ("target", Text),
            ("outcome", Text),
        ],
    },
    Table {
        name: "sample_log",
        key: 0,
        columns: &[
            ("id", Int),
            ("seq", Int),
            ("run_id", Text),
            ("run_seq", Int),
            ("event", Text),
            ("at", Int),
            ("actor", Text),
            ("entry_json", Text),
            ("prev_chain", Text),
            ("chain", Text),
        ],
    },
    // The statistics' facts are derived, but carried as they are: an archive that moves keeps
    // its figures without a back-fill (PostgreSQL has none).
    Table {
        name: "revisit_facts",
        key: 0,
        columns: &[
            ("revisit_id", Text),
            ("period", Text),
            ("region", Text),
            ("channel", Text),
            ("product_type", Text),
            ("outcome", Text),
            ("in_cooling_off", Int),
            ("created_at", Int),
            ("finished_at", Int),
            ("cooling_off_ends_at", Int),
            ("script", Text),
        ],
    },
    Table {
        name: "case_facts",
        key: 0,
        columns: &[
            ("case_id", Text),
            ("revisit_id", Text),
            ("kind", Text),
            ("period", Text),
            ("region", Text),
            ("channel", Text),
            ("product_type", Text),
            ("opened_at", Int),
            ("due_at", Int),
            ("closed_at", Int),
            ("resolution", Text),
        ],
    },
];

impl Table {
    /// The columns, comma-separated.
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The key column's name.
    pub fn key_name(&self) -> &'static str {
        self.columns[self.key].0
    }
}

/// An engine's tables as rows: what `copy-archive` reads from one store and writes to another.
/// Writing only inserts (the append-only triggers stay on).
pub trait Tables {
    /// Up to `limit` rows of `table` whose key is above `after` (all of them from `None`), in key
    /// order.
    fn read_rows(
        &self,
        table: &Table,
        after: Option<&Cell>,
        limit: u32,
    ) -> Result<Vec<Vec<Cell>>, ArchiveError>;

    /// Inserts `rows` into `table`, in one transaction.
    fn write_rows(&self, table: &Table, rows: &[Vec<Cell>]) -> Result<(), ArchiveError>;

    /// How many rows `table` has.
    fn count_rows(&self, table: &Table) -> Result<u64, ArchiveError>;

    /// After the rows were written with their own ids: what the engine needs so that its next
    /// generated id follows them.
    fn rows_written(&self, table: &Table) -> Result<(), ArchiveError>;
}
