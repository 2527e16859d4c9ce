//! Twilio's request signature, `X-Twilio-Signature`.
//!
//! `base64(HMAC-SHA1(key = auth token, message = full URL + every POST
//! parameter as name + value, sorted by name; a repeated name contributes each
//! of its values, sorted))`, compared in constant time.
//!
//! * The URL is tried as given and with its default port toggled: a URL with
//!   `:443` (https) or `:80` (http) is also tried without it, one without a
//!   port also with it, as Twilio's own validators do (a proxy in front of the
//!   host may add or drop the port).
//! * Twilio's Python validator drops repeated identical name/value pairs before
//!   signing, the others keep them; when a body has such duplicates both forms
//!   are tried.
//! * JSON bodies: the URL carries `bodySHA256=<hex SHA-256 of the body>`; the
//!   signature covers the URL alone (no parameters appended), and the body must
//!   hash to that value.

use crate::bindings::sidecoach::plugin::types::PluginError;
use crate::errors;
use sidecoach_guest::signature::{base64, constant_time_eq, hmac_sha1, sha256_hex};

/// The signature header (names arrive in lower case).
pub const HEADER: &str = "x-twilio-signature";

/// The query parameter that carries a JSON body's hash.
pub const BODY_HASH_PARAM: &str = "bodySHA256";

/// The error field naming the signature header.
fn field() -> String {
    format!("headers.{HEADER}")
}

/// A `signature-invalid` error about the header.
fn rejected(message: impl Into<String>) -> PluginError {
    errors::signature(field(), message)
}

/// The signature Twilio sends for `url` and form `params`.
pub fn compute(token: &[u8], url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    // Tuples order by name, then value: exactly the scheme's order.
    sorted.sort();
    let mut message: Vec<&[u8]> = Vec::with_capacity(1 + 2 * sorted.len());
    message.push(url.as_bytes());
    for (name, value) in sorted {
        message.push(name.as_bytes());
        message.push(value.as_bytes());
    }
    base64(&hmac_sha1(token, &message))
}

/// The URL as given plus the same URL with its default port toggled.
pub fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_string()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return variants;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return variants,
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    // The host starts after any `user:password@`.
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let host_port = &authority[host_start..];
    // An IPv6 literal holds colons of its own: the port follows `]`.
    let port_colon = match host_port.rfind(']') {
        Some(bracket) => host_port[bracket..].find(':').map(|c| bracket + c),
        None => host_port.rfind(':'),
    };
    match port_colon {
        Some(colon) => {
            if &host_port[colon + 1..] == default_port {
                let without = &authority[..host_start + colon];
                variants.push(format!("{scheme}://{without}{tail}"));
            }
        }
        None => variants.push(format!("{scheme}://{authority}:{default_port}{tail}")),
    }
    variants
}

/// The first value of query parameter `name` in `url`, decoded.
pub fn query_value(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or_default();
    sidecoach_guest::form_pairs(query.as_bytes())
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The one signature header of the request.
fn signature_header(headers: &[(String, String)]) -> Result<&str, PluginError> {
    let mut values = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case(HEADER))
        .map(|(_, value)| value.trim());
    let value = values
        .next()
        .ok_or_else(|| rejected(format!("the request is not signed: `{HEADER}` is missing")))?;
    if values.next().is_some() {
        return Err(rejected(format!(
            "the request carries more than one `{HEADER}`"
        )));
    }
    Ok(value)
}

/// Whether `given` equals the signature of any URL variant with `params`.
fn matches_any(token: &[u8], url: &str, params: &[&[(String, String)]], given: &str) -> bool {
    let mut matched = false;
    for candidate in url_variants(url) {
        for p in params {
            // No early exit: every candidate is computed and compared.
            matched |= constant_time_eq(compute(token, &candidate, p).as_bytes(), given.as_bytes());
        }
    }
    matched
}

