//! A client of the edge's insurer API, as the insurer's own systems call it: every request signed
//! with the shared secret (`v1=` HMAC-SHA256, see `huifang_core::signing` and the README's
//! "Signing"), sent over HTTP/1.1 on one kept-alive connection. `huifang-origin revisit …` and
//! `huifang-origin batch` use it.
//!
//! It speaks plain HTTP: enough for a local edge, or an edge reached through the insurer's
//! TLS-terminating egress proxy. It carries no TLS stack of its own, to keep the origin lean.

use crate::dev::secrets::{parse_dotenv, INSURER_API_SECRET};
use http_body_util::{BodyExt, Full};
use huifang_core::signing::{
    insurer_signature, string_to_sign, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::ExitCode;
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
    /// No connection to the edge.
    #[error("cannot connect to {0}: {1}")]
    Connect(String, std::io::Error),
    /// The HTTP exchange failed.
    #[error("{0}")]
    Http(#[from] hyper::Error),
    /// A request that could not be built (a bad path).
    #[error("request: {0}")]
    Request(#[from] hyper::http::Error),
    /// No answer in time.
    #[error("no answer within {} s", REQUEST_TIMEOUT.as_secs())]
    Timeout,
}

/// Where the edge is: `http://host[:port]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EdgeUrl {
    /// `host:port` to connect to.
    addr: String,
    /// The `Host` header.
    host: String,
    /// The URL as given, without a trailing slash (links and messages).
    text: String,
}

impl EdgeUrl {
    /// Parses `http://host[:port]` (a trailing slash is allowed; a path is not: the edge signs
    /// paths from its root).
    pub fn parse(url: &str) -> Result<Self, ClientError> {
        let text = url.trim().trim_end_matches('/').to_string();
        let bad = |why| ClientError::BadUrl(url.to_string(), why);
        if text.starts_with("https://") {
            return Err(bad("https needs TLS, which this sample client does not carry: call the edge through a TLS-terminating proxy, or use the curl recipe in the README"));
        }
        let rest = text
            .strip_prefix("http://")
            .ok_or_else(|| bad("must start with http://"))?;
        if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
            return Err(bad("must be http://host[:port] with no path"));
        }
        let addr = if rest
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            rest.to_string()
        } else {
            format!("{rest}:80")
        };
        Ok(Self {
            addr,
            host: rest.to_string(),
            text,
        })
    }
}

