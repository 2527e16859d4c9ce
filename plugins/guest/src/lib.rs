//! The guest SDK of Sidecoach plugins: what a plugin crate needs besides
//! its own logic. A plugin is a `wasm32-wasip2` component exporting one of
//! four worlds of `wit/<api>/sidecoach.wit`; this crate writes the component
//! glue for each and gives adapters the helpers every vendor payload needs.
//!
//! # One export macro per world
//!
//! | world | macro | the function you write |
//! |---|---|---|
//! | `adapter` (API 0.3.0, 0.2.0, 0.1.0) | [`export_adapter!`] | `fn(InboundRequest) -> Result<IngestOutput, PluginError>` |
//! | `scorer` (API 0.1.0) | [`export_scorer!`] | `fn(Form, Vec<Evaluation>) -> Vec<Result<Scorecard, PluginError>>` |
//! | `matcher` (API 0.1.0) | [`export_matcher!`] | `fn(Vec<Protege>, Vec<Mentor>) -> Result<Vec<PairScore>, PluginError>` |
//! | `flagger` (API 0.1.0) | [`export_flagger!`] | `fn(Vec<Event>) -> Result<Vec<Flag>, PluginError>` |
//!
//! Each macro expands in your crate to a `bindings` module (wit-bindgen's
//! generated types and host imports: `bindings::sidecoach::plugin::types`,
//! `bindings::sidecoach::plugin::host::{log, config_get, now_ms}`), the
//! exported component, and a unit test that `describe()` matches your
//! `plugin.toml`. `sidecoach plugin new` writes a project that uses them.
//!
//! # Helpers (plain Rust, tested natively)
//!
//! * [`json`] — the body's JSON documents (one value or JSON lines) and
//!   [`json::Rec`], typed getters whose errors name the field's dotted path
//!   (`participants[2].sessions[0].metrics[4].value`);
//! * [`time`] — vendor time formats (ISO 8601 with or without offset, epoch
//!   seconds or milliseconds) to epoch milliseconds, range-checked;
//! * [`fault`] — errors in plain Rust ([`fault::invalid`],
//!   [`fault::unsupported`]…) and [`plugin_errors!`], which turns them into
//!   your WIT `plugin-error` with the right `error-code`;
//! * [`signature`] — HMAC request signatures (Twilio, Zendesk, Qualtrics);
//! * [`config`] — the source's options (`source-config` of the request);
//! * [`form_pairs`], [`header`], [`media_type`], [`topic_slug`].
//!
//! # Layout
//!
//! * `export.rs` — [`export_adapter!`]; `worlds.rs` — the other three;
//!   [`manifest`] — what the macros' unit test reads of `plugin.toml`;
//! * this file — form bodies, headers and topic slugs.

pub mod config;
mod export;
pub mod fault;
pub mod json;
pub mod manifest;
pub mod signature;
pub mod time;
mod worlds;

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
