//! A client of the edge's insurer API, as the insurer's own systems call it: every request signed
//! with the shared secret (`v1=` HMAC-SHA256, see `huifang_core::signing` and docs/API.md,
//! "Signing"), sent over HTTP/1.1 or HTTPS on pooled, kept-alive connections (hyper-util's client
//! over rustls). `huifang-origin revisit …` and `huifang-origin batch` use it.
//!
//! HTTPS trusts the system's root certificates, or only those of a CA bundle the operator gives
//! (`--ca-file`, e.g. the insurer's own CA in front of a private edge).

use crate::dev::secrets::{parse_dotenv, INSURER_API_SECRET};
use http_body_util::{BodyExt, Full};
use huifang_core::signing::{
    insurer_signature, sha256_hex, string_to_sign, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// How long one request may take, connection included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a call did not get an answer from the edge.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The edge URL is not one this client can call.
    #[error("edge URL {0:?}: {1}")]
    BadUrl(String, &'static str),
    /// The secret could not be read.
    #[error("{0}")]
    Secret(String),
    /// The CA bundle could not be read, or the system's roots could not be loaded.
    #[error("{0}")]
    Trust(String),
    /// The exchange failed: no connection, a TLS refusal, or a broken answer (the causes, joined).
    #[error("{0}")]
    Exchange(String),
    /// A request that could not be built (a bad path).
    #[error("request: {0}")]
    Request(#[from] hyper::http::Error),
    /// No answer in time.
    #[error("no answer within {} s", REQUEST_TIMEOUT.as_secs())]
    Timeout,
}

/// An error and its causes, `outer: inner: …`: hyper's own messages alone are too terse to act on
/// (`client error (Connect)`); a refused certificate says what to do about it.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if text.contains("invalid peer certificate") {
        text.push_str(
            " (an edge under the insurer's own CA: pass its bundle with --ca-file or \
             HUIFANG_EDGE_CA_FILE)",
        );
    }
    text
}

/// Where the edge is: `http://host[:port]` or `https://host[:port]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdgeUrl {
    /// The URL as given, without a trailing slash (requests, links and messages).
    text: String,
}

impl EdgeUrl {
    /// Parses `http(s)://host[:port]` (a trailing slash is allowed; a path is not: the edge signs
    /// paths from its root).
    pub fn parse(url: &str) -> Result<Self, ClientError> {
        let text = url.trim().trim_end_matches('/').to_string();
        let bad = |why| ClientError::BadUrl(url.to_string(), why);
        let rest = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .ok_or_else(|| bad("must start with https:// or http://"))?;
        if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
            return Err(bad("must be https://host[:port] with no path"));
        }
        let uri: hyper::Uri = text
            .parse()
            .map_err(|_| bad("must be https://host[:port] with no path"))?;
        if uri.host().is_none_or(str::is_empty) {
            return Err(bad("has no host"));
        }
        Ok(Self { text })
    }

    /// Whether the edge is reached over TLS.
    pub fn is_https(&self) -> bool {
        self.text.starts_with("https://")
    }
}

impl std::fmt::Display for EdgeUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// The connections to the edges: one pool, HTTP or HTTPS, shared by every [`InsurerClient`] (cheap
/// to clone).
#[derive(Clone)]
pub struct Transport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Transport {
    /// Trusts `ca_file`'s certificates (PEM) if given, else the system's roots.
    pub fn new(ca_file: Option<&Path>) -> Result<Self, ClientError> {
        let roots = match ca_file {
            Some(path) => bundle_roots(path)?,
            None => system_roots()?,
        };
        Self::with_roots(roots)
    }

    /// For edges reached over plain HTTP only: no root is loaded.
    pub fn plain() -> Result<Self, ClientError> {
        Self::with_roots(rustls::RootCertStore::empty())
    }

    /// What `edges` need: TLS roots when any is reached over HTTPS.
    pub fn for_edges<'a>(
        mut edges: impl Iterator<Item = &'a EdgeUrl>,
        ca_file: Option<&Path>,
    ) -> Result<Self, ClientError> {
        if ca_file.is_some() || edges.any(EdgeUrl::is_https) {
            Self::new(ca_file)
        } else {
            Self::plain()
        }
    }

    fn with_roots(roots: rustls::RootCertStore) -> Result<Self, ClientError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientError::Trust(format!("TLS: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        // Small signed requests on kept-alive connections: no Nagle delay between them.
        let mut tcp = HttpConnector::new();
        tcp.set_nodelay(true);
        tcp.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }
}

/// The system's root certificates (rustls-native-certs: the OS store, `SSL_CERT_FILE` and
/// `SSL_CERT_DIR`).
fn system_roots() -> Result<rustls::RootCertStore, ClientError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        let why = found
            .errors
            .first()
            .map_or_else(|| "none found".to_string(), ToString::to_string);
        return Err(ClientError::Trust(format!(
            "no system root certificates ({why}): pass the edge's CA bundle with --ca-file"
        )));
    }
    Ok(roots)
}

