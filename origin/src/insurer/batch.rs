//! `huifang-origin batch`: plays the insurer's policy system. Reads a CSV of new policies, checks
//! every row with the core's parsers, creates a revisit at the edge of each good row's region
//! (signed, a bounded number in flight) and prints its link; each bad row, whether refused here or
//! by the edge, is reported by line with the field and the reason, and the good rows still go.

use crate::insurer::client::{secret_from, EdgeUrl, InsurerClient, Transport};
use crate::progress::Quiet;
use huifang_core::domain::PersonName;
use huifang_core::script::ProductKind;
use huifang_core::wire::{CreateRevisit, Policyholder, RevisitCreated};
use huifang_core::{IdNumber, Phone, PolicyNumber, RevisitId, Timestamp};
use indicatif::ProgressBar;
use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The CSV's header, in this order (optionally followed by [`SALE_COLUMNS`]).
pub const COLUMNS: [&str; 8] = [
    "policy_number",
    "product",
    "product_kinds",
    "policyholder_name",
    "phone",
    "id_number",
    "cooling_off_ends_at",
    "region",
];

/// How the policy was sold (R12: the seller never works their own case), sealed into the record:
/// two optional last columns, both or neither; an empty cell is "not given".
pub const SALE_COLUMNS: [&str; 2] = ["channel", "seller_code"];

/// Requests in flight at once, by default.
pub const DEFAULT_CONCURRENCY: usize = 8;

const KINDS: &str = "regular_premium, participating, universal, investment_linked, bank_savings";

/// A bad row: `line N: field: reason`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The line in the file, from 1 (the header).
    pub line: usize,
    /// A column name, `row` for the row as a whole, or `edge` for the edge's refusal.
    pub field: String,
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.reason)
    }
}

