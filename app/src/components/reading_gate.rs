//! The item's text in a box of its own, and the rule that it must be read before it can be answered
//! (R9): scrolled to its end (or short enough to need no scrolling) and on screen for the item's
//! minimum reading time. [`Reading`] is the rule; [`ReadingGate`] only measures the box.

use crate::display::seconds_left;
use crate::i18n::Lang;
use huifang_core::words;
use leptos::ev;
use leptos::html::Div;
use leptos::prelude::*;
use std::time::Duration;

/// Pixels of slack: zoomed pages report fractional scroll positions.
const SLACK_PX: f64 = 2.0;

/// True once the bottom of the content is in view.
pub fn reached_end(scroll_top: f64, client_height: f64, scroll_height: f64) -> bool {
    scroll_top + client_height >= scroll_height - SLACK_PX
}

/// How far the reading of one item has got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    /// The end of the text has been in view.
    pub at_end: bool,
    /// Whole seconds of the minimum reading time still to go.
    pub secs_left: u64,
}

impl Reading {
    /// The answer buttons may be used.
    pub fn ready(self) -> bool {
        self.at_end && self.secs_left == 0
    }

    /// The quiet reminder under the text while the buttons are locked; `None` once they are not.
    /// The end of the text comes first: a countdown is only shown once nothing is left to scroll.
    pub fn hint(self, lang: Lang) -> Option<String> {
        if !self.at_end {
            Some(words::of(lang).read_to_end.to_string())
        } else if self.secs_left > 0 {
            Some((words::of(lang).keep_reading)(self.secs_left))
        } else {
            None
        }
    }
}

/// How long an item has been on screen: time with the page hidden (another app in front, the
/// phone locked) does not count towards its minimum reading time. Times in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScreenTime {
    shown_ms: f64,
    visible_since: Option<f64>,
}

impl ScreenTime {
    /// Starts counting at `now` if the page is `visible`.
    pub fn start(now: f64, visible: bool) -> Self {
        Self {
            shown_ms: 0.0,
            visible_since: visible.then_some(now),
        }
    }

    /// The page was hidden at `now`.
    pub fn hide(&mut self, now: f64) {
        if let Some(since) = self.visible_since.take() {
            self.shown_ms += (now - since).max(0.0);
        }
    }

    /// The page was shown again at `now`.
    pub fn show(&mut self, now: f64) {
        self.visible_since.get_or_insert(now);
    }

    /// Milliseconds on screen up to `now`.
    pub fn shown_ms(self, now: f64) -> f64 {
        self.shown_ms
            + self
                .visible_since
                .map_or(0.0, |since| (now - since).max(0.0))
    }

    /// Whole seconds still to go of `min_secs`, rounded up.
    pub fn secs_left(self, min_secs: u32, now: f64) -> u64 {
        seconds_left(f64::from(min_secs) * 1_000.0, self.shown_ms(now))
    }
}

/// Shows `body` as paragraphs of text in a scrollable box and sets `at_end` once its end has been
/// seen. `at_end` never goes back to false: scrolling up again to re-read is fine.
#[component]
pub fn ReadingGate(body: Vec<String>, at_end: RwSignal<bool>, label: String) -> impl IntoView {
    let node = NodeRef::<Div>::new();
    let check = move || {
        let Some(el) = node.try_get_untracked().flatten() else {
            return;
        };
        let (top, height, full) = (
            f64::from(el.scroll_top()),
            f64::from(el.client_height()),
            f64::from(el.scroll_height()),
        );
        if reached_end(top, height, full) {
            let _ = at_end.try_set(true);
        }
    };
    // A body that fits needs no scrolling: check once it is laid out, and again a little later in
    // case fonts arrive and change its height. The box starts at its top: were the previous item's
    // element ever reused, its scroll position could already be "at the end" of this text.
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            el.set_scroll_top(0);
            request_animation_frame(check);
            set_timeout(check, Duration::from_millis(400));
        }
    });
    // Turning the phone, zooming or large text can bring the end into view without a scroll event.
    let resize = window_event_listener(ev::resize, move |_| check());
    on_cleanup(move || resize.remove());
    let paragraphs = body
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .map(|p| view! { <p>{p}</p> })
        .collect_view();
    view! {
        <div
            class="item-body"
            data-testid="item-body"
            role="region"
            aria-label=label
            tabindex="0"
            node_ref=node
            on:scroll=move |_| check()
        >
            {paragraphs}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_counts_within_two_pixels() {
        // 1000 px of text in a 400 px box.
        assert!(!reached_end(0.0, 400.0, 1000.0));
        assert!(!reached_end(597.0, 400.0, 1000.0));
        assert!(reached_end(598.0, 400.0, 1000.0));
        assert!(reached_end(600.0, 400.0, 1000.0));
        assert!(reached_end(599.5, 400.0, 1000.0));
    }

    #[test]
    fn a_body_that_fits_is_read_at_once() {
        assert!(reached_end(0.0, 400.0, 400.0));
        assert!(reached_end(0.0, 400.0, 120.0));
    }

    #[test]
    fn only_time_on_screen_counts() {
        let mut t = ScreenTime::start(1_000.0, true);
        assert_eq!(t.secs_left(5, 1_000.0), 5);
        assert_eq!(t.secs_left(5, 3_000.0), 3);
        t.hide(3_000.0);
        // Ten minutes in another app: still three seconds to go.
        assert_eq!(t.secs_left(5, 603_000.0), 3);
        t.show(603_000.0);
        t.show(604_000.0); // a second "visible" changes nothing
        assert_eq!(t.secs_left(5, 605_000.0), 1);
        assert_eq!(t.secs_left(5, 606_000.0), 0);
        // Opened in the background: nothing counts until it is shown.
        let mut later = ScreenTime::start(0.0, false);
        assert_eq!(later.secs_left(2, 50_000.0), 2);
        later.show(50_000.0);
        assert_eq!(later.secs_left(2, 51_500.0), 1);
    }

    #[test]
    fn both_the_end_and_the_time_are_needed() {
        let r = |at_end, secs_left| Reading { at_end, secs_left };
        assert!(!r(false, 0).ready());
        assert!(!r(true, 3).ready());
        assert!(r(true, 0).ready());
        assert_eq!(
            r(false, 3).hint(Lang::ZhCn).as_deref(),
            Some("请在上方方框内向下滑动，读完本项后再回答。")
        );
        assert_eq!(
            r(true, 3).hint(Lang::ZhCn).as_deref(),
            Some("请继续阅读（还需 3 秒）")
        );
        assert_eq!(
            r(true, 1).hint(Lang::En).as_deref(),
            Some("Please keep reading (1\u{a0}s)")
        );
        assert_eq!(r(true, 0).hint(Lang::En), None);
    }
}
