//! The archive chain (R4): every archived record gets the next `seq` (1, 2, …) and
//! `chain = hex(SHA-256(prev_chain ‖ record_hash ‖ revisit_id ‖ received_at))`, where `prev_chain`
//! is the chain of the record before it (64 zeros for seq 1) and `received_at` is the RFC 3339 UTC
//! form with milliseconds (`2027-01-15T08:10:00.000Z`). The four fields are concatenated as text;
//! for a verified record they have fixed lengths (64, 64, 16 and 24 characters), so the
//! concatenation is unambiguous. A seal protects each record; the chain protects their set and
//! order: a deleted, inserted, reordered or altered row breaks it at a precise `seq`.
//!
//! [`ChainWalk`] checks a run of links in order; `verify-archive`, `verify-export` and the evidence
//! report all use it.

use huifang_core::Timestamp;
use sha2::{Digest, Sha256};

/// `prev_chain` of seq 1.
pub const GENESIS: &str = huifang_core::trace::GENESIS;

/// The chain value of a record, given the chain of the record before it.
pub fn link(prev_chain: &str, record_hash: &str, revisit_id: &str, received_at: &str) -> String {
    chain_over(prev_chain, &[record_hash, revisit_id, received_at])
}

/// `hex(SHA-256(prev_chain ‖ fields…))`, the fields concatenated as text: every chain of the
/// origin (the archive's records, the case log's entries) links this way.
pub fn chain_over(prev_chain: &str, fields: &[&str]) -> String {
    let mut hash = Sha256::new();
    hash.update(prev_chain.as_bytes());
    for field in fields {
        hash.update(field.as_bytes());
    }
    hex::encode(hash.finalize())
}

/// `received_at` as the chain hashes it.
pub fn chain_time(received_at: Timestamp) -> String {
    received_at.to_rfc3339()
}

/// The chain fields of the record appended after `head` (the last record's seq and chain, `None`
/// in an empty archive): the store keeps them as the domain decides, in the same transaction as
/// the insert, so that concurrent deliveries get distinct, consecutive seq numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextLink {
    /// The next seq.
    pub seq: u64,
    /// The head's chain (the genesis value in an empty archive).
    pub prev_chain: String,
    /// The new record's chain value.
    pub chain: String,
}

/// The next link of the archive chain for a record appended after `head`.
pub fn next_link(
    head: Option<(u64, &str)>,
    record_hash: &str,
    revisit_id: &str,
    received_at: Timestamp,
) -> NextLink {
    let received_at = chain_time(received_at);
    NextLink::after(head, &[record_hash, revisit_id, &received_at])
}

impl NextLink {
    /// The link appended after `head` (`None`: the chain is empty) whose content is `fields`.
    pub fn after(head: Option<(u64, &str)>, fields: &[&str]) -> Self {
        let (seq, prev_chain) = head.map_or((1, GENESIS), |(seq, chain)| (seq + 1, chain));
        Self {
            seq,
            prev_chain: prev_chain.to_string(),
            chain: chain_over(prev_chain, fields),
        }
    }
}

/// One record's chain fields, as stored or exported.
#[derive(Clone, Copy, Debug)]
pub struct Link<'a> {
    /// Its position in the archive, from 1.
    pub seq: u64,
    /// The chain of the record before it.
    pub prev_chain: &'a str,
    /// Its own chain value.
    pub chain: &'a str,
    /// The seal's record hash.
    pub record_hash: &'a str,
    /// The revisit id.
    pub revisit_id: &'a str,
    /// `received_at` in RFC 3339 UTC with milliseconds.
    pub received_at: &'a str,
}

/// Where and how a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// The archive's first record is not seq 1 linked to the genesis value, or a seq 1 is not.
    #[error("seq {seq}: the chain must start at seq 1 with prev_chain = 64 zeros")]
    NotFromGenesis {
        /// The seq found.
        seq: u64,
    },
    /// Seq numbers jump: records are missing (deleted, or left out of an export).
    #[error("seq {seq} follows seq {after}: {missing} record(s) missing (seq {first_missing}..={last_missing})",
        missing = seq - after - 1, first_missing = after + 1, last_missing = seq - 1)]
    Missing {
        /// The seq before the gap.
        after: u64,
        /// The seq after it.
        seq: u64,
    },
    /// A seq not above the one before it: rows moved or repeated.
    #[error("seq {seq} comes after seq {after}: out of order or repeated")]
    OutOfOrder {
        /// The highest seq seen so far.
        after: u64,
        /// The seq found.
        seq: u64,
    },
    /// `prev_chain` differs from the chain of the record before.
    #[error("seq {seq}: its prev_chain is not the chain of seq {previous}")]
    BrokenLink {
        /// The seq found.
        seq: u64,
        /// The seq before it.
        previous: u64,
    },
    /// `chain` differs from the hash of its own fields: a field (or the chain) was changed.
    #[error(
        "seq {seq}: its chain is not SHA-256(prev_chain ‖ record_hash ‖ revisit_id ‖ received_at)"
    )]
    Altered {
        /// The seq found.
        seq: u64,
    },
}

