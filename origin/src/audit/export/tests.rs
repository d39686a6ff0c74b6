//! An export round trip: written from an archive, then verified, whole or with a line changed.

use super::format::{json_line, ChainHead, ExportRecord, ExportTrailer, EXPORT_FORMAT};
use super::verify::{verify_export, ExportProblem, ExportReport};
use super::write::{export_to, ExportOptions};
use crate::archive::chain::GENESIS;
use crate::archive::sqlite::SqliteArchive;
use crate::archive::{Archive, Archived, NewRecord};
use crate::archive::{RowCursor, RowFilter};
use huifang_core::fixtures::{finished_session, T0};
use huifang_core::record::Record;
use huifang_core::record::RecordError;
use huifang_core::session::AnswerKind;
use huifang_core::signing::TrustedKeys;
use huifang_core::signing::{EdgeKey, SignatureError};
use huifang_core::PolicyNumber;
use huifang_core::RevisitId;
use indicatif::ProgressBar;
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn key(kid: &str, byte: &str) -> EdgeKey {
    EdgeKey::from_seed_hex(kid, &byte.repeat(32)).unwrap()
}

fn edge() -> EdgeKey {
    key("edge-1", "2a")
}

fn key_entry(k: &EdgeKey) -> String {
    format!("{}={}", k.key_id, k.public_key_hex())
}

/// An archive in a fresh folder with records for policies P1 (ids 1, 3, 5) and P2 (2, 4),
/// received a minute apart; `stranger` seals id 3 with another key.
fn archive(name: &str, stranger: bool) -> (SqliteArchive, PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "huifang-origin-export-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let archive = SqliteArchive::open(&dir.join("archive.sqlite3")).unwrap();
    for i in 1u8..=5 {
        let session = finished_session(
            RevisitId::from_random([i; 12]),
            &[AnswerKind::Yes, AnswerKind::No, AnswerKind::Yes],
        );
        let mut record = Record::of(&session, "test").unwrap();
        if i % 2 == 0 {
            record.policy_number = PolicyNumber::parse("P20260002").unwrap();
        }
        let sealer = if stranger && i == 3 {
            key("edge-0", "01")
        } else {
            edge()
        };
        let sealed = record.seal(&sealer);
        let entry = NewRecord::of(&sealed, T0.plus_millis(u64::from(i) * 60_000)).unwrap();
        assert_eq!(archive.archive_record(&entry).unwrap(), Archived::Inserted);
    }
    (archive, dir)
}

fn options(policy: Option<&str>, from: Option<u64>, to: Option<u64>) -> ExportOptions {
    let minute = |m: u64| T0.plus_millis(m * 60_000);
    ExportOptions {
        db: crate::archive::Db::Sqlite(PathBuf::new()),
        out: PathBuf::from("test.jsonl"),
        edge_keys: vec![key_entry(&edge())],
        policy_number: policy.map(|p| PolicyNumber::parse(p).unwrap()),
        from: from.map(minute),
        to: to.map(minute),
    }
}

fn export(archive: &SqliteArchive, options: &ExportOptions) -> Vec<u8> {
    let mut out = Vec::new();
    export_to(
        archive,
        options,
        T0.plus_millis(3_600_000),
        &mut out,
        &ProgressBar::hidden(),
    )
    .unwrap();
    out
}

fn verify(bytes: &[u8]) -> ExportReport {
    verify_export(bytes, None, &ProgressBar::hidden()).unwrap()
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn join(lines: &[String]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| format!("{l}\n").into_bytes())
        .collect()
}

fn codes(report: &ExportReport) -> Vec<(usize, &'static str)> {
    report
        .failures
        .iter()
        .map(|f| (f.line, f.problem.code()))
        .collect()
}