fn problem(line: usize, field: &str, reason: impl Into<String>) -> Problem {
    Problem {
        line,
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// A good row, ready to send.
#[derive(Clone, Debug)]
pub struct Row {
    pub line: usize,
    pub region: String,
    pub request: CreateRevisit,
}

/// Where each region's edge is: one edge for every region, or one per named region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edges {
    All(EdgeUrl),
    ByRegion(Vec<(String, EdgeUrl)>),
}

impl Edges {
    /// `http://edge` or `beijing=http://…,shanghai=http://…`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let entries: Vec<&str> = spec
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        match entries.as_slice() {
            [one] if named(one).is_none() => EdgeUrl::parse(one)
                .map(Self::All)
                .map_err(|e| e.to_string()),
            [] => Err("--edge needs a URL or region=URL[,region=URL…]".into()),
            _ => {
                let mut out: Vec<(String, EdgeUrl)> = Vec::new();
                for e in entries {
                    let (region, url) = named(e).ok_or_else(|| {
                        format!("--edge {e:?}: with several edges, each must be region=URL")
                    })?;
                    if out.iter().any(|(r, _)| r == region) {
                        return Err(format!("--edge names region {region:?} twice"));
                    }
                    out.push((
                        region.to_string(),
                        EdgeUrl::parse(url).map_err(|e| e.to_string())?,
                    ));
                }
                Ok(Self::ByRegion(out))
            }
        }
    }

    /// The edge serving `region`, if any.
    pub fn for_region(&self, region: &str) -> Option<&EdgeUrl> {
        match self {
            Self::All(edge) => Some(edge),
            Self::ByRegion(list) => list.iter().find(|(r, _)| r == region).map(|(_, e)| e),
        }
    }

    /// Every edge named.
    pub fn urls(&self) -> Vec<&EdgeUrl> {
        match self {
            Self::All(edge) => vec![edge],
            Self::ByRegion(list) => list.iter().map(|(_, e)| e).collect(),
        }
    }

    fn names(&self) -> String {
        match self {
            Self::All(_) => String::new(),
            Self::ByRegion(list) => list
                .iter()
                .map(|(r, _)| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// `region=URL`, or `None` for a bare URL.
fn named(entry: &str) -> Option<(&str, &str)> {
    entry
        .split_once('=')
        .filter(|(region, _)| !region.is_empty() && !region.contains([':', '/']))
}

/// Why a record's raw text is not RFC 4180, which the csv crate reads leniently: a quote inside an
/// unquoted field, text after a closing quote, or a quoted field never closed. Each field of
/// `fields` (as read) must appear in `raw` (the record's text) either as is or quoted, with `""`
/// for each quote, and the fields separated by commas.
fn strict_quoting(raw: &str, fields: &csv::StringRecord) -> Result<(), &'static str> {
    let mut rest = raw;
    for (i, value) in fields.iter().enumerate() {
        if i > 0 {
            rest = rest.strip_prefix(',').ok_or("text after a closing quote")?;
        }
        let quoted = format!("\"{}\"", value.replace('"', "\"\""));
        rest = if let Some(after) = rest.strip_prefix(quoted.as_str()) {
            after
        } else if !rest.starts_with('"') {
            match rest.strip_prefix(value) {
                Some(after) if !value.contains('"') => after,
                _ => return Err("a quote inside a field that is not quoted"),
            }
        } else if rest.matches('"').count() % 2 == 1 {
            return Err("a quoted field is not closed before the end of the file");
        } else {
            return Err("text after a closing quote");
        };
    }
    if rest.is_empty() {
        Ok(())
    } else {
        Err("text after a closing quote")
    }
}

/// One record of the file as the csv crate read it.
struct CsvRecord {
    /// The line it starts on, from 1.
    line: usize,
    /// Its text, without the line end.
    raw: String,
    /// Its fields, or why its quoting is not RFC 4180.
    fields: Result<Vec<String>, &'static str>,
}

/// Every record of `text` (the csv crate skips empty lines).
fn csv_records(text: &str) -> Vec<CsvRecord> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let as_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let mut records = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let start = reader.position().clone();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let end = as_usize(reader.position().byte()).min(text.len());
                let from = as_usize(start.byte()).min(end);
                let with_blanks = text.get(from..end).unwrap_or_default();
                // The record starts after any empty lines the reader skipped on its way to it.
                let raw = with_blanks.trim_start_matches(['\r', '\n']);
                let skipped = &with_blanks[..with_blanks.len() - raw.len()];
                let raw = raw.trim_end_matches(['\r', '\n']);
                records.push(CsvRecord {
                    line: as_usize(start.line()) + skipped.matches('\n').count(),
                    raw: raw.to_string(),
                    fields: strict_quoting(raw, &record)
                        .map(|()| record.iter().map(str::to_string).collect()),
                });
            }
            // Only invalid UTF-8 fails here, and the text is a `str`: stop rather than loop.
            Err(_) => break,
        }
    }
    records
}

/// Every row of `text` (RFC 4180: quoted fields may hold commas, quotes and line breaks; CRLF or LF;
/// a UTF-8 BOM is skipped), checked: the good ones ready to send, one problem per bad field, each
/// at the line its row starts on. `Err` when the header is not [`COLUMNS`].
pub fn parse_csv(
    text: &str,
    edges: &Edges,
    now: Timestamp,
) -> Result<(Vec<Row>, Vec<Problem>), Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = csv_records(text).into_iter();
    let (header_raw, header) = match records.next() {
        Some(r) => (r.raw, r.fields.unwrap_or_default()),
        None => (String::new(), Vec::new()),
    };
    let got: Vec<&str> = header.iter().map(|h| h.trim()).collect();
    let with_sale: Vec<&str> = COLUMNS.iter().chain(&SALE_COLUMNS).copied().collect();
    let columns: &[&str] = if got == COLUMNS {
        &COLUMNS
    } else if got == with_sale {
        &with_sale
    } else {
        return Err(problem(
            1,
            "header",
            format!(
                "must be {} or that followed by ,{} (got {header_raw:?})",
                COLUMNS.join(","),
                SALE_COLUMNS.join(",")
            ),
        ));
    };
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for CsvRecord {
        line: n, fields, ..
    } in records
    {
        let fields = match fields {
            // A line of blanks is no row (the csv crate skips empty lines itself).
            Ok(f) if f.len() == 1 && f[0].trim().is_empty() => continue,
            Ok(f) => f,
            Err(why) => {
                problems.push(problem(n, "row", why));
                continue;
            }
        };
        match parse_row(n, columns, &fields, edges, now, &seen) {
            Ok(row) => {
                seen.insert(row.request.policy_number.clone(), n);
                rows.push(row);
            }
            Err(mut bad) => problems.append(&mut bad),
        }
    }
    Ok((rows, problems))
}

