//! The insurer's ongoing statistics (R14, R15; issue 14, item 4): per month, region, channel and
//! product type, counted by the store from the statistics' facts and turned into the regulator's
//! figures by the core (`huifang_core::statistics`). Shown in the console with charts drawn on the
//! server ([`page`], [`chart`]), exported as CSV and as an XLSX workbook laid out like a
//! regulator's periodic table ([`export`]).

pub mod chart;
pub mod export;
pub mod first_use;
pub mod page;

use crate::archive::ArchiveError;
use huifang_core::statistics::{roll_up, tabulate, CaseCount, Figures, GroupKey, RevisitCount};
use huifang_core::Timestamp;
use std::collections::BTreeMap;

/// The counts the statistics read, by revisit period (`YYYY-MM`, inclusive range).
pub trait StatsStore: Send + Sync {
    fn revisit_counts(&self, from: &str, to: &str) -> Result<Vec<RevisitCount>, ArchiveError>;
    fn case_counts(
        &self,
        from: &str,
        to: &str,
        now: Timestamp,
    ) -> Result<Vec<CaseCount>, ArchiveError>;
    fn finding_counts(&self, from: &str, to: &str) -> Result<Vec<(GroupKey, u64)>, ArchiveError>;
    /// When the first revisit archived was created, if any (the first use, R15).
    fn first_revisit(&self) -> Result<Option<Timestamp>, ArchiveError>;
    /// The regions and channels seen, with their counts (the first-use report).
    fn seen(&self) -> Result<Seen, ArchiveError>;
}

/// What the archive has seen: regions, channels and product types with their revisit counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    pub regions: Vec<(String, u64)>,
    pub channels: Vec<(String, u64)>,
    pub product_types: Vec<(String, u64)>,
    /// The scripts shown, as `id version hash`.
    pub scripts: Vec<(String, u64)>,
}

/// A year's statistics: the figures per group, and their roll-ups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statistics {
    pub year: i32,
    pub groups: BTreeMap<GroupKey, Figures>,
}

impl Statistics {
    /// Per month (`YYYY-MM`), each of the twelve present even when empty.
    pub fn by_month(&self) -> Vec<(String, Figures)> {
        let rolled = roll_up(&self.groups, |k| k.period.clone());
        (1..=12)
            .map(|m| {
                let p = format!("{}-{m:02}", self.year);
                let f = rolled.get(&p).cloned().unwrap_or_default();
                (p, f)
            })
            .collect()
    }

    pub fn by(&self, key: impl Fn(&GroupKey) -> String) -> BTreeMap<String, Figures> {
        roll_up(&self.groups, key)
    }

    pub fn total(&self) -> Figures {
        let mut t = Figures::default();
        for f in self.groups.values() {
            t.add(f);
        }
        t
    }
}

/// The statistics of the revisits issued in `year` (Beijing months), as they stand at `now`.
pub fn statistics(
    store: &dyn StatsStore,
    year: i32,
    now: Timestamp,
) -> Result<Statistics, ArchiveError> {
    let (from, to) = (format!("{year}-01"), format!("{year}-12"));
    let revisits = store.revisit_counts(&from, &to)?;
    let cases = store.case_counts(&from, &to, now)?;
    let findings = store.finding_counts(&from, &to)?;
    Ok(Statistics {
        year,
        groups: tabulate(&revisits, &cases, &findings),
    })
}
