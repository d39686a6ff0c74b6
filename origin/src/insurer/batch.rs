//! `huifang-origin batch`: plays the insurer's policy system. Reads a CSV of new policies, checks
//! every row with the core's parsers, creates a revisit at the edge of each good row's region
//! (signed, a bounded number in flight) and prints its link; each bad row, whether refused here or
//! by the edge, is reported by line with the field and the reason, and the good rows still go.

use crate::insurer::client::{secret_from, EdgeUrl, InsurerClient};
use huifang_core::domain::PersonName;
use huifang_core::script::ProductKind;
use huifang_core::wire::{CreateRevisit, Policyholder, RevisitCreated};
use huifang_core::{IdNumber, Phone, PolicyNumber, RevisitId, Timestamp};
use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The CSV's header, in this order.
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

/// Splits one CSV line (RFC 4180 quoting: `"a, b"`, `""` for a quote; no line breaks in fields).
pub fn split_fields(line: &str) -> Result<Vec<String>, &'static str> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => current.push(c),
            (false, ',') => {
                fields.push(std::mem::take(&mut current));
                was_quoted = false;
            }
            (false, '"') if current.trim().is_empty() && !was_quoted => {
                current.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, '"') => return Err("a quote inside a field that is not quoted"),
            (false, _) if was_quoted && !c.is_whitespace() => {
                return Err("text after a closing quote")
            }
            (false, c) => current.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed on its line");
    }
    fields.push(current);
    Ok(fields)
}