fn parse_row(
    n: usize,
    columns: &[&str],
    fields: &[String],
    edges: &Edges,
    now: Timestamp,
    seen: &HashMap<String, usize>,
) -> Result<Row, Vec<Problem>> {
    if fields.len() != columns.len() {
        return Err(vec![problem(
            n,
            "row",
            format!(
                "{} fields, expected {} ({})",
                fields.len(),
                columns.len(),
                columns.join(",")
            ),
        )]);
    }
    // A column the header does not have reads as empty (only the optional sale columns can be absent).
    let get = |name: &str| match columns.iter().position(|c| *c == name) {
        Some(i) => fields[i].trim(),
        None => "",
    };
    let optional = |name: &str| {
        Some(get(name))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let mut bad = Vec::new();
    let mut check = |name: &str, result: Result<(), String>| {
        if let Err(reason) = result {
            bad.push(problem(n, name, reason));
        }
    };
    let required = |name: &str, parse: &dyn Fn(&str) -> Result<(), String>| {
        let value = get(name);
        if value.is_empty() {
            Err("missing".to_string())
        } else {
            parse(value)
        }
    };
    let policy_number = PolicyNumber::parse(get("policy_number"));
    check(
        "policy_number",
        required("policy_number", &|v| {
            let p = PolicyNumber::parse(v).map_err(|e| e.to_string())?;
            match seen.get(p.as_str()) {
                Some(first) => Err(format!(
                    "{} is also on line {first}: one revisit per policy (a create is not idempotent)",
                    p.as_str()
                )),
                None => Ok(()),
            }
        }),
    );
    check(
        "product",
        required("product", &|v| {
            if v.chars().count() > 100 {
                Err("must be 1 to 100 characters".into())
            } else {
                Ok(())
            }
        }),
    );
    let mut kinds = Vec::new();
    for kind in get("product_kinds")
        .split(';')
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        match serde_json::from_value::<ProductKind>(serde_json::Value::String(kind.into())) {
            Ok(k) => kinds.push(k),
            Err(_) => check(
                "product_kinds",
                Err(format!("unknown product kind {kind:?} (known: {KINDS})")),
            ),
        }
    }
    check(
        "policyholder_name",
        required("policyholder_name", &|v| {
            PersonName::parse(v).map(drop).map_err(|e| e.to_string())
        }),
    );
    check(
        "phone",
        required("phone", &|v| {
            Phone::parse(v).map(drop).map_err(|e| e.to_string())
        }),
    );
    check(
        "id_number",
        required("id_number", &|v| {
            IdNumber::parse(v).map(drop).map_err(|e| e.to_string())
        }),
    );
    check(
        "cooling_off_ends_at",
        required(
            "cooling_off_ends_at",
            &|v| match Timestamp::parse_rfc3339(v) {
                Err(e) => Err(e.to_string()),
                Ok(t) if t <= now => Err(format!("{v} has already passed")),
                Ok(_) => Ok(()),
            },
        ),
    );
    check(
        "region",
        required("region", &|v| match edges.for_region(v) {
            Some(_) => Ok(()),
            None => Err(format!(
                "no edge for region {v:?} (--edge has {})",
                edges.names()
            )),
        }),
    );
    if !bad.is_empty() {
        return Err(bad);
    }
    let request = CreateRevisit {
        policy_number: policy_number
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        product: get("product").to_string(),
        policyholder: Policyholder {
            name: get("policyholder_name").to_string(),
            phone: get("phone").to_string(),
            id_number: get("id_number").to_string(),
        },
        cooling_off_ends_at: get("cooling_off_ends_at").to_string(),
        product_kinds: kinds,
        script: None,
        agent: None,
        channel: optional("channel"),
        seller_code: optional("seller_code"),
        send_link_sms: false,
    };
    // Whatever else the edge checks (the default script must have items for these kinds), checked
    // here with the edge's own code, so that a refusal is reported before anything is sent.
    let checked = RevisitId::parse("probeprobeprobe0")
        .map_err(|e| e.to_string())
        .and_then(|probe| {
            request
                .clone()
                .into_revisit(probe, String::new(), b"probe", now)
                .map_err(|e| e.to_string())
        });
    if let Err(text) = checked {
        let (field, reason) = text.split_once(": ").unwrap_or(("row", text.as_str()));
        return Err(vec![problem(n, field, reason)]);
    }
    Ok(Row {
        line: n,
        region: get("region").to_string(),
        request,
    })
}

