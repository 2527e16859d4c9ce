//! Reading a plugin's shipped `plugin.toml` in its unit tests, so `describe()`
//! is checked against it (see [`crate::export_adapter!`]). Only the flat
//! `key = "value"` lines before the first table are read: a test helper, not
//! a TOML parser (the guests do not otherwise need one).

/// The value of a top-level `key = "value"` line of `manifest` (before any
/// `[table]`), or `None` when there is none.
pub fn top_level<'a>(manifest: &'a str, key: &str) -> Option<&'a str> {
    manifest
        .lines()
        .take_while(|l| !l.starts_with('['))
        .find_map(|l| {
            let rest = l.strip_prefix(key)?.trim_start().strip_prefix('=')?;
            rest.trim().strip_prefix('"')?.split('"').next()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "id = \"zendesk\"\nkind = \"adapter\"\nidle = 3\n\
                            version = \"0.1.0\"\n\n[config]\nid = \"other\"\nname = \"x\"\n";

    #[test]
    fn top_level_values_are_read_up_to_the_first_table() {
        assert_eq!(top_level(MANIFEST, "id"), Some("zendesk"));
        assert_eq!(top_level(MANIFEST, "version"), Some("0.1.0"));
        assert_eq!(top_level(MANIFEST, "name"), None);
    }

    #[test]
    fn a_key_that_only_prefixes_another_or_is_not_a_string_is_absent() {
        assert_eq!(top_level(MANIFEST, "i"), None);
        assert_eq!(top_level(MANIFEST, "idle"), None);
    }
}
