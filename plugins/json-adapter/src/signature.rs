//! The optional generic HMAC check of the JSON adapter.
//!
//! When a source's configuration holds `hmac_secret`, every request must carry
//! `x-sidecoach-signature: sha256=<hex of HMAC-SHA256(secret, raw body)>`. The
//! comparison is constant-time (`Mac::verify_slice`).

use crate::bindings::sidecoach::plugin::types::{ErrorCode, PluginError};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the signature (header names arrive in lower case).
pub const HEADER: &str = "x-sidecoach-signature";

fn rejected(message: impl Into<String>) -> PluginError {
    PluginError {
        code: ErrorCode::SignatureInvalid,
        message: message.into(),
        field: Some(format!("headers.{HEADER}")),
    }
}

/// Checks the body's signature against `secret`.
pub fn verify(secret: &[u8], headers: &[(String, String)], body: &[u8]) -> Result<(), PluginError> {
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
    let hex_digest = value
        .get(..7)
        .filter(|prefix| prefix.eq_ignore_ascii_case("sha256="))
        .map(|_| &value[7..])
        .ok_or_else(|| rejected(format!("`{HEADER}` must look like sha256=<hex digest>")))?;
    let given = hex::decode(hex_digest)
        .map_err(|_| rejected(format!("`{HEADER}` must look like sha256=<hex digest>")))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .map_err(|_| rejected("the configured hmac_secret cannot key HMAC-SHA256"))?;
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| rejected("the signature does not match the body"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2.
    const KEY: &[u8] = b"Jefe";
    const DATA: &[u8] = b"what do ya want for nothing?";
    const DIGEST: &str = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

    fn header(value: &str) -> Vec<(String, String)> {
        vec![
            ("content-type".into(), "application/json".into()),
            (HEADER.into(), value.into()),
        ]
    }

    #[test]
    fn a_correct_signature_passes() {
        assert_eq!(
            verify(KEY, &header(&format!("sha256={DIGEST}")), DATA),
            Ok(())
        );
        let upper = format!("SHA256={}", DIGEST.to_uppercase());
        assert_eq!(verify(KEY, &header(&upper), DATA), Ok(()));
    }

    #[test]
    fn a_wrong_or_missing_signature_is_rejected() {
        let wrong = format!("sha256={}", DIGEST.replace('5', "6"));
        for headers in [
            header(&wrong),
            header(DIGEST),
            header("sha256=zz"),
            header(&format!("sha256={}", &DIGEST[..32])),
            vec![],
        ] {
            let e = verify(KEY, &headers, DATA).unwrap_err();
            assert_eq!(e.code, ErrorCode::SignatureInvalid, "{headers:?}");
        }
        let e = verify(KEY, &header(&format!("sha256={DIGEST}")), b"tampered").unwrap_err();
        assert!(e.message.contains("does not match"));
    }

    #[test]
    fn duplicate_signature_headers_are_rejected() {
        let mut headers = header(&format!("sha256={DIGEST}"));
        headers.push((HEADER.into(), format!("sha256={DIGEST}")));
        assert!(verify(KEY, &headers, DATA).is_err());
    }
}
