//! The item's text in a box of its own, and the rule that it must be read to its end before it can be
//! answered (R9): scrolled to the bottom, or short enough to need no scrolling.

use crate::display::paragraphs;
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

/// Shows `body` as paragraphs of text in a scrollable box and sets `read` once its end has been seen.
/// `read` never goes back to false: scrolling up again to re-read is fine.
#[component]
pub fn ReadingGate(body: String, read: RwSignal<bool>, label: String) -> impl IntoView {
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
            let _ = read.try_set(true);
        }
    };
    // A body that fits needs no scrolling: check once it is laid out, and again a little later in
    // case fonts arrive and change its height.
    Effect::new(move |_| {
        if node.get().is_some() {
            request_animation_frame(check);
            set_timeout(check, Duration::from_millis(400));
        }
    });
    // Turning the phone or zooming can bring the end into view without a scroll event.
    let resize = window_event_listener(ev::resize, move |_| check());
    on_cleanup(move || resize.remove());
    let paragraphs = paragraphs(&body)
        .into_iter()
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
}
