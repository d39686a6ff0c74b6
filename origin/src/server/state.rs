//! What every handler shares: the archive, the SMS gateway, the settings read at startup, and the
//! clock.

use crate::archive::Archive;
use crate::clock::{system_clock, Clock};
use crate::server::gateway::SmsGateway;
use crate::server::settings::ApiSettings;
use std::sync::Arc;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The e-archive.
    pub archive: Arc<dyn Archive>,
    /// Where `POST /sms` hands messages.
    pub gateway: Arc<dyn SmsGateway>,
    /// The settings read once at startup: trusted keys, dev mode, admin token.
    pub settings: Arc<ApiSettings>,
    /// The time source.
    pub clock: Clock,
}

impl AppState {
    /// State over `archive` and `gateway` with `settings` and the wall clock.
    pub fn new(
        archive: Arc<dyn Archive>,
        gateway: Arc<dyn SmsGateway>,
        settings: ApiSettings,
    ) -> Self {
        Self {
            gateway,
            archive,
            settings: Arc::new(settings),
            clock: system_clock,
        }
    }

    /// The same state reading time from `clock`.
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    /// The current time.
    pub fn now(&self) -> huifang_core::Timestamp {
        (self.clock)()
    }
}

/// Runs blocking work (the archive, the gateway) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, crate::server::error::OriginError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| crate::server::error::OriginError::Internal(format!("blocking task: {e}")))
}