/// What a batch did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub rows: usize,
    pub created: usize,
    pub refused_here: usize,
    pub refused_by_edge: usize,
}

/// Where a batch's results go: a created revisit's line on `out`, a refusal's on `err`, and a step
/// of `progress` for every row sent (the bar is set aside while a line is written).
#[derive(Clone)]
pub struct Outputs {
    pub out: Arc<Mutex<dyn Write + Send>>,
    pub err: Arc<Mutex<dyn Write + Send>>,
    pub progress: ProgressBar,
}

/// Creates a revisit for every row, at most `concurrency` requests in flight; prints
/// `policy\tregion\tlink` on `out` for each created one and `line N: edge: …` on `err` for each
/// refusal, as they come. A request is never retried: a create is not idempotent.
pub async fn send_all(
    rows: Vec<Row>,
    edges: &Edges,
    (secret, transport): (&[u8], &Transport),
    concurrency: usize,
    outputs: &Outputs,
) -> (usize, usize) {
    let queue = Arc::new(Mutex::new(rows.into_iter().collect::<VecDeque<_>>()));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let queue = queue.clone();
        let Outputs { out, err, progress } = outputs.clone();
        let (edges, secret, transport) = (edges.clone(), secret.to_vec(), transport.clone());
        workers.spawn(async move {
            let mut clients: HashMap<String, InsurerClient> = HashMap::new();
            let (mut created, mut refused) = (0, 0);
            while let Some(row) = next_row(&queue) {
                let Some(edge) = edges.for_region(&row.region) else {
                    continue;
                };
                let client = clients
                    .entry(edge.to_string())
                    .or_insert_with(|| {
                        InsurerClient::new(edge.clone(), secret.clone(), transport.clone())
                    });
                let body = serde_json::to_vec(&row.request).unwrap_or_default();
                let answer = client.create(&body).await;
                progress.inc(1);
                let line = match answer {
                    Ok(a) if a.is_success() => match serde_json::from_str::<RevisitCreated>(&a.body)
                    {
                        Ok(c) => {
                            created += 1;
                            let line = format!(
                                "{}\t{}\t{}",
                                row.request.policy_number, row.region, c.link
                            );
                            if let Ok(mut o) = out.lock() {
                                progress.suspend(|| writeln!(o, "{line}")).ok();
                            }
                            continue;
                        }
                        Err(e) => problem(
                            row.line,
                            "edge",
                            format!("{} answered {} with an unreadable body: {e}", edge, a.status),
                        ),
                    },
                    Ok(a) => problem(row.line, "edge", a.refusal()),
                    Err(e) => problem(
                        row.line,
                        "edge",
                        format!("{edge}: {e} (not retried: check whether it was created before sending again)"),
                    ),
                };
                refused += 1;
                if let Ok(mut e) = err.lock() {
                    progress.suspend(|| writeln!(e, "{line}")).ok();
                }
            }
            (created, refused)
        });
    }
    let (mut created, mut refused) = (0, 0);
    while let Some(done) = workers.join_next().await {
        let (c, r) = done.unwrap_or((0, 0));
        created += c;
        refused += r;
    }
    (created, refused)
}

/// The next row to send; the queue's lock is released before the row is sent.
fn next_row(queue: &Mutex<VecDeque<Row>>) -> Option<Row> {
    queue.lock().ok()?.pop_front()
}