/// Every certificate of a PEM bundle, as the only roots trusted.
fn bundle_roots(path: &Path) -> Result<rustls::RootCertStore, ClientError> {
    let bad = |why: String| ClientError::Trust(format!("--ca-file {}: {why}", path.display()));
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(bad("no usable PEM certificate in it".into()));
    }
    Ok(roots)
}

/// Everything a signature is made of, for the worked example in docs/API.md and for debugging a refusal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    /// `METHOD\nPATH\nTIMESTAMP\nhex(SHA-256(body))`.
    pub string_to_sign: String,
    /// `hex(SHA-256(body))`.
    pub body_sha256: String,
    /// The `X-Huifang-Signature` value, `v1=…`.
    pub signature: String,
}

/// Signs one request as the insurer: `timestamp` is Unix seconds.
pub fn sign(secret: &[u8], method: &str, path: &str, timestamp: u64, body: &[u8]) -> Signed {
    Signed {
        string_to_sign: string_to_sign(method, path, timestamp, body),
        body_sha256: sha256_hex(body),
        signature: insurer_signature(secret, method, path, timestamp, body),
    }
}

/// Reads `INSURER_API_SECRET` from a dotenv file (the edge's `.dev.vars` form).
pub fn read_secret(path: &Path) -> Result<Vec<u8>, ClientError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ClientError::Secret(format!("{}: {e}", path.display())))?;
    parse_dotenv(&text)
        .into_iter()
        .rev()
        .find(|(k, v)| k == INSURER_API_SECRET && !v.is_empty())
        .map(|(_, v)| v.into_bytes())
        .ok_or_else(|| {
            ClientError::Secret(format!("{} has no {INSURER_API_SECRET}", path.display()))
        })
}

/// The secret from `--secret-file`, else the `INSURER_API_SECRET` environment variable, else
/// `.dev.vars` in the current directory.
pub fn secret_from(file: Option<&Path>) -> Result<Vec<u8>, ClientError> {
    match file {
        Some(f) => read_secret(f),
        None => match std::env::var(INSURER_API_SECRET) {
            Ok(s) if !s.is_empty() => Ok(s.into_bytes()),
            _ => read_secret(Path::new(".dev.vars")),
        },
    }
}

/// The edge's answer: status and body text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `code: message` from an error body (`{"code","message"}`), else the body's start.
    pub fn refusal(&self) -> String {
        let parsed: Option<serde_json::Value> = serde_json::from_str(&self.body).ok();
        let field = |k: &str| {
            parsed
                .as_ref()
                .and_then(|v| v.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        match (field("code"), field("message")) {
            (Some(code), Some(message)) => format!("{} {code}: {message}", self.status),
            _ => format!(
                "{} {}",
                self.status,
                self.body.chars().take(200).collect::<String>()
            ),
        }
    }
}

/// A signing client bound to one edge, over a shared [`Transport`].
pub struct InsurerClient {
    edge: EdgeUrl,
    secret: Vec<u8>,
    transport: Transport,
}

impl InsurerClient {
    pub fn new(edge: EdgeUrl, secret: Vec<u8>, transport: Transport) -> Self {
        Self {
            edge,
            secret,
            transport,
        }
    }

    pub fn edge(&self) -> &EdgeUrl {
        &self.edge
    }

    /// `POST /v1/revisits` with `body` (JSON, sent as given).
    pub async fn create(&self, body: &[u8]) -> Result<Answer, ClientError> {
        self.send("POST", "/v1/revisits", body).await
    }

    /// `GET /v1/revisits/{id}`.
    pub async fn status(&self, id: &str) -> Result<Answer, ClientError> {
        self.send("GET", &format!("/v1/revisits/{id}"), b"").await
    }

    /// `POST /v1/revisits/{id}/cancel`.
    pub async fn cancel(&self, id: &str) -> Result<Answer, ClientError> {
        self.send("POST", &format!("/v1/revisits/{id}/cancel"), b"")
            .await
    }

    /// `POST /v1/revisits/{id}/reissue`.
    pub async fn reissue(&self, id: &str) -> Result<Answer, ClientError> {
        self.send("POST", &format!("/v1/revisits/{id}/reissue"), b"")
            .await
    }

    /// Signs and sends one request. A request is never sent twice: a create is not idempotent
    /// (the pool only retries a request that never left, on a connection found closed).
    pub async fn send(&self, method: &str, path: &str, body: &[u8]) -> Result<Answer, ClientError> {
        tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(method, path, body))
            .await
            .map_err(|_| ClientError::Timeout)?
    }

    async fn exchange(&self, method: &str, path: &str, body: &[u8]) -> Result<Answer, ClientError> {
        let ts = crate::clock::system_clock().seconds();
        let signed = sign(&self.secret, method, path, ts, body);
        let request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.edge))
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(HEADER_TIMESTAMP, ts.to_string())
            .header(HEADER_SIGNATURE, signed.signature)
            .body(Full::new(Bytes::copy_from_slice(body)))?;
        let response = self
            .transport
            .client
            .request(request)
            .await
            .map_err(|e| ClientError::Exchange(with_causes(&e)))?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| ClientError::Exchange(with_causes(&e)))?
            .to_bytes();
        Ok(Answer {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

/// Where the edge is and how to sign and trust it: the flags `revisit` and its calls share.
#[derive(Debug, clap::Args)]
pub struct EdgeArgs {
    /// The edge, https://host[:port] (or http:// for a local one).
    #[arg(
        long,
        global = true,
        env = "HUIFANG_EDGE_URL",
        value_name = "URL",
        default_value = "http://127.0.0.1:8787"
    )]
    pub edge: String,
    /// A dotenv file with INSURER_API_SECRET [default: the INSURER_API_SECRET variable, else
    /// .dev.vars].
    #[arg(long, global = true, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,
    /// Trust only the CA certificates of this PEM bundle for an https edge [default: the
    /// system's roots].
    #[arg(long, global = true, env = "HUIFANG_EDGE_CA_FILE", value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
}

