//! The language of the pages. Every word the policyholder reads is in the core
//! ([`huifang_core::words`]), one table per language, shared with the edge's fallback pages;
//! here is only the choice of language before the session has said which one it uses.

pub use huifang_core::script::Lang;

/// The language a browser asks for (`navigator.languages`, already in order of preference: the
/// first we offer wins; Chinese if none), before the session has said which one it uses. Tag by
/// tag, not the core's Accept-Language parser: its q-values would bring float parsing into the app.
pub fn from_browser(tags: &[String]) -> Lang {
    tags.iter()
        .find_map(|tag| Lang::from_tag(tag))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_language_picks_the_first_we_offer() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(from_browser(&tags(&["en-US", "zh-CN"])), Lang::En);
        assert_eq!(from_browser(&tags(&["fr-FR", "zh-TW", "en"])), Lang::ZhCn);
        assert_eq!(from_browser(&tags(&["fr"])), Lang::ZhCn);
        assert_eq!(from_browser(&[]), Lang::ZhCn);
    }
}
