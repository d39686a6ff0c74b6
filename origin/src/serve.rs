//! `huifang-origin serve`: where the parts meet. The archive is opened, the dev outbox wired in as
//! the SMS gateway, and the API served on a socket until SIGINT or SIGTERM, all with the
//! [`Settings`] read once at startup.

use crate::archive::{Archive, ArchiveError};
use crate::console::settings::ConsoleSettings;
use crate::dev::outbox::Outbox;
use crate::server::settings::Settings;
use crate::server::{app, AppState};
use huifang_core::working_days::{CalendarError, WorkingCalendar};
use std::sync::Arc;

/// Why `serve` stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The archive could not be opened.
    #[error("cannot open the archive {path}: {source}")]
    Archive {
        /// The configured file or database (without its password).
        path: String,
        /// Why.
        source: ArchiveError,
    },
    /// The edge's insurer API cannot be set up (`--edge-url`, the secret, the TLS roots).
    #[error("--edge-url: {0}")]
    Edge(crate::insurer::client::ClientError),
    /// The shipped holiday table does not load.
    #[error("the holiday table: {0}")]
    Calendar(CalendarError),
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
    let Settings {
        listen,
        db,
        receipts,
        api,
        https,
        casework_time,
        edge,
    } = settings;
    // Opening may wait on a database server (and migrates): off the async threads.
    let path = db.to_string();
    let archive = tokio::task::spawn_blocking(move || db.open())
        .await
        .map_err(|e| ArchiveError::Storage(format!("opening task: {e}")))
        .and_then(|opened| opened)
        .map_err(|source| ServeError::Archive { path, source })?;
    let dev_mode = api.dev_mode;
    let admin = api.admin_token.is_some();
    // R12: the shipped holiday table is validated by the core's tests; a build whose table does
    // not load must not serve.
    let calendar = WorkingCalendar::shipped().map_err(ServeError::Calendar)?;
    let gateway = Arc::new(Outbox::new(Arc::clone(&archive) as Arc<dyn Archive>));
    // Tests only (dev mode, checked by `Settings::from_args`): the casework runs from that time.
    let casework_offset = casework_time.map_or(0, |t| {
        let now = crate::clock::system_clock();
        let ms = |t: huifang_core::Timestamp| i64::try_from(t.millis()).unwrap_or(i64::MAX);
        let offset = ms(t) - ms(now);
        eprintln!(
            "origin: TEST casework time {} (offset {offset} ms)",
            t.to_rfc3339()
        );
        offset
    });
    // Receipts uploaded in the console are kept as files, each named by its SHA-256.
    let state = AppState::over(archive, gateway, api, calendar)
        .with_console(ConsoleSettings {
            secure_cookie: https,
            receipts_dir: Some(receipts),
        })
        .with_casework_offset(casework_offset);

    let state = match edge {
        Some((url, secret_file)) => {
            use crate::insurer::client::{secret_from, EdgeUrl, InsurerClient, Transport};
            let client = EdgeUrl::parse(&url)
                .and_then(|edge| {
                    let secret = secret_from(secret_file.as_deref())?;
                    Ok(InsurerClient::new(edge, secret, Transport::new(None)?))
                })
                .map_err(ServeError::Edge)?;
            eprintln!("origin: the console asks {url} for new revisits");
            state.with_insurer(client)
        }
        None => state,
    };
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
    println!("staff console on http://{addr}/console");
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
