//! What every handler shares: the archive, the case log, the staff store, the SMS gateway, the
//! settings read at startup, the holiday calendar, and the clock.

use crate::archive::{Archive, Store};
use crate::casework::CaseStore;
use crate::clock::{system_clock, Clock};
use crate::console::accounts::StaffStore;
use crate::console::settings::ConsoleSettings;
use crate::server::gateway::SmsGateway;
use crate::server::settings::ApiSettings;
use huifang_core::working_days::WorkingCalendar;
use std::sync::Arc;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The e-archive.
    pub archive: Arc<dyn Archive>,
    /// The case log (in the archive's store).
    pub cases: Arc<dyn CaseStore>,
    /// The staff console's accounts, sessions and staff log (in the archive's store).
    pub staff: Arc<dyn StaffStore>,
    /// The staff console's settings (secure cookies, where receipts are kept).
    pub console: Arc<ConsoleSettings>,
    /// Where `POST /sms` hands messages.
    pub gateway: Arc<dyn SmsGateway>,
    /// The settings read once at startup: trusted keys, dev mode, admin token.
    pub settings: Arc<ApiSettings>,
    /// The working-day calendar (R12's 15 working days).
    pub calendar: Arc<WorkingCalendar>,
    /// The time source.
    pub clock: Clock,
}

impl AppState {
    /// State over `store` (the archive and its case log) and `gateway`, with `settings`, the
    /// holiday `calendar` and the wall clock.
    pub fn new<S: Store + 'static>(
        store: Arc<S>,
        gateway: Arc<dyn SmsGateway>,
        settings: ApiSettings,
        calendar: WorkingCalendar,
    ) -> Self {
        Self::over(store, gateway, settings, calendar)
    }

    /// [`AppState::new`] over the store of whichever engine `--db` chose.
    pub fn over(
        store: Arc<dyn Store>,
        gateway: Arc<dyn SmsGateway>,
        settings: ApiSettings,
        calendar: WorkingCalendar,
    ) -> Self {
        Self {
            gateway,
            cases: Arc::clone(&store) as Arc<dyn CaseStore>,
            staff: Arc::clone(&store) as Arc<dyn StaffStore>,
            console: Arc::new(ConsoleSettings::default()),
            archive: store,
            settings: Arc::new(settings),
            calendar: Arc::new(calendar),
            clock: system_clock,
        }
    }

    /// The same state reading time from `clock`.
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    /// The same state with the console's `settings`.
    pub fn with_console(self, settings: ConsoleSettings) -> Self {
        Self {
            console: Arc::new(settings),
            ..self
        }
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