/// Checks a form-encoded request: URL plus its POST parameters.
pub fn verify_form(
    token: &[u8],
    headers: &[(String, String)],
    url: &str,
    params: &[(String, String)],
) -> Result<(), PluginError> {
    let given = signature_header(headers)?;
    let mut deduplicated = params.to_vec();
    deduplicated.sort();
    deduplicated.dedup();
    let mut candidates: Vec<&[(String, String)]> = vec![params];
    if deduplicated.len() != params.len() {
        candidates.push(&deduplicated);
    }
    if matches_any(token, url, &candidates, given) {
        Ok(())
    } else {
        Err(rejected(
            "the signature does not match the URL and parameters (tried the URL with and \
             without its default port); check the source's auth_token and that the URL the \
             host sees is the one configured in Twilio",
        ))
    }
}

/// Checks a JSON request: the URL alone is signed and its `bodySHA256`
/// parameter must be the body's SHA-256.
pub fn verify_json(
    token: &[u8],
    headers: &[(String, String)],
    url: &str,
    body: &[u8],
) -> Result<(), PluginError> {
    let given = signature_header(headers)?;
    let expected_hash = query_value(url, BODY_HASH_PARAM).ok_or_else(|| {
        errors::signature(
            "url",
            format!(
                "a JSON body is signed through the URL's `{BODY_HASH_PARAM}` parameter, and \
                 this URL has none"
            ),
        )
    })?;
    if !matches_any(token, url, &[&[]], given) {
        return Err(rejected(
            "the signature does not match the URL (tried with and without its default port); \
             check the source's auth_token",
        ));
    }
    let actual = sha256_hex(body);
    if !constant_time_eq(
        actual.as_bytes(),
        expected_hash.trim().to_ascii_lowercase().as_bytes(),
    ) {
        return Err(errors::signature(
            "body",
            format!("the body's SHA-256 does not match the URL's `{BODY_HASH_PARAM}`"),
        ));
    }
    Ok(())
}