impl ChainBreak {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFromGenesis { .. } => "chain_not_from_genesis",
            Self::Missing { .. } => "chain_missing_records",
            Self::OutOfOrder { .. } => "chain_out_of_order",
            Self::BrokenLink { .. } => "chain_broken_link",
            Self::Altered { .. } => "chain_altered",
        }
    }

    /// The seq at which the chain breaks.
    pub fn seq(&self) -> u64 {
        match self {
            Self::NotFromGenesis { seq }
            | Self::Missing { seq, .. }
            | Self::OutOfOrder { seq, .. }
            | Self::BrokenLink { seq, .. }
            | Self::Altered { seq } => *seq,
        }
    }
}

/// Whether seq numbers may jump (an export of one policy's records) or must be consecutive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gaps {
    /// Every seq follows the one before (the archive, or a contiguous export).
    Refused,
    /// Seq numbers may jump; links are checked where they do not.
    Allowed,
}

/// Checks links one after another.
#[derive(Clone, Debug)]
pub struct ChainWalk {
    from_genesis: bool,
    gaps: Gaps,
    last: Option<(u64, String)>,
    start: Option<(u64, String)>,
}

impl ChainWalk {
    /// A walk over a whole archive: the first link must be seq 1 from the genesis value.
    pub fn from_genesis() -> Self {
        Self {
            from_genesis: true,
            gaps: Gaps::Refused,
            last: None,
            start: None,
        }
    }

    /// A walk over part of an archive: it may start at any seq, from any `prev_chain`.
    pub fn from_anywhere(gaps: Gaps) -> Self {
        Self {
            from_genesis: false,
            gaps,
            last: None,
            start: None,
        }
    }

    /// The first link's seq and `prev_chain`: where this walk joins the archive's chain.
    pub fn start(&self) -> Option<(u64, &str)> {
        self.start.as_ref().map(|(seq, prev)| (*seq, prev.as_str()))
    }

    /// The last link's seq and chain.
    pub fn last(&self) -> Option<(u64, &str)> {
        self.last
            .as_ref()
            .map(|(seq, chain)| (*seq, chain.as_str()))
    }

    /// Checks the next link; every break it shows, in a fixed order.
    pub fn step(&mut self, l: &Link<'_>) -> Vec<ChainBreak> {
        let recomputed = link(l.prev_chain, l.record_hash, l.revisit_id, l.received_at);
        self.step_over(l.seq, l.prev_chain, l.chain, &recomputed)
    }

