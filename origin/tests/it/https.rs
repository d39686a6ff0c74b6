//! `huifang-origin revisit create` and `batch` over HTTPS: a local edge served with TLS under a
//! certificate made here (rcgen), trusted through `--ca-file`; the same edge refused without it (the
//! system's roots do not know it). The edge checks the request's signature as the real one does.

// Test helpers are plain functions, which clippy's `allow-unwrap-in-tests` does not cover; a failed
// unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

use http_body_util::{BodyExt, Full};
use huifang_core::signing::{insurer_signature, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const SECRET: &str = "https-test-secret";

/// What the edge saw: method, path, and whether the signature was the insurer's.
type Seen = Arc<Mutex<Vec<(String, String, bool)>>>;

/// A stand-in for the edge's insurer API on 127.0.0.1 over TLS; returns its port, the
/// certificate's PEM and what it sees.
async fn tls_edge() -> (u16, String, Seen) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = CertificateDer::from(certified.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, log) = (acceptor.clone(), log.clone());
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake here.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |req| answer(req, log.clone()));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (port, certified.cert.pem(), seen)
}

/// Answers a create as the edge does, after checking the insurer's signature.
async fn answer(req: Request<Incoming>, seen: Seen) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await?.to_bytes();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let ts: u64 = header(HEADER_TIMESTAMP).parse().unwrap_or(0);
    let path = parts.uri.path().to_string();
    let signed = header(HEADER_SIGNATURE)
        == insurer_signature(SECRET.as_bytes(), parts.method.as_str(), &path, ts, &body);
    seen.lock()
        .unwrap()
        .push((parts.method.to_string(), path, signed));
    let (status, body) = if signed {
        (
            201,
            r#"{"revisit_id":"probeprobeprobe0","link":"https://edge.test/r/x","expires_at":"2027-01-15T00:00:00Z"}"#,
        )
    } else {
        (
            401,
            r#"{"code":"signature_mismatch","message":"bad signature"}"#,
        )
    };
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap())
}

/// A TLS edge, and a fresh directory holding its certificate as a CA bundle and the insurer's
/// secret file.
struct Setup {
    port: u16,
    dir: PathBuf,
    ca: PathBuf,
    vars: PathBuf,
    seen: Seen,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn setup(name: &str) -> Setup {
    let (port, pem, seen) = tls_edge().await;
    let dir = std::env::temp_dir().join(format!("huifang-https-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (ca, vars) = (dir.join("edge-ca.pem"), dir.join("insurer.vars"));
    std::fs::write(&ca, pem).unwrap();
    std::fs::write(&vars, format!("INSURER_API_SECRET=\"{SECRET}\"\n")).unwrap();
    Setup {
        port,
        dir,
        ca,
        vars,
        seen,
    }
}

/// Runs the binary from another thread, while the edge serves on this one; its exit code,
/// stdout and stderr.
async fn run(args: Vec<OsString>) -> (Option<i32>, String, String) {
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_huifang-origin"))
            .args(args)
            .env_remove("HUIFANG_EDGE_CA_FILE")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `revisit create` of a small body at the setup's edge, with `ca_file` if given.
async fn create(at: &Setup, ca_file: Option<&Path>) -> (Option<i32>, String, String) {
    let body = at.dir.join("revisit.json");
    std::fs::write(&body, r#"{"policy_number":"P20260001"}"#).unwrap();
    let edge = format!("https://127.0.0.1:{}", at.port);
    let mut args: Vec<OsString> = vec!["revisit".into(), "create".into(), body.into()];
    args.extend([
        "--edge".into(),
        edge.into(),
        "--secret-file".into(),
        at.vars.clone().into(),
    ]);
    if let Some(ca) = ca_file {
        args.extend(["--ca-file".into(), ca.into()]);
    }
    run(args).await
}

#[tokio::test]
async fn revisit_create_reaches_an_https_edge_trusted_through_a_ca_file() {
    let at = setup("trusted").await;
    let (code, stdout, stderr) = create(&at, Some(&at.ca)).await;
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(r#""revisit_id":"probeprobeprobe0""#),
        "{stdout}"
    );
    assert_eq!(
        *at.seen.lock().unwrap(),
        [("POST".to_string(), "/v1/revisits".to_string(), true)]
    );
}

#[tokio::test]
async fn an_https_edge_with_an_unknown_certificate_is_refused() {
    let at = setup("untrusted").await;
    // The system's roots (or none, on a bare machine): either way not this certificate.
    let (code, _, stderr) = create(&at, None).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("invalid peer certificate")
            && stderr.contains("pass its bundle with --ca-file"),
        "{stderr}"
    );
    assert!(
        at.seen.lock().unwrap().is_empty(),
        "nothing reached the edge"
    );
    // A bundle that is not PEM is a usage error, said before anything is sent.
    let junk = at.dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let (code, _, stderr) = create(&at, Some(&junk)).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--ca-file"), "{stderr}");
}

#[tokio::test]
async fn batch_sends_a_spreadsheets_csv_to_an_https_edge() {
    let at = setup("batch").await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let ends = huifang_core::Timestamp(u64::try_from(now).unwrap())
        .plus_millis(10 * 86_400_000)
        .to_rfc3339();
    let row = |policy: &str, phone: &str| {
        format!("{policy},\"安心, 终身寿险\",participating,张三,{phone},11010519491231002X,{ends},beijing")
    };
    let csv = at.dir.join("policies.csv");
    let header =
        "policy_number,product,product_kinds,policyholder_name,phone,id_number,cooling_off_ends_at,region";
    let rows = [
        row("P20260001", "13812345678"),
        row("P20260002", "13812345679"),
        row("P20260003", "23812345678"),
        row("P20260004", "13812345670"),
    ];
    std::fs::write(
        &csv,
        format!("\u{feff}{header}\r\n{}\r\n", rows.join("\r\n")),
    )
    .unwrap();
    let edge = format!("beijing=https://127.0.0.1:{}", at.port);
    let args = ["batch", "--concurrency", "2", "--edge", &edge, "--csv"].map(OsString::from);
    let mut args = args.to_vec();
    args.extend([csv.into(), "--secret-file".into(), at.vars.clone().into()]);
    args.extend(["--ca-file".into(), at.ca.clone().into()]);
    let (code, stdout, stderr) = run(args).await;
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let mut created: Vec<&str> = stdout.lines().collect();
    created.sort_unstable();
    assert_eq!(
        created,
        [
            "P20260001\tbeijing\thttps://edge.test/r/x",
            "P20260002\tbeijing\thttps://edge.test/r/x",
            "P20260004\tbeijing\thttps://edge.test/r/x"
        ],
        "{stderr}"
    );
    assert!(stderr.contains("line 4: phone: "), "{stderr}");
    let summary = stderr.lines().last().unwrap();
    assert!(
        summary.starts_with("batch: 4 rows, 3 created, 1 bad (1 refused here, 0 by the edge)"),
        "{stderr}"
    );
    let seen = at.seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert!(seen
        .iter()
        .all(|(m, p, signed)| m == "POST" && p == "/v1/revisits" && *signed));
}