/// Native unit tests (the host import `log` is never called here).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sidecoach::plugin::types::ErrorCode;

    /// The token of Twilio's published vector.
    const TOKEN: &[u8] = b"12345";
    /// The URL of Twilio's published vector.
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    /// The expected signature of Twilio's published vector.
    const EXPECTED: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

    /// The parameters of Twilio's published vector, in arrival order.
    fn params() -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
            ("Caller", "+14158675309"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// Request headers or form parameters, as pairs.
    type Headers = Vec<(String, String)>;

    /// Headers carrying one signature.
    fn signed(value: &str) -> Vec<(String, String)> {
        vec![
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
            (HEADER.into(), value.into()),
        ]
    }

    /// twilio-python's test vector.
    #[test]
    fn the_published_vector_passes() {
        assert_eq!(compute(TOKEN, URL, &params()), EXPECTED);
        assert_eq!(
            verify_form(TOKEN, &signed(EXPECTED), URL, &params()),
            Ok(())
        );
    }

    /// The vector still passes when the host sees the URL with `:443`, and a
    /// signature made over the URL with the port passes for the bare URL.
    #[test]
    fn the_default_port_is_optional() {
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        assert_eq!(
            verify_form(TOKEN, &signed(EXPECTED), with_port, &params()),
            Ok(())
        );
        let signed_with_port = compute(TOKEN, with_port, &params());
        assert_ne!(signed_with_port, EXPECTED);
        assert_eq!(
            verify_form(TOKEN, &signed(&signed_with_port), URL, &params()),
            Ok(())
        );
        // A non-default port is part of the URL: no variant drops it.
        let other_port = "https://mycompany.com:8443/myapp.php?foo=1&bar=2";
        assert!(verify_form(TOKEN, &signed(EXPECTED), other_port, &params()).is_err());
    }

    /// The URL variants, including credentials and IPv6 hosts.
    #[test]
    fn url_variants_toggle_only_the_default_port() {
        assert_eq!(
            url_variants("http://u:p@example.com/x"),
            vec!["http://u:p@example.com/x", "http://u:p@example.com:80/x"]
        );
        assert_eq!(
            url_variants("https://[::1]:443?a=b"),
            vec!["https://[::1]:443?a=b", "https://[::1]?a=b"]
        );
        assert_eq!(
            url_variants("https://example.com"),
            vec!["https://example.com", "https://example.com:443"]
        );
        assert_eq!(
            url_variants("https://example.com:80/"),
            vec!["https://example.com:80/"]
        );
        assert_eq!(url_variants("not a url"), vec!["not a url"]);
    }

    /// Repeated names sign each value in order; a deduplicating signer is
    /// accepted too.
    #[test]
    fn repeated_parameters_sign_each_value_sorted() {
        let p = vec![
            ("b".to_string(), "2".to_string()),
            ("a".to_string(), "z".to_string()),
            ("a".to_string(), "y".to_string()),
        ];
        let by_hand = base64(&hmac_sha1(
            TOKEN,
            &[b"https://x.test/", b"ay", b"az", b"b2"],
        ));
        assert_eq!(compute(TOKEN, "https://x.test/", &p), by_hand);
        let mut dup = p.clone();
        dup.push(("a".to_string(), "y".to_string()));
        assert_eq!(
            verify_form(TOKEN, &signed(&by_hand), "https://x.test/", &dup),
            Ok(())
        );
    }

    /// Tampered signature or parameter, a missing or doubled header, and the
    /// wrong token are all `signature-invalid`.
    #[test]
    fn tampering_is_rejected() {
        let mut tampered = params();
        tampered[1].1 = "1235".into();
        let mut doubled = signed(EXPECTED);
        doubled.push((HEADER.into(), EXPECTED.into()));
        let cases: Vec<(Headers, Headers, &[u8])> = vec![
            (signed("RSOYDt4T1cUTdK1PDd93/VVr8B9="), params(), TOKEN),
            (signed(EXPECTED), tampered, TOKEN),
            (vec![], params(), TOKEN),
            (doubled, params(), TOKEN),
            (signed(EXPECTED), params(), b"54321"),
        ];
        for (headers, p, token) in cases {
            let e = verify_form(token, &headers, URL, &p).unwrap_err();
            assert_eq!(e.code, ErrorCode::SignatureInvalid, "{headers:?} {p:?}");
            assert_eq!(e.field.as_deref(), Some("headers.x-twilio-signature"));
        }
    }

    /// JSON bodies: the URL (with its `bodySHA256`) is signed alone and the
    /// body must hash to that value.
    #[test]
    fn json_bodies_are_checked_through_body_sha256() {
        let body = br#"{"EventType":"task.created","TaskSid":"WT1"}"#;
        let url = format!(
            "https://hooks.example.com/ingest/twilio?{BODY_HASH_PARAM}={}",
            sha256_hex(body)
        );
        let signature = base64(&hmac_sha1(TOKEN, &[url.as_bytes()]));
        assert_eq!(compute(TOKEN, &url, &[]), signature);
        let headers = signed(&signature);
        assert_eq!(verify_json(TOKEN, &headers, &url, body), Ok(()));
        // The port variant works here too.
        let with_port = url.replace(".com/", ".com:443/");
        assert_eq!(verify_json(TOKEN, &headers, &with_port, body), Ok(()));

        let e = verify_json(
            TOKEN,
            &headers,
            &url,
            br#"{"EventType":"task.created","TaskSid":"WT2"}"#,
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::SignatureInvalid);
        assert_eq!(e.field.as_deref(), Some("body"));

        let e = verify_json(TOKEN, &signed("AAAA"), &url, body).unwrap_err();
        assert_eq!(e.code, ErrorCode::SignatureInvalid);

        let bare = "https://hooks.example.com/ingest/twilio";
        let e = verify_json(TOKEN, &signed(&compute(TOKEN, bare, &[])), bare, body).unwrap_err();
        assert_eq!(e.code, ErrorCode::SignatureInvalid);
        assert_eq!(e.field.as_deref(), Some("url"));
    }

    /// Query values are read decoded, ignoring any fragment.
    #[test]
    fn query_values_are_decoded() {
        assert_eq!(
            query_value("https://x/?a=1&b=c%20d#frag", "b").as_deref(),
            Some("c d")
        );
        assert_eq!(query_value("https://x/", "a"), None);
    }
}