    /// Checks the next link of any chain: its `seq`, its `prev_chain`, and its `chain` against
    /// `recomputed`, the chain value its stored content gives ([`chain_over`]).
    pub fn step_over(
        &mut self,
        seq: u64,
        prev_chain: &str,
        chain: &str,
        recomputed: &str,
    ) -> Vec<ChainBreak> {
        let mut breaks = Vec::new();
        match &self.last {
            None => {
                self.start = Some((seq, prev_chain.to_string()));
                let must_be_genesis = self.from_genesis || seq == 1;
                if must_be_genesis && (seq != 1 || prev_chain != GENESIS) {
                    breaks.push(ChainBreak::NotFromGenesis { seq });
                }
            }
            Some((after, last_chain)) => {
                let after = *after;
                if seq <= after {
                    breaks.push(ChainBreak::OutOfOrder { after, seq });
                } else if seq == after + 1 {
                    if prev_chain != last_chain {
                        breaks.push(ChainBreak::BrokenLink {
                            seq,
                            previous: after,
                        });
                    }
                } else if self.gaps == Gaps::Refused {
                    breaks.push(ChainBreak::Missing { after, seq });
                } else if seq == 1 && prev_chain != GENESIS {
                    breaks.push(ChainBreak::NotFromGenesis { seq });
                }
            }
        }
        if recomputed != chain {
            breaks.push(ChainBreak::Altered { seq });
        }
        // A link out of order does not move the walk back: the next one is checked against the
        // highest seq seen, so that two swapped rows give two breaks and not a cascade.
        let moves_on = self.last.as_ref().is_none_or(|(after, _)| seq > *after);
        if moves_on {
            self.last = Some((seq, chain.to_string()));
        }
        breaks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Links 1..=n with consistent chains.
    /// seq, prev_chain, chain, record_hash, revisit_id, received_at.
    type Row = (u64, String, String, String, String, String);

    fn links(n: u64) -> Vec<Row> {
        let mut out = Vec::new();
        let mut prev = GENESIS.to_string();
        for seq in 1..=n {
            let hash = format!("{seq:064x}");
            let id = format!("REVISIT{seq:09}");
            let at = chain_time(Timestamp(1_800_000_000_000 + seq * 1_000));
            let chain = link(&prev, &hash, &id, &at);
            out.push((seq, prev.clone(), chain.clone(), hash, id, at));
            prev = chain;
        }
        out
    }

    /// Every break `w` finds stepping through `rows`.
    fn step_all(w: &mut ChainWalk, rows: &[Row]) -> Vec<ChainBreak> {
        rows.iter()
            .flat_map(|(seq, prev, chain, hash, id, at)| {
                w.step(&Link {
                    seq: *seq,
                    prev_chain: prev,
                    chain,
                    record_hash: hash,
                    revisit_id: id,
                    received_at: at,
                })
            })
            .collect()
    }

    fn walk(mut w: ChainWalk, rows: &[Row]) -> Vec<ChainBreak> {
        step_all(&mut w, rows)
    }

    #[test]
    fn the_link_is_sha256_of_the_four_fields_concatenated() {
        // The same value as `printf %s "$prev$hash$id$at" | sha256sum`.
        let expected = hex::encode(Sha256::digest(
            format!(
                "{GENESIS}{}ABCDEFGHIJKLMNOP2027-01-15T08:10:00.000Z",
                "ab".repeat(32)
            )
            .as_bytes(),
        ));
        assert_eq!(
            link(
                GENESIS,
                &"ab".repeat(32),
                "ABCDEFGHIJKLMNOP",
                "2027-01-15T08:10:00.000Z"
            ),
            expected
        );
        assert_eq!(
            chain_time(Timestamp(1_800_000_600_000)),
            "2027-01-15T08:10:00.000Z"
        );
    }

    #[test]
    fn an_intact_chain_walks_clean() {
        let rows = links(5);
        assert_eq!(walk(ChainWalk::from_genesis(), &rows), []);
        let mut w = ChainWalk::from_anywhere(Gaps::Refused);
        assert_eq!(walk_into(&mut w, &rows[2..]), 0);
        assert_eq!(w.start(), Some((3, rows[1].2.as_str())));
        assert_eq!(w.last(), Some((5, rows[4].2.as_str())));
    }

    fn walk_into(w: &mut ChainWalk, rows: &[Row]) -> usize {
        step_all(w, rows).len()
    }

    #[test]
    fn a_deleted_row_is_named_by_the_seq_after_it() {
        let mut rows = links(5);
        rows.remove(2);
        assert_eq!(
            walk(ChainWalk::from_genesis(), &rows),
            [ChainBreak::Missing { after: 2, seq: 4 }]
        );
        assert_eq!(
            ChainBreak::Missing { after: 2, seq: 4 }.to_string(),
            "seq 4 follows seq 2: 1 record(s) missing (seq 3..=3)"
        );
        // Deleting the first row: the chain no longer starts at genesis.
        let rows = links(3);
        assert_eq!(
            walk(ChainWalk::from_genesis(), &rows[1..]),
            [ChainBreak::NotFromGenesis { seq: 2 }]
        );
        // In a sparse export (one policy's records) a jump is expected, not a break.
        let sparse = [rows[0].clone(), rows[2].clone()];
        assert_eq!(walk(ChainWalk::from_anywhere(Gaps::Allowed), &sparse), []);
    }

    #[test]
    fn swapped_rows_give_two_precise_breaks() {
        let mut rows = links(5);
        rows.swap(2, 3);
        assert_eq!(
            walk(ChainWalk::from_genesis(), &rows),
            [
                ChainBreak::Missing { after: 2, seq: 4 },
                ChainBreak::OutOfOrder { after: 4, seq: 3 }
            ]
        );
    }

    #[test]
    fn renumbered_rows_break_the_links() {
        // Rows 2 and 3 trade places and seq numbers: the seq order looks intact, the links do not.
        let mut rows = links(4);
        rows.swap(1, 2);
        rows[1].0 = 2;
        rows[2].0 = 3;
        let breaks = walk(ChainWalk::from_genesis(), &rows);
        assert_eq!(
            breaks.first(),
            Some(&ChainBreak::BrokenLink {
                seq: 2,
                previous: 1
            })
        );
    }

    #[test]
    fn a_changed_field_or_chain_is_altered_and_a_rehash_breaks_the_next_link() {
        let mut rows = links(4);
        rows[1].5 = chain_time(Timestamp(1_900_000_000_000));
        assert_eq!(
            walk(ChainWalk::from_genesis(), &rows),
            [ChainBreak::Altered { seq: 2 }]
        );
        rows[1].2 = link(&rows[1].1, &rows[1].3, &rows[1].4, &rows[1].5);
        assert_eq!(
            walk(ChainWalk::from_genesis(), &rows),
            [ChainBreak::BrokenLink {
                seq: 3,
                previous: 2
            }]
        );
    }
}
