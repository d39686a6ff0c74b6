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
    /// The sample log and the sampling frame (R13).
    pub sampling: Arc<dyn crate::sampling::SampleStore>,
    /// The statistics' counts (R14, R15).
    pub stats: Arc<dyn crate::statistics::StatsStore>,
    /// The staff console's accounts, sessions and staff log (in the archive's store).
    pub staff: Arc<dyn StaffStore>,
    /// The staff console's settings (secure cookies, where receipts are kept).
    pub console: Arc<ConsoleSettings>,
    /// Where `POST /sms` hands messages.
    pub gateway: Arc<dyn SmsGateway>,
    /// The face check provider behind `POST /face/start` and `/face/result` (R8): the simulated
    /// one in dev mode, none otherwise (an insurer plugs its own in here).
    pub face: Option<Arc<dyn crate::server::face_provider::FaceProvider>>,
    /// The settings read once at startup: trusted keys, dev mode, admin token.
    pub settings: Arc<ApiSettings>,
    /// The working-day calendar (R12's 15 working days).
    pub calendar: Arc<WorkingCalendar>,
    /// The time source.
    pub clock: Clock,
    /// Milliseconds added to the clock for the casework alone (its sweeps, deadlines, call hours
    /// and entries): 0 but in tests that drive a fallback task through its cooling-off period
    /// (`serve --test-casework-time`, dev mode only). Signatures, staff sessions and the archive
    /// keep the clock itself.
    pub casework_offset_ms: i64,
    /// The edge's insurer API, signed with the insurer's secret, when `serve --edge-url` gives
    /// it: a problem case's new electronic revisit is asked of it (R12).
    pub insurer: Option<Arc<crate::insurer::client::InsurerClient>>,
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
            sampling: Arc::clone(&store) as Arc<dyn crate::sampling::SampleStore>,
            stats: Arc::clone(&store) as Arc<dyn crate::statistics::StatsStore>,
            staff: Arc::clone(&store) as Arc<dyn StaffStore>,
            console: Arc::new(ConsoleSettings::default()),
            archive: store,
            settings: Arc::new(settings),
            calendar: Arc::new(calendar),
            clock: system_clock,
            casework_offset_ms: 0,
            insurer: None,
            // R8: none until one is plugged in (`with_face`); in dev mode the router plugs in
            // the simulated provider, whose page it serves (`server::app`).
            face: None,
        }
    }

    /// The same state with this face check `provider`.
    pub fn with_face(self, provider: Arc<dyn crate::server::face_provider::FaceProvider>) -> Self {
        Self {
            face: Some(provider),
            ..self
        }
    }

    /// The same state calling the edge's insurer API through `client`.
    pub fn with_insurer(self, client: crate::insurer::client::InsurerClient) -> Self {
        Self {
            insurer: Some(Arc::new(client)),
            ..self
        }
    }

    /// The same state with the casework `offset_ms` from the clock.
    pub fn with_casework_offset(self, offset_ms: i64) -> Self {
        Self {
            casework_offset_ms: offset_ms,
            ..self
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

    /// The casework's current time: the clock, shifted by the test-only offset (0 otherwise).
    pub fn casework_now(&self) -> huifang_core::Timestamp {
        shifted(self.now(), self.casework_offset_ms)
    }
}

/// `t` moved by `offset_ms`, within the representable range.
pub fn shifted(t: huifang_core::Timestamp, offset_ms: i64) -> huifang_core::Timestamp {
    let ms = if offset_ms >= 0 {
        t.millis().saturating_add(offset_ms.unsigned_abs())
    } else {
        t.millis().saturating_sub(offset_ms.unsigned_abs())
    };
    huifang_core::Timestamp::from_millis(ms)
}

/// Runs blocking work (the archive, the gateway) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, crate::server::error::OriginError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| crate::server::error::OriginError::Internal(format!("blocking task: {e}")))
}