#[test]
fn a_clean_export_verifies_from_genesis_to_the_head() {
    let (archive, dir) = archive("clean", false);
    let bytes = export(&archive, &options(None, None, None));
    let report = verify(&bytes);
    assert_eq!(report.failures, []);
    assert_eq!(report.records, 5);
    assert_eq!(report.starts_from, Some((1, GENESIS.to_string())));
    let head = archive.head().unwrap().unwrap();
    assert_eq!(report.ends_at, Some(head.clone()));
    let header = report.header.unwrap();
    assert_eq!(
        header.archive_head,
        Some(ChainHead {
            seq: head.0,
            chain: head.1
        })
    );
    assert_eq!(header.edge_keys, [key_entry(&edge())]);
    assert!(header.contiguous);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_policy_export_is_sparse_and_a_time_export_is_a_contiguous_run() {
    let (archive, dir) = archive("subsets", false);
    let policy = verify(&export(&archive, &options(Some("P20260001"), None, None)));
    assert_eq!(policy.failures, []);
    assert_eq!(policy.records, 3);
    assert!(!policy.header.unwrap().contiguous);
    // It joins the chain after seq 0 (genesis); seq 3 and 5 are linked to records not in it.
    assert_eq!(policy.starts_from, Some((1, GENESIS.to_string())));

    let window = verify(&export(&archive, &options(None, Some(2), Some(4))));
    assert_eq!(window.failures, []);
    assert_eq!(window.records, 2);
    let rows = archive
        .rows(&RowFilter::default(), RowCursor::default(), 10)
        .unwrap();
    // It starts from the chain of seq 1, which is not in it.
    assert_eq!(window.starts_from, Some((2, rows[0].chain.clone())));
    assert_eq!(window.ends_at, Some((3, rows[2].chain.clone())));

    let nothing = verify(&export(&archive, &options(None, Some(50), None)));
    assert_eq!((nothing.records, nothing.failures.len()), (0, 0));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_dropped_line_is_named_with_the_missing_seq() {
    let (archive, dir) = archive("dropped", false);
    let mut l = lines(&export(&archive, &options(None, None, None)));
    l.remove(3); // seq 3
    let report = verify(&join(&l));
    assert_eq!(
        codes(&report),
        [
            (4, "chain_missing_records"),
            (6, "bad_trailer"),
            (6, "bad_trailer")
        ]
    );
    assert_eq!(
        report.failures[0].to_string(),
        format!(
            "line 4 (seq 4, revisit_id {}): chain_missing_records: seq 4 follows seq 2: 1 \
             record(s) missing (seq 3..=3)",
            RevisitId::from_random([4; 12])
        )
    );
    assert!(report.failures[1]
        .to_string()
        .contains("counts 5 records, the file holds 4"));

    // Dropping the last record: the chain is intact, the trailer is not.
    let mut l = lines(&export(&archive, &options(None, None, None)));
    l.remove(5);
    let report = verify(&join(&l));
    assert_eq!(codes(&report), [(6, "bad_trailer"), (6, "bad_trailer")]);

    // Dropping the trailer: truncated.
    let mut l = lines(&export(&archive, &options(None, None, None)));
    l.pop();
    let report = verify(&join(&l));
    assert_eq!(codes(&report), [(7, "bad_trailer")]);
    assert!(report.failures[0].to_string().contains("truncated"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_swapped_pair_of_lines_is_named() {
    let (archive, dir) = archive("swapped", false);
    let mut l = lines(&export(&archive, &options(None, None, None)));
    l.swap(2, 3); // seq 2 and seq 3
    let report = verify(&join(&l));
    assert_eq!(
        codes(&report),
        [
            (3, "chain_missing_records"),
            (4, "chain_out_of_order"),
            (7, "bad_trailer")
        ]
    );
    assert!(report.failures[1]
        .to_string()
        .contains("(seq 2, revisit_id "));
    assert!(report.failures[1]
        .to_string()
        .ends_with("chain_out_of_order: seq 2 comes after seq 3: out of order or repeated"));
    // In a sparse export too.
    let mut l = lines(&export(&archive, &options(Some("P20260001"), None, None)));
    l.swap(1, 2);
    let report = verify(&join(&l));
    assert_eq!(
        codes(&report),
        [(3, "chain_out_of_order"), (5, "bad_trailer")]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_record_sealed_by_an_unknown_key_is_named() {
    let (archive, dir) = archive("stranger", true);
    let bytes = export(&archive, &options(None, None, None));
    let report = verify(&bytes);
    assert_eq!(codes(&report), [(4, "unknown_key")]);
    assert_eq!(
        report.failures[0].problem,
        ExportProblem::Seal(RecordError::Seal(SignatureError::UnknownKey))
    );
    // An auditor holding both keys sees it verify.
    let both = TrustedKeys::parse(&format!(
        "{},{}",
        key_entry(&edge()),
        key_entry(&key("edge-0", "01"))
    ))
    .unwrap();
    assert_eq!(
        verify_export(&bytes[..], Some(&both), &ProgressBar::hidden())
            .unwrap()
            .failures,
        []
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_changed_item_text_is_named_by_the_seal_and_the_checksum() {
    let (archive, dir) = archive("changed", false);
    let bytes = export(&archive, &options(None, None, None));
    let text = String::from_utf8(bytes).unwrap();
    let changed = text.replacen("请完整阅读", "请完整閲读", 1);
    let report = verify(changed.as_bytes());
    assert_eq!(
        codes(&report),
        [(2, "record_hash_mismatch"), (7, "bad_trailer")]
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_bad_header_or_an_empty_file_is_reported() {
    assert_eq!(codes(&verify(b"")), [(1, "bad_header")]);
    let report = verify(b"{\"format\":\"something-else\"}\n");
    assert_eq!(codes(&report), [(1, "bad_header"), (2, "bad_trailer")]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// R4: any single-byte change anywhere in an export fails verification; in a record line
    /// it is named by that record's own checks (seal, trace, chain or parsing) unless it only
    /// changes the case of a signature's hex digits, which leaves the signature the same.
    #[test]
    fn any_single_byte_change_is_detected(pos in any::<proptest::sample::Index>(), byte in any::<u8>()) {
        let (bytes, starts) = sample_export();
        let i = pos.index(bytes.len());
        prop_assume!(bytes[i] != byte);
        let mut changed = bytes.clone();
        changed[i] = byte;
        let report = verify(&changed);
        prop_assert!(!report.failures.is_empty(), "undetected change at byte {i}");
        // Which line the byte is on (1-based), and whether it is a record line.
        let line = starts.iter().take_while(|s| **s <= i).count();
        let record_lines = 2..starts.len() - 1;
        if record_lines.contains(&line) && byte != b'\n' && bytes[i] != b'\n' {
            let named = report.failures.iter().any(|f| {
                (f.line == line || f.line == line + 1) && f.problem.code() != "bad_trailer"
            });
            let original: ExportRecord = serde_json::from_slice(
                &bytes[starts[line - 1]..starts[line] - 1]).unwrap();
            let case_only = serde_json::from_slice::<ExportRecord>(
                &changed[starts[line - 1]..starts[line] - 1])
                .map(|mut r| {
                    r.sealed.seal.signature = r.sealed.seal.signature.to_ascii_lowercase();
                    r == original
                })
                .unwrap_or(false);
            prop_assert!(named || case_only, "change at byte {i} (line {line}) not named: {:?}", report.failures);
        }
    }
}

/// One export of three records, made once, and the offset where each line starts.
fn sample_export() -> (Vec<u8>, Vec<usize>) {
    static SAMPLE: std::sync::OnceLock<(Vec<u8>, Vec<usize>)> = std::sync::OnceLock::new();
    SAMPLE
        .get_or_init(|| {
            let (archive, dir) = archive("proptest", false);
            let mut bytes = export(&archive, &options(None, None, None));
            let _ = std::fs::remove_dir_all(dir);
            // Three records keep each case fast; the header, chain and trailer stay whole.
            let l = lines(&bytes);
            let kept: Vec<String> = l[..4].to_vec();
            bytes = join(&kept);
            // Recompute the trailer for the shortened file.
            let trailer = ExportTrailer {
                end: EXPORT_FORMAT.into(),
                records: 3,
                sha256: hex::encode(Sha256::digest(&bytes)),
            };
            bytes.extend(format!("{}\n", json_line(&trailer)).into_bytes());
            let mut starts = vec![0];
            starts.extend(
                bytes
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'\n')
                    .map(|(i, _)| i + 1)
                    .filter(|i| *i < bytes.len()),
            );
            starts.push(bytes.len() + 1);
            (bytes, starts)
        })
        .clone()
}

// Issue 19: the seals are checked by workers a batch at a time, while the reader keeps the chain;
// an altered byte in a later batch is still named at its exact line, in file order, and the
// archive's own check names the same records by seq (R4).
#[test]
fn altered_records_far_apart_are_named_exactly_when_checked_in_parallel() {
    let dir =
        std::env::temp_dir().join(format!("huifang-origin-export-wide-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let built = crate::dev::archive::ArchiveOptions {
        db: dir.join("archive.sqlite3"),
        records: 600,
        threads: 2,
    };
    crate::dev::archive::build(&built).unwrap();
    let archive = SqliteArchive::open(&built.db).unwrap();
    let keys = crate::dev::bench::bench_key_list().unwrap();
    let opts = ExportOptions {
        edge_keys: vec![keys.clone()],
        ..options(None, None, None)
    };
    let mut text = lines(&export(&archive, &opts));
    assert!(verify(format!("{}\n", text.join("\n")).as_bytes())
        .failures
        .is_empty());
    // Lines 400 and 523 (records seq 399 and 522): one character of an item's text each.
    for n in [400usize, 523] {
        let line = &mut text[n - 1];
        let changed = line.replacen("保险", "保除", 1);
        assert_ne!(&changed, line);
        *line = changed;
    }
    let report = verify(format!("{}\n", text.join("\n")).as_bytes());
    let named: Vec<(usize, &'static str)> = report
        .failures
        .iter()
        .map(|f| (f.line, f.problem.code()))
        .collect();
    assert_eq!(
        named,
        [
            (400, "record_hash_mismatch"),
            (523, "record_hash_mismatch"),
            // And the trailer's digest of the file.
            (602, "bad_trailer")
        ],
        "{:?}",
        report.failures
    );

    // The same change in the archive itself, found by verify-archive's workers.
    let conn = rusqlite::Connection::open(&built.db).unwrap();
    conn.execute_batch("DROP TRIGGER records_no_update;")
        .unwrap();
    for seq in [399, 522] {
        conn.execute(
            "UPDATE records SET sealed_json = replace(sealed_json, '保险', '保除') WHERE seq = ?1",
            [seq],
        )
        .unwrap();
    }
    let trusted = TrustedKeys::parse(&keys).unwrap();
    let checked = crate::audit::verify_archive::verify_archive(&archive, &trusted, 3).unwrap();
    let seqs: Vec<(u64, &'static str)> = checked
        .failures
        .iter()
        .map(|f| (f.seq, f.problem.code()))
        .collect();
    assert_eq!(
        seqs,
        [(399, "record_hash_mismatch"), (522, "record_hash_mismatch")]
    );
    assert_eq!(checked.records, 600);
    let _ = std::fs::remove_dir_all(&dir);
}
