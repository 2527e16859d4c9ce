//! Sample inputs for Sidecoach's plugins, and the runnable examples beside
//! them.
//!
//! - `data/invoke-*.json`: inputs for `sidecoach plugin invoke ID FILE`, one
//!   per reference plugin (the integration tests run each through the CLI);
//! - `score_a_form.rs`: the library API in one page: open a host in a
//!   temporary directory and score evaluations through the reference scorer
//!   (`cargo run -p sidecoach-examples --example score_a_form`).

use std::path::PathBuf;

/// The directory holding the sample inputs.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// The path of one sample input, e.g. `invoke-reference-scorer.json`.
pub fn sample(name: &str) -> PathBuf {
    data_dir().join(name)
}

/// Read and parse a sample input.
pub fn read_sample(name: &str) -> anyhow::Result<serde_json::Value> {
    let path = sample(name);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_sample_parses() {
        let mut n = 0;
        for entry in std::fs::read_dir(super::data_dir()).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            super::read_sample(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
            n += 1;
        }
        assert!(n >= 4, "{n} samples");
    }
}