/// `batch`'s flags.
#[derive(Debug, clap::Args)]
pub struct BatchArgs {
    /// The edge of every region, https://host[:port], or one per region:
    /// region=URL[,region=URL…].
    #[arg(long, value_name = "URL|REGION=URL,…", value_parser = Edges::parse)]
    pub edge: Edges,
    /// The policies, one per row, under the header policy_number, product, product_kinds,
    /// policyholder_name, phone, id_number, cooling_off_ends_at, region (in this order;
    /// product_kinds `;`-separated, may be empty).
    #[arg(long, value_name = "FILE")]
    pub csv: PathBuf,
    /// A dotenv file with INSURER_API_SECRET [default: the INSURER_API_SECRET variable, else
    /// .dev.vars].
    #[arg(long, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,
    /// Trust only the CA certificates of this PEM bundle for https edges [default: the system's
    /// roots].
    #[arg(long, env = "HUIFANG_EDGE_CA_FILE", value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Requests in flight at once, 1 to 64.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub concurrency: usize,
    #[command(flatten)]
    pub progress: Quiet,
}

/// `batch`'s examples, shown after its `--help`.
pub const EXAMPLES: &str = "\
Examples:
  huifang-origin batch --edge http://127.0.0.1:8787 --csv policies.csv --secret-file .dev.vars
  huifang-origin batch --csv policies.csv --concurrency 16 \\
    --edge beijing=https://revisit-bj.example-insurer.cn,shanghai=https://revisit-sh.example-insurer.cn

Prints policy, region and link (tab-separated) of each created revisit on stdout, `line N: field:
reason` for each bad row on stderr, then a summary.
Exit: 0 every row created, 1 a row was bad (refused here or by the edge), 2 bad usage or nothing
could be read.";

