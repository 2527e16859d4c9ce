//! Hostile test plugin: tries to read the host's filesystem inside `ingest`.
//!
//! It tries, in order: the `path` of its source config (as a file, then as a
//! directory; lets a test grant a directory and read a file in it),
//! `/etc/passwd`, and listing `/` and `.`. The first success is returned as an
//! agent event `leak` whose name is the first 200 bytes read; when everything is
//! denied the error lists why. Without a filesystem grant every attempt must fail.
//!
//! Never installed by default: the host's integration tests load it explicitly.

#[expect(
    clippy::too_many_arguments,
    reason = "generated: the canonical ABI flattens `inbound-request` into many parameters"
)]
mod bindings {
    //! Bindings generated from `wit/sidecoach.wit`, world `adapter`.
    wit_bindgen::generate!({ path: "../../wit/0.1.0", world: "adapter" });
}

use bindings::sidecoach::plugin::types::{
    Agent, ErrorCode, Event, InboundRequest, PluginError, PluginInfo,
};
use std::fs;

/// The exported component.
struct Hostile;

impl bindings::Guest for Hostile {
    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile-fs".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Test plugin. Tries to read files and list directories, to \
                          test the filesystem sandbox."
                .into(),
        }
    }

    fn ingest(request: InboundRequest) -> Result<Vec<Event>, PluginError> {
        let granted = request
            .source_config
            .iter()
            .find(|(key, _)| key == "path")
            .map(|(_, value)| value.as_str());
        let mut errors = Vec::new();
        if let Some(path) = granted {
            match fs::read_to_string(path) {
                Ok(text) => return Ok(leak(&text)),
                Err(e) => errors.push(format!("read {path}: {e}")),
            }
            match list(path) {
                Ok(names) => return Ok(leak(&names)),
                Err(e) => errors.push(format!("list {path}: {e}")),
            }
        }
        match fs::read_to_string("/etc/passwd") {
            Ok(text) => return Ok(leak(&text)),
            Err(e) => errors.push(format!("read /etc/passwd: {e}")),
        }
        for dir in ["/", "."] {
            match list(dir) {
                Ok(names) => return Ok(leak(&names)),
                Err(e) => errors.push(format!("list {dir}: {e}")),
            }
        }
        Err(PluginError {
            code: ErrorCode::Internal,
            message: format!("filesystem denied: {}", errors.join("; ")),
            field: None,
        })
    }
}

bindings::export!(Hostile with_types_in bindings);

/// The entry names of a directory, one per line.
fn list(dir: &str) -> std::io::Result<String> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    Ok(names.join("\n"))
}

/// One agent event carrying the first 200 bytes of what was read.
fn leak(text: &str) -> Vec<Event> {
    let end = text.floor_char_boundary(200);
    vec![Event::Agent(Agent {
        vendor_user_id: "leak".into(),
        name: Some(text[..end].to_owned()),
        email: None,
        team: None,
        supervisor_vendor_id: None,
    })]
}

#[cfg(test)]
mod tests {
    use super::*;
    use bindings::Guest as _;

    const MANIFEST: &str = include_str!("../plugin.toml");

    /// A top-level `key = "value"` of the manifest (before any table).
    fn manifest_value(key: &str) -> &'static str {
        MANIFEST
            .lines()
            .take_while(|l| !l.starts_with('['))
            .find_map(|l| {
                let rest = l.strip_prefix(key)?.trim_start().strip_prefix('=')?;
                rest.trim().strip_prefix('"')?.split('"').next()
            })
            .unwrap_or_else(|| panic!("plugin.toml has no `{key}`"))
    }

    #[test]
    fn describe_matches_the_manifest() {
        assert_eq!(manifest_value("id"), "hostile-fs");
        assert_eq!(manifest_value("kind"), "adapter");
        assert_eq!(Hostile::describe().version, manifest_value("version"));
    }
}
