//! Huifang's origin: the insurer's reference receiver. It verifies and archives the sealed revisit
//! records the edge forwards, chained across records (R2–R4, R11, R12), keeps them for ten years
//! after the contract's termination (R5), lists and exports them for the insurer and its auditors,
//! prints an evidence report per revisit (R3), and hosts the SMS gateway hook the edge calls (R8).
//!
//! [`app`] builds the router (tests drive it directly); [`serve`] runs it on a socket.

pub mod admin;
pub mod archive;
pub mod batch;
#[cfg(any(test, feature = "bench"))]
pub mod bench;
pub mod calendar;
pub mod chain;
pub mod config;
pub mod dev_secrets;
pub mod error;
pub mod export;
pub mod flags;
pub mod insurer_client;
pub mod policies;
pub mod records;
pub mod report;
pub mod sms;
pub mod verify;

use crate::admin::AdminToken;
use crate::archive::{Archive, SqliteArchive};
use crate::config::ServeConfig;
use crate::error::OriginError;
use crate::sms::{Outbox, SmsGateway};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderMap};
use axum::routing::{get, post};
use axum::{Json, Router};
use huifang_core::signing::TrustedKeys;
use huifang_core::Timestamp;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// Where handlers read the time from; tests pass a fixed one.
pub type Clock = fn() -> Timestamp;

/// The wall clock.
pub fn system_clock() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    Timestamp::from_millis(ms)
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The e-archive.
    pub archive: Arc<dyn Archive>,
    /// Where `POST /sms` hands messages.
    pub gateway: Arc<dyn SmsGateway>,
    /// The edge keys accepted for request signatures and record seals.
    pub keys: Arc<TrustedKeys>,
    /// Whether `GET /sms/outbox` is served (dev mode: the evidence report is then open too).
    pub sms_outbox: bool,
    /// The insurer's admin token; `None` turns the admin calls off.
    pub admin_token: Option<Arc<AdminToken>>,
    /// The time source.
    pub clock: Clock,
}

impl AppState {
    /// State over `archive`, with the outbox as SMS gateway and the wall clock.
    pub fn new(archive: Arc<dyn Archive>, keys: TrustedKeys, sms_outbox: bool) -> Self {
        Self {
            gateway: Arc::new(Outbox::new(Arc::clone(&archive))),
            archive,
            keys: Arc::new(keys),
            sms_outbox,
            admin_token: None,
            clock: system_clock,
        }
    }

    /// The same state accepting `token` for the insurer's admin calls.
    pub fn with_admin_token(self, token: Option<AdminToken>) -> Self {
        Self {
            admin_token: token.map(Arc::new),
            ..self
        }
    }

    /// The same state reading time from `clock`.
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }
}

/// `{"ok":true}`
#[derive(serde::Serialize)]
struct Health {
    ok: bool,
}

async fn healthz() -> Json<Health> {
    Json(Health { ok: true })
}

async fn not_found() -> OriginError {
    OriginError::NotFound
}

async fn method_not_allowed() -> OriginError {
    OriginError::MethodNotAllowed
}

/// The origin's router.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route(
            sms::SMS_PATH,
            post(sms::send).layer(DefaultBodyLimit::max(sms::MAX_SMS_BODY)),
        )
        .route(
            "/records",
            post(records::receive).layer(DefaultBodyLimit::max(records::MAX_RECORD_BODY)),
        )
        .route("/records", get(records::list))
        .route("/records/{revisit_id}", get(records::show))
        .route("/records/{revisit_id}/report", get(report::show))
        .route(
            "/policies/{policy_number}/termination",
            post(policies::terminate).layer(DefaultBodyLimit::max(policies::MAX_TERMINATION_BODY)),
        );
    if state.sms_outbox {
        router = router.route("/sms/outbox", get(sms::outbox));
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// Parses a JSON request body, refusing any other content type.
pub(crate) fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, OriginError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(OriginError::UnsupportedMediaType);
    }
    serde_json::from_slice(body).map_err(|e| OriginError::BadJson(e.to_string()))
}

/// Runs blocking work (the archive, the gateway) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, OriginError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| OriginError::Internal(format!("blocking task: {e}")))
}

/// Why `serve` stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The archive could not be opened.
    #[error("cannot open the archive {path}: {source}")]
    Archive {
        /// The configured file.
        path: String,
        /// Why.
        source: archive::ArchiveError,
    },
    /// The socket could not be bound or served.
    #[error("cannot listen on {listen}: {source}")]
    Listen {
        /// The configured address.
        listen: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Opens the archive, binds the socket, prints `origin listening on http://ADDR` and serves until
/// SIGINT or SIGTERM.
pub async fn serve(config: ServeConfig) -> Result<(), ServeError> {
    let archive = SqliteArchive::open(&config.db).map_err(|source| ServeError::Archive {
        path: config.db.display().to_string(),
        source,
    })?;
    let admin = config.admin_token.is_some();
    let state = AppState::new(Arc::new(archive), config.edge_keys, config.sms_outbox)
        .with_admin_token(config.admin_token);
    let listen_error = |source| ServeError::Listen {
        listen: config.listen.clone(),
        source,
    };
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(listen_error)?;
    let addr = listener.local_addr().map_err(listen_error)?;
    if config.sms_outbox {
        eprintln!(
            "origin: dev mode: GET /sms/outbox and the evidence reports are open (local and test use only)"
        );
    }
    if !admin {
        eprintln!("origin: no admin token: GET /records and the termination reports are off");
    }
    println!("origin listening on http://{addr}");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(listen_error)?;
    eprintln!("origin: stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            eprintln!("origin: cannot listen for SIGINT: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                eprintln!("origin: cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
