//! The router, and serving it on a socket until SIGINT or SIGTERM.

use crate::archive::sqlite::SqliteArchive;
use crate::archive::ArchiveError;
use crate::server::error::OriginError;
use crate::server::settings::Settings;
use crate::server::state::AppState;
use crate::server::{policies, records, report, sms};
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::Arc;

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
    if state.settings.dev_mode {
        router = router.route("/sms/outbox", get(sms::outbox));
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
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
        source: ArchiveError,
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
pub async fn serve(settings: Settings) -> Result<(), ServeError> {
    let Settings { listen, db, api } = settings;
    let archive = SqliteArchive::open(&db).map_err(|source| ServeError::Archive {
        path: db.display().to_string(),
        source,
    })?;
    let dev_mode = api.dev_mode;
    let admin = api.admin_token.is_some();
    let state = AppState::new(Arc::new(archive), api);
    let listen_error = |source| ServeError::Listen {
        listen: listen.clone(),
        source,
    };
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(listen_error)?;
    let addr = listener.local_addr().map_err(listen_error)?;
    if dev_mode {
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