/// Every row of `text`, checked: the good ones ready to send, one problem per bad field. `Err` when
/// the header is not [`COLUMNS`].
pub fn parse_csv(
    text: &str,
    edges: &Edges,
    now: Timestamp,
) -> Result<(Vec<Row>, Vec<Problem>), Problem> {
    let mut lines = text.strip_prefix('\u{feff}').unwrap_or(text).lines();
    let header = lines.next().unwrap_or_default();
    let got: Vec<String> = split_fields(header)
        .unwrap_or_default()
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if got != COLUMNS {
        return Err(problem(
            1,
            "header",
            format!("must be {} (got {header:?})", COLUMNS.join(",")),
        ));
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, line) in lines.enumerate() {
        let n = index + 2;
        if line.trim().is_empty() {
            continue;
        }
        match parse_row(n, line, edges, now, &seen) {
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
    line: &str,
    edges: &Edges,
    now: Timestamp,
    seen: &HashMap<String, usize>,
) -> Result<Row, Vec<Problem>> {
    let fields = split_fields(line).map_err(|why| vec![problem(n, "row", why)])?;
    if fields.len() != COLUMNS.len() {
        return Err(vec![problem(
            n,
            "row",
            format!(
                "{} fields, expected {} ({})",
                fields.len(),
                COLUMNS.len(),
                COLUMNS.join(",")
            ),
        )]);
    }
    let get = |name: &str| {
        let i = COLUMNS.iter().position(|c| *c == name).unwrap_or(0);
        fields[i].trim()
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

/// Creates a revisit for every row, at most `concurrency` requests in flight; prints
/// `policy\tregion\tlink` on `out` for each created one and `line N: edge: …` on `err` for each
/// refusal, as they come. A request is never retried: a create is not idempotent.
pub async fn send_all(
    rows: Vec<Row>,
    edges: &Edges,
    secret: &[u8],
    concurrency: usize,
    out: Arc<Mutex<dyn Write + Send>>,
    err: Arc<Mutex<dyn Write + Send>>,
) -> (usize, usize) {
    let queue = Arc::new(Mutex::new(rows.into_iter().collect::<VecDeque<_>>()));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (queue, out, err) = (queue.clone(), out.clone(), err.clone());
        let (edges, secret) = (edges.clone(), secret.to_vec());
        workers.spawn(async move {
            let mut clients: HashMap<String, InsurerClient> = HashMap::new();
            let (mut created, mut refused) = (0, 0);
            while let Some(row) = next_row(&queue) {
                let Some(edge) = edges.for_region(&row.region) else {
                    continue;
                };
                let client = clients
                    .entry(edge.to_string())
                    .or_insert_with(|| InsurerClient::new(edge.clone(), secret.clone()));
                let body = serde_json::to_vec(&row.request).unwrap_or_default();
                let line = match client.create(&body).await {
                    Ok(a) if a.is_success() => match serde_json::from_str::<RevisitCreated>(&a.body)
                    {
                        Ok(c) => {
                            created += 1;
                            let line = format!(
                                "{}\t{}\t{}",
                                row.request.policy_number, row.region, c.link
                            );
                            if let Ok(mut o) = out.lock() {
                                let _ = writeln!(o, "{line}");
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
                    let _ = writeln!(e, "{line}");
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

const USAGE: &str = "\
usage: huifang-origin batch --edge URL|region=URL[,region=URL…] --csv FILE [--secret-file PATH] [--concurrency N]
  Creates a revisit for each row of FILE (header: policy_number,product,product_kinds,
  policyholder_name,phone,id_number,cooling_off_ends_at,region; product_kinds `;`-separated, may be
  empty) at its region's edge, at most N (default 8) requests in flight. Prints policy, region and
  link (tab-separated) of each created revisit on stdout, `line N: field: reason` for each bad row on
  stderr, then a summary; exit 1 if any row was bad, 2 if nothing could be read.";

/// `huifang-origin batch …`.
pub async fn cli(args: &[String]) -> ExitCode {
    let mut edge = None;
    let mut csv = None;
    let mut secret_file = None;
    let mut concurrency = DEFAULT_CONCURRENCY;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--help" || arg == "-h" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        let Some(value) = it.next() else {
            return usage(&format!("{arg} needs a value"));
        };
        match arg.as_str() {
            "--edge" => edge = Some(value.clone()),
            "--csv" => csv = Some(value.clone()),
            "--secret-file" => secret_file = Some(value.clone()),
            "--concurrency" => match value.parse() {
                Ok(n) if (1..=64).contains(&n) => concurrency = n,
                _ => return usage("--concurrency must be 1 to 64"),
            },
            other => return usage(&format!("unknown option {other}")),
        }
    }
    let (Some(edge), Some(csv)) = (edge, csv) else {
        return usage("--edge and --csv are required");
    };
    let edges = match Edges::parse(&edge) {
        Ok(e) => e,
        Err(e) => return usage(&e),
    };
    let secret = match secret_from(secret_file.as_deref()) {
        Ok(s) => s,
        Err(e) => return fatal(&e.to_string()),
    };
    let text = match std::fs::read_to_string(&csv) {
        Ok(t) => t,
        Err(e) => return fatal(&format!("{csv}: {e}")),
    };
    let started = Instant::now();
    let (rows, problems) = match parse_csv(&text, &edges, crate::clock::system_clock()) {
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
    let out: Arc<Mutex<dyn Write + Send>> = Arc::new(Mutex::new(std::io::stdout()));
    let err: Arc<Mutex<dyn Write + Send>> = Arc::new(Mutex::new(std::io::stderr()));
    let (created, refused) = send_all(rows, &edges, &secret, concurrency, out, err).await;
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
        concurrency
    );
    if summary.refused_here + summary.refused_by_edge == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("huifang-origin batch: {message}\n{USAGE}");
    ExitCode::from(2)
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
        assert_eq!(
            split_fields(r#"a,"b, c","say ""hi""",,"#).unwrap(),
            ["a", "b, c", "say \"hi\"", "", ""]
        );
        assert!(split_fields(r#""open"#).is_err());
        assert!(split_fields(r#""a"b"#).is_err());
        let quoted = GOOD.replace("鑫享人生年金保险", "\"鑫享人生, 年金保险\"");
        let (rows, problems) = parse(&[&quoted]);
        assert_eq!(problems, []);
        assert_eq!(rows[0].request.product, "鑫享人生, 年金保险");
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
        assert!(Edges::parse("beijing=https://revisit-bj.example-insurer.cn").is_err());
    }
}
