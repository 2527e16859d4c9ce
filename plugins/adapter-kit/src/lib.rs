//! Pure helpers shared by the vendor adapter plugins. No WIT bindings here:
//! every adapter generates its own, and this crate only deals in plain Rust
//! types so it is tested natively. What must touch an adapter's bindings is a
//! macro expanded in the adapter: [`export_adapter!`] (the bindings and the
//! exported component) and [`plugin_errors!`] (its `plugin-error`s).
//!
//! # Layout
//!
//! * [`config`] — the source's options; [`fault`] — errors in plain Rust and
//!   [`plugin_errors!`]; [`json`], [`signature`], [`time`] — payload helpers;
//! * `export.rs` — [`export_adapter!`]; [`manifest`] — what its unit test reads
//!   of `plugin.toml`;
//! * this file — form bodies, headers and topic slugs.

pub mod config;
mod export;
pub mod fault;
pub mod json;
pub mod manifest;
pub mod signature;
pub mod time;

/// Decode an `application/x-www-form-urlencoded` body into ordered pairs.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// The first value of a header (names compared case-insensitively).
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The media type of a `content-type` header, lower-cased, without parameters.
pub fn media_type(headers: &[(String, String)]) -> Option<String> {
    header(headers, "content-type").map(|v| {
        v.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    })
}

/// A coaching topic in its canonical form: lower-case words joined by `-`
/// (`"Product Knowledge"`, `"product_knowledge"` → `"product-knowledge"`).
/// Returns `None` when nothing alphanumeric is left.
pub fn topic_slug(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    for word in raw
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_slugs() {
        assert_eq!(
            topic_slug("Product Knowledge").as_deref(),
            Some("product-knowledge")
        );
        assert_eq!(
            topic_slug(" product_knowledge ").as_deref(),
            Some("product-knowledge")
        );
        assert_eq!(
            topic_slug("Billing/Refunds").as_deref(),
            Some("billing-refunds")
        );
        assert_eq!(topic_slug(" -- "), None);
    }

    #[test]
    fn form_pairs_decode_plus_and_percent() {
        let pairs = form_pairs(b"a=1&TaskAttributes=%7B%22x%22%3A1%7D&b=two+words");
        assert_eq!(
            pairs,
            vec![
                ("a".to_string(), "1".to_string()),
                ("TaskAttributes".to_string(), "{\"x\":1}".to_string()),
                ("b".to_string(), "two words".to_string()),
            ]
        );
    }

    #[test]
    fn media_type_strips_parameters() {
        let h = vec![(
            "Content-Type".to_string(),
            "Application/JSON; charset=utf-8".to_string(),
        )];
        assert_eq!(media_type(&h).as_deref(), Some("application/json"));
        assert_eq!(
            header(&h, "content-type"),
            Some("Application/JSON; charset=utf-8")
        );
        assert_eq!(media_type(&[]), None);
    }
}