/// `huifang-origin batch …`.
pub async fn cli(args: BatchArgs) -> ExitCode {
    let csv = args.csv.display().to_string();
    let secret = match secret_from(args.secret_file.as_deref()) {
        Ok(s) => s,
        Err(e) => return fatal(&e.to_string()),
    };
    let transport =
        match Transport::for_edges(args.edge.urls().into_iter(), args.ca_file.as_deref()) {
            Ok(t) => t,
            Err(e) => return fatal(&e.to_string()),
        };
    let text = match std::fs::read_to_string(&args.csv) {
        Ok(t) => t,
        Err(e) => return fatal(&format!("{csv}: {e}")),
    };
    let started = Instant::now();
    let (rows, problems) = match parse_csv(&text, &args.edge, crate::clock::system_clock()) {
        Ok(parsed) => parsed,
        Err(p) => return fatal(&format!("{csv}: {p}")),
    };
    let bad_lines: std::collections::BTreeSet<usize> = problems.iter().map(|p| p.line).collect();
    let mut summary = Summary {
        rows: rows.len() + bad_lines.len(),
        refused_here: bad_lines.len(),
        ..Summary::default()
    };
    {
        let mut e = std::io::stderr().lock();
        for p in &problems {
            let _ = writeln!(e, "{p}");
        }
    }
    let outputs = Outputs {
        out: Arc::new(Mutex::new(std::io::stdout())),
        err: Arc::new(Mutex::new(std::io::stderr())),
        progress: crate::progress::bar(
            "batch",
            "rows",
            Some(rows.len() as u64),
            args.progress.quiet,
        ),
    };
    let client = (secret.as_slice(), &transport);
    let (created, refused) = send_all(rows, &args.edge, client, args.concurrency, &outputs).await;
    outputs.progress.finish_and_clear();
    summary.created = created;
    summary.refused_by_edge = refused;
    eprintln!(
        "batch: {} rows, {} created, {} bad ({} refused here, {} by the edge) in {:.1} s, {} in flight",
        summary.rows,
        summary.created,
        summary.refused_here + summary.refused_by_edge,
        summary.refused_here,
        summary.refused_by_edge,
        started.elapsed().as_secs_f64(),
        args.concurrency
    );
    if summary.refused_here + summary.refused_by_edge == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn fatal(message: &str) -> ExitCode {
    eprintln!("huifang-origin batch: {message}");
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(1_795_000_000_000);
    const HEADER: &str = "policy_number,product,product_kinds,policyholder_name,phone,id_number,cooling_off_ends_at,region";
    const GOOD: &str = "P20260001,鑫享人生年金保险,participating;regular_premium,张三,13812345678,11010519491231002X,2026-12-10T23:59:59+08:00,beijing";

    fn edges() -> Edges {
        Edges::parse("beijing=http://127.0.0.1:1,shanghai=http://127.0.0.1:2").unwrap()
    }

    fn parse(rows: &[&str]) -> (Vec<Row>, Vec<Problem>) {
        let text = std::iter::once(HEADER)
            .chain(rows.iter().copied())
            .collect::<Vec<_>>()
            .join("\n");
        parse_csv(&text, &edges(), NOW).unwrap()
    }

    fn reported(rows: &[&str]) -> Vec<String> {
        parse(rows).1.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_good_row_becomes_a_create_request() {
        let (rows, problems) = parse(&[GOOD]);
        assert_eq!(problems, []);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].region, "beijing");
        let r = &rows[0].request;
        assert_eq!(r.policy_number, "P20260001");
        assert_eq!(
            r.product_kinds,
            [ProductKind::Participating, ProductKind::RegularPremium]
        );
        assert_eq!(r.script, None);
    }

    #[test]
    fn each_bad_field_is_reported_with_its_line() {
        let bad_id = GOOD.replace("11010519491231002X", "110105194912310021");
        let bad_phone = GOOD.replace("13812345678", "23812345678");
        let no_name = GOOD.replace("张三", "");
        let bad_date = GOOD.replace("2026-12-10T23:59:59+08:00", "2026-12-10");
        let past = GOOD.replace("2026-12-10T23:59:59+08:00", "2020-01-01T00:00:00Z");
        let region = GOOD.replace("beijing", "guangdong");
        let kind = GOOD.replace("participating", "lottery");
        let extra = format!("{GOOD},extra");
        let short = "P20260002,产品";
        let quote = GOOD.replace("张三", "张\"三");
        let got = reported(&[
            &bad_id, &bad_phone, &no_name, &bad_date, &past, &region, &kind, &extra, short, &quote,
        ]);
        let want_prefixes = [
            "line 2: id_number: the ID number's check digit",
            "line 3: phone: the phone number must be",
            "line 4: policyholder_name: missing",
            "line 5: cooling_off_ends_at: not an RFC 3339",
            "line 6: cooling_off_ends_at: 2020-01-01T00:00:00Z has already passed",
            "line 7: region: no edge for region \"guangdong\" (--edge has beijing, shanghai)",
            "line 8: product_kinds: unknown product kind \"lottery\"",
            "line 9: row: 9 fields, expected 8",
            "line 10: row: 2 fields, expected 8",
            "line 11: row: a quote inside a field",
        ];
        assert_eq!(got.len(), want_prefixes.len(), "{got:#?}");
        for (g, w) in got.iter().zip(want_prefixes) {
            assert!(g.starts_with(w), "{g:?} should start with {w:?}");
        }
    }

    #[test]
    fn the_sale_columns_are_optional_and_checked_by_the_edges_own_parsers() {
        let text = |rows: &[&str]| {
            std::iter::once(format!("{HEADER},channel,seller_code"))
                .chain(rows.iter().map(|r| r.to_string()))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let sold = format!("{GOOD},bank, AG-0042 ");
        let unsold = format!("{},,", GOOD.replace("P20260001", "P20260002"));
        let bad = format!("{},lottery,AG-1", GOOD.replace("P20260001", "P20260003"));
        let short = GOOD.replace("P20260001", "P20260004");
        let (rows, problems) =
            parse_csv(&text(&[&sold, &unsold, &bad, &short]), &edges(), NOW).unwrap();
        assert_eq!(rows.len(), 2, "{problems:?}");
        assert_eq!(rows[0].request.channel.as_deref(), Some("bank"));
        assert_eq!(rows[0].request.seller_code.as_deref(), Some("AG-0042"));
        assert_eq!(
            (
                rows[1].request.channel.clone(),
                rows[1].request.seller_code.clone()
            ),
            (None, None)
        );
        let reported: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(reported.len(), 2, "{reported:#?}");
        assert!(reported[0].starts_with("line 4: channel: "), "{reported:?}");
        assert!(
            reported[1].starts_with("line 5: row: 8 fields, expected 10"),
            "{reported:?}"
        );
        // Without the sale columns a row is as before; one sale column alone is no header.
        assert_eq!(parse(&[GOOD]).0[0].request.channel, None);
        let half = format!("{HEADER},channel\n{GOOD},bank");
        let refused = parse_csv(&half, &edges(), NOW).unwrap_err().to_string();
        assert!(refused.starts_with("line 1: header: must be"), "{refused}");
    }

    #[test]
    fn a_policy_number_twice_is_refused_on_its_second_line() {
        let got = reported(&[GOOD, "", GOOD]);
        assert_eq!(got.len(), 1);
        assert!(
            got[0].starts_with("line 4: policy_number: P20260001 is also on line 2"),
            "{got:?}"
        );
    }

    #[test]
    fn quoted_fields_may_hold_commas_and_quotes() {
        let fields = |text: &str| csv_records(text).remove(0).fields;
        assert_eq!(
            fields(r#"a,"b, c","say ""hi""",,"#).unwrap(),
            ["a", "b, c", "say \"hi\"", "", ""]
        );
        assert_eq!(
            fields(r#""open"#),
            Err("a quoted field is not closed before the end of the file")
        );
        assert_eq!(fields(r#""a"b"#), Err("text after a closing quote"));
        assert_eq!(
            fields(r#"a"b,c"#),
            Err("a quote inside a field that is not quoted")
        );
        let quoted = GOOD.replace("鑫享人生年金保险", "\"鑫享人生, 年金保险\"");
        let (rows, problems) = parse(&[&quoted]);
        assert_eq!(problems, []);
        assert_eq!(rows[0].request.product, "鑫享人生, 年金保险");
    }

    /// What spreadsheets write: a BOM, CRLF line ends, quoted fields holding commas, quotes and a
    /// line break. Rows are numbered by the line they start on, so a row after a field with a line
    /// break is reported at its own line, and bad rows give the same errors as in a plain file.
    #[test]
    fn a_spreadsheet_export_reads_with_the_same_errors() {
        let multi_line = GOOD
            .replace(
                "鑫享人生年金保险",
                "\"鑫享人生年金保险\r\n(2026 版, \"\"A\"\" 款)\"",
            )
            .replace("P20260001", "P20260003");
        let bad_phone = GOOD
            .replace("13812345678", "23812345678")
            .replace("P20260001", "P20260004");
        let stray_quote = GOOD
            .replace("张三", "张\"三")
            .replace("P20260001", "P20260005");
        let text = format!(
            "\u{feff}{HEADER}\r\n{GOOD}\r\n{multi_line}\r\n\r\n{bad_phone}\r\n{stray_quote}\r\n"
        );
        let (rows, problems) = parse_csv(&text, &edges(), NOW).unwrap();
        assert_eq!(rows.len(), 2, "{problems:?}");
        assert_eq!((rows[0].line, rows[1].line), (2, 3));
        assert_eq!(
            rows[1].request.product,
            "鑫享人生年金保险\r\n(2026 版, \"A\" 款)"
        );
        assert_eq!(rows[1].request.policyholder.phone, "13812345678");
        let got: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            got[0].starts_with("line 6: phone: the phone number must be"),
            "{got:?}"
        );
        assert_eq!(
            got[1],
            "line 7: row: a quote inside a field that is not quoted"
        );
    }

    #[test]
    fn the_header_must_be_exact() {
        let err = parse_csv("policy,product\nP1,x", &edges(), NOW).unwrap_err();
        assert_eq!((err.line, err.field.as_str()), (1, "header"));
        assert!(parse_csv(&format!("\u{feff}{HEADER}\r\n{GOOD}\r\n"), &edges(), NOW).is_ok());
    }

    #[test]
    fn edges_are_one_for_all_or_one_per_region() {
        let one = Edges::parse("http://127.0.0.1:8787").unwrap();
        assert!(one.for_region("anywhere").is_some());
        let two = edges();
        assert!(two.for_region("shanghai").is_some());
        assert!(two.for_region("guangdong").is_none());
        assert!(Edges::parse("http://a:1,http://b:2").is_err());
        assert!(Edges::parse("beijing=http://a:1,beijing=http://b:2").is_err());
        let https = Edges::parse("beijing=https://revisit-bj.example-insurer.cn").unwrap();
        assert!(https.urls().iter().all(|u| u.is_https()));
        assert!(Edges::parse("beijing=ftp://revisit-bj.example-insurer.cn").is_err());
    }
}