/// `huifang-origin revisit …`: one signed call.
#[derive(Debug, clap::Args)]
pub struct RevisitArgs {
    #[command(subcommand)]
    pub call: RevisitCall,
    #[command(flatten)]
    pub edge: EdgeArgs,
}

/// The calls of the insurer API.
#[derive(Debug, clap::Subcommand)]
pub enum RevisitCall {
    /// POST /v1/revisits: create a revisit from FILE's JSON (`-` reads stdin), sent byte for byte.
    Create {
        /// The request body, or `-` for stdin.
        #[arg(value_name = "FILE")]
        body: String,
    },
    /// GET /v1/revisits/ID: the revisit's stage and progress.
    Status {
        /// The revisit id.
        id: String,
    },
    /// POST /v1/revisits/ID/cancel: end the revisit at once.
    Cancel {
        /// The revisit id.
        id: String,
    },
    /// POST /v1/revisits/ID/reissue: a new link; the old one dies at once.
    Reissue {
        /// The revisit id.
        id: String,
    },
}

/// `revisit`'s examples, shown after its `--help`.
pub const EXAMPLES: &str = "\
Examples:
  huifang-origin revisit create revisit.json --edge http://127.0.0.1:8787 --secret-file .dev.vars
  cat revisit.json | huifang-origin revisit create - --edge https://revisit-bj.example-insurer.cn
  huifang-origin revisit status Q2xGk9m0aR7sT1uV --ca-file /etc/pki/insurer-ca.pem

Prints the edge's answer (JSON) on stdout.
Exit: 0 on 2xx, 1 a refusal or no answer, 2 bad usage or unreadable input.";

/// `huifang-origin revisit …`: one signed call to the insurer API.
pub async fn cli(args: RevisitArgs) -> ExitCode {
    let edge = &args.edge;
    let client = EdgeUrl::parse(&edge.edge).and_then(|url| {
        let secret = secret_from(edge.secret_file.as_deref())?;
        let transport = Transport::for_edges(std::iter::once(&url), edge.ca_file.as_deref())?;
        Ok(InsurerClient::new(url, secret, transport))
    });
    let client = match client {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string(), 2),
    };
    let answer = match &args.call {
        RevisitCall::Create { body: target } => {
            let body = if target == "-" {
                let mut buf = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
            } else {
                std::fs::read(target)
            };
            match body {
                Ok(body) => client.create(&body).await,
                Err(e) => return fail(&format!("{target}: {e}"), 2),
            }
        }
        RevisitCall::Status { id } => client.status(id).await,
        RevisitCall::Cancel { id } => client.cancel(id).await,
        RevisitCall::Reissue { id } => client.reissue(id).await,
    };
    match answer {
        Ok(a) if a.is_success() => {
            println!("{}", a.body);
            ExitCode::SUCCESS
        }
        Ok(a) => {
            println!("{}", a.body);
            fail(&format!("the edge answered {}", a.refusal()), 1)
        }
        Err(e) => fail(&format!("{}: {e}", client.edge()), 1),
    }
}

fn fail(message: &str, code: u8) -> ExitCode {
    eprintln!("huifang-origin: {message}");
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_urls_are_http_or_https_hosts() {
        let e = EdgeUrl::parse("http://127.0.0.1:8787/").unwrap();
        assert_eq!(e.to_string(), "http://127.0.0.1:8787");
        assert!(!e.is_https());
        let e = EdgeUrl::parse("https://revisit-bj.example-insurer.cn").unwrap();
        assert!(e.is_https());
        for bad in [
            "ftp://x",
            "http://x/v1",
            "http://",
            "https://",
            "x:1",
            "http://a b",
        ] {
            assert!(EdgeUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_refusal_names_the_code_and_message() {
        let a = Answer {
            status: 400,
            body: r#"{"code":"invalid_phone","message":"bad phone"}"#.into(),
        };
        assert!(!a.is_success());
        assert_eq!(a.refusal(), "400 invalid_phone: bad phone");
        let a = Answer {
            status: 502,
            body: "Bad Gateway".into(),
        };
        assert_eq!(a.refusal(), "502 Bad Gateway");
    }
}
