//! The item's text in a box of its own, and the rule that it must be read before it can be answered
//! (R9): scrolled to its end (or short enough to need no scrolling) and on screen for the item's
//! minimum reading time. [`Reading`] is the rule; [`ReadingGate`] only measures the box.

use crate::i18n::{self, Lang};
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
            Some(i18n::text(lang).read_to_end.to_string())
        } else if self.secs_left > 0 {
            Some(i18n::keep_reading(lang, self.secs_left))
        } else {
            None
        }
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
