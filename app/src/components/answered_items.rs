//! A look back at the items already answered, read-only (R9): their text as shown, the answer
//! given and any comment. Folded away under a native `<details>`, so it costs no attention until
//! asked for and works with any screen reader.

use crate::i18n::Lang;
use huifang_core::session::AnswerKind;
use huifang_core::wire::ItemView;
use huifang_core::words;
use leptos::prelude::*;

/// The mark next to an answered item (the look-back list, the review page).
pub fn answer_mark(lang: Lang, answer: Option<AnswerKind>) -> &'static str {
    let t = words::of(lang);
    match answer {
        Some(AnswerKind::Yes) => t.answered_mark_yes,
        Some(AnswerKind::No) => t.answered_mark_no,
        None => t.answered_mark_none,
    }
}

/// The answered items among `items`, folded; nothing at all before the first answer.
#[component]
pub fn AnsweredItems(items: Vec<ItemView>, lang: Lang) -> impl IntoView {
    let answered: Vec<ItemView> = items.into_iter().filter(|i| i.answer.is_some()).collect();
    if answered.is_empty() {
        return None;
    }
    let t = words::of(lang);
    let summary = (t.answered_items)(answered.len());
    let list = answered
        .into_iter()
        .map(|item| {
            let doubt = item.answer == Some(AnswerKind::No);
            let comment = item
                .comment
                .filter(|c| !c.trim().is_empty())
                .map(|c| view! { <p class="answered-comment">{t.your_comment}{c}</p> });
            view! {
                <li>
                    <p class="answered-title">
                        <strong>{item.title}</strong>
                        " "
                        <span class="mark" class:doubt=doubt>{answer_mark(lang, item.answer)}</span>
                    </p>
                    {item.body.into_iter().map(|p| view! { <p>{p}</p> }).collect_view()}
                    {comment}
                </li>
            }
        })
        .collect_view();
    Some(view! {
        <details class="answered" data-testid="answered-items">
            <summary>{summary}</summary>
            <ol class="answered-list">{list}</ol>
        </details>
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_marked_in_both_languages() {
        assert_eq!(answer_mark(Lang::ZhCn, Some(AnswerKind::Yes)), "已确认");
        assert_eq!(answer_mark(Lang::ZhCn, Some(AnswerKind::No)), "有疑问");
        assert_eq!(answer_mark(Lang::En, None), "Not answered");
    }
}