impl std::fmt::Display for EdgeUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Everything a signature is made of, for the README's worked example and for debugging a refusal.
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
        body_sha256: hex::encode(Sha256::digest(body)),
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
pub fn secret_from(file: Option<&str>) -> Result<Vec<u8>, ClientError> {
    match file {
        Some(f) => read_secret(Path::new(f)),
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

/// A signing client bound to one edge; keeps one connection open between calls.
pub struct InsurerClient {
    edge: EdgeUrl,
    secret: Vec<u8>,
    conn: Option<SendRequest<Full<Bytes>>>,
}

impl InsurerClient {
    pub fn new(edge: EdgeUrl, secret: Vec<u8>) -> Self {
        Self {
            edge,
            secret,
            conn: None,
        }
    }

    pub fn edge(&self) -> &EdgeUrl {
        &self.edge
    }

    /// `POST /v1/revisits` with `body` (JSON, sent as given).
    pub async fn create(&mut self, body: &[u8]) -> Result<Answer, ClientError> {
        self.send("POST", "/v1/revisits", body).await
    }

    /// `GET /v1/revisits/{id}`.
    pub async fn status(&mut self, id: &str) -> Result<Answer, ClientError> {
        self.send("GET", &format!("/v1/revisits/{id}"), b"").await
    }

    /// `POST /v1/revisits/{id}/cancel`.
    pub async fn cancel(&mut self, id: &str) -> Result<Answer, ClientError> {
        self.send("POST", &format!("/v1/revisits/{id}/cancel"), b"")
            .await
    }

    /// `POST /v1/revisits/{id}/reissue`.
    pub async fn reissue(&mut self, id: &str) -> Result<Answer, ClientError> {
        self.send("POST", &format!("/v1/revisits/{id}/reissue"), b"")
            .await
    }

    /// Signs and sends one request. A request is never sent twice: a create is not idempotent.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<Answer, ClientError> {
        tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(method, path, body))
            .await
            .map_err(|_| {
                self.conn = None;
                ClientError::Timeout
            })?
    }

    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<Answer, ClientError> {
        let ts = crate::clock::system_clock().seconds();
        let signed = sign(&self.secret, method, path, ts, body);
        let request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.edge.host)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(HEADER_TIMESTAMP, ts.to_string())
            .header(HEADER_SIGNATURE, signed.signature)
            .body(Full::new(Bytes::copy_from_slice(body)))?;
        let conn = self.ready_connection().await?;
        let response = match conn.send_request(request).await {
            Ok(r) => r,
            Err(e) => {
                self.conn = None;
                return Err(e.into());
            }
        };
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok(Answer {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    /// The open connection if it can take a request, else a new one (nothing has been sent on
    /// a connection found closed here, so opening another is safe).
    async fn ready_connection(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, ClientError> {
        if let Some(mut conn) = self.conn.take() {
            if conn.ready().await.is_ok() {
                return Ok(self.conn.insert(conn));
            }
        }
        let stream = tokio::net::TcpStream::connect(&self.edge.addr)
            .await
            .map_err(|e| ClientError::Connect(self.edge.addr.clone(), e))?;
        stream.set_nodelay(true).ok();
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // Ends when the edge closes the connection or the client drops its sender.
            let _ = connection.await;
        });
        Ok(self.conn.insert(sender))
    }
}

const USAGE: &str = "\
usage:
  huifang-origin revisit create FILE|-  [--edge URL] [--secret-file PATH]   body: the JSON of POST /v1/revisits
  huifang-origin revisit status ID      [--edge URL] [--secret-file PATH]
  huifang-origin revisit cancel ID      [--edge URL] [--secret-file PATH]
  huifang-origin revisit reissue ID     [--edge URL] [--secret-file PATH]
      --edge         the edge, http://host[:port] (HUIFANG_EDGE_URL; default http://127.0.0.1:8787)
      --secret-file  a dotenv file with INSURER_API_SECRET (default: the INSURER_API_SECRET
                     environment variable, else .dev.vars)
  Prints the edge's answer (JSON) on stdout; exit 0 on 2xx, 1 otherwise.";

/// `huifang-origin revisit …`: one signed call to the insurer API.
pub async fn cli(args: &[String]) -> ExitCode {
    let mut edge =
        std::env::var("HUIFANG_EDGE_URL").unwrap_or_else(|_| "http://127.0.0.1:8787".into());
    let mut secret_file = None;
    let mut positional = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--edge" | "--secret-file" => {
                let Some(value) = it.next() else {
                    return usage(&format!("{arg} needs a value"));
                };
                if arg == "--edge" {
                    edge = value.clone();
                } else {
                    secret_file = Some(value.clone());
                }
            }
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            a if a.starts_with("--") => return usage(&format!("unknown option {a}")),
            _ => positional.push(arg.clone()),
        }
    }
    let [command, target] = positional.as_slice() else {
        return usage("a command and its argument are needed");
    };
    let client = EdgeUrl::parse(&edge).and_then(|edge| {
        Ok(InsurerClient::new(
            edge,
            secret_from(secret_file.as_deref())?,
        ))
    });
    let mut client = match client {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string(), 2),
    };
    let answer = match command.as_str() {
        "create" => {
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
        "status" => client.status(target).await,
        "cancel" => client.cancel(target).await,
        "reissue" => client.reissue(target).await,
        other => return usage(&format!("unknown command {other}")),
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

fn usage(message: &str) -> ExitCode {
    eprintln!("huifang-origin revisit: {message}\n{USAGE}");
    ExitCode::from(2)
}

fn fail(message: &str, code: u8) -> ExitCode {
    eprintln!("huifang-origin: {message}");
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_urls_are_plain_http_hosts() {
        let e = EdgeUrl::parse("http://127.0.0.1:8787/").unwrap();
        assert_eq!(
            (e.addr.as_str(), e.host.as_str()),
            ("127.0.0.1:8787", "127.0.0.1:8787")
        );
        assert_eq!(e.to_string(), "http://127.0.0.1:8787");
        let e = EdgeUrl::parse("http://edge.internal").unwrap();
        assert_eq!(
            (e.addr.as_str(), e.host.as_str()),
            ("edge.internal:80", "edge.internal")
        );
        for bad in [
            "https://revisit-bj.example-insurer.cn",
            "ftp://x",
            "http://x/v1",
            "http://",
            "x:1",
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
