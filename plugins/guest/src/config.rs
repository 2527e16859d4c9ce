//! Reading an adapter's source configuration (`[sources.NAME]` secrets and
//! options, handed over with every request as key/value pairs).

/// A view over the source-config pairs of one request.
#[derive(Debug, Clone, Copy)]
pub struct SourceConfig<'a>(pub &'a [(String, String)]);

impl<'a> SourceConfig<'a> {
    /// The value of `key`, if set (an empty value counts as unset).
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// The value of `key` parsed as a number, or an error naming the key.
    pub fn number(&self, key: &str) -> Result<Option<f64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(Some)
                .ok_or_else(|| format!("`{key}` must be a number, got `{v}`")),
        }
    }

    /// The value of `key` as a boolean (`true`/`false`), or an error naming it.
    pub fn flag(&self, key: &str) -> Result<Option<bool>, String> {
        match self.get(key) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(v) => Err(format!("`{key}` must be true or false, got `{v}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_values_numbers_and_flags() {
        let pairs = vec![
            ("a".to_string(), "x".to_string()),
            ("n".to_string(), " 2.5".to_string()),
            ("empty".to_string(), String::new()),
            ("f".to_string(), "true".to_string()),
            ("bad".to_string(), "yes".to_string()),
        ];
        let c = SourceConfig(&pairs);
        assert_eq!(c.get("a"), Some("x"));
        assert_eq!(c.get("empty"), None);
        assert_eq!(c.get("missing"), None);
        assert_eq!(c.number("n"), Ok(Some(2.5)));
        assert!(c.number("a").unwrap_err().contains("`a` must be a number"));
        assert_eq!(c.flag("f"), Ok(Some(true)));
        assert!(c.flag("bad").is_err());
    }
}
