//! The Sidecoach plugins, compiled to wasm32-wasip2 components and embedded.
//!
//! `build.rs` runs a nested `cargo build --release --target wasm32-wasip2` on the
//! guest workspace `plugins/Cargo.toml` (its own target dir, `<target>/wasm-guests`)
//! and generates the constants below from every `plugins/*/plugin.toml`:
//!
//! * [`reference`]: the plugins the host installs on first start;
//! * [`examples`]: example plugins from `examples/plugins/` (e.g. a custom
//!   scorer), tested through the host, never installed by default;
//! * [`hostile`]: test plugins that misbehave on purpose (loop, allocate, panic,
//!   probe the filesystem, environment and network, flood output and logs);
//! * [`foreach_reference_plugin!`] and [`foreach_hostile_plugin!`]: one macro call
//!   per plugin, so a test suite can demand a test for each.
//!
//! ```
//! use sidecoach_plugin_artifacts::{by_id, reference};
//!
//! let scorer = reference::REFERENCE_SCORER;
//! assert_eq!(scorer.id, "reference-scorer");
//! assert!(scorer.wasm.starts_with(b"\0asm"));
//! assert!(scorer.manifest.contains("kind = \"scorer\""));
//! assert_eq!(by_id("reference-scorer").map(|a| a.path), Some(scorer.path));
//! ```

/// A compiled plugin: its id, its component bytes and its manifest text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Artifact {
    /// The plugin id from its manifest, e.g. `json-adapter`.
    pub id: &'static str,
    /// The WebAssembly component (a wasm32-wasip2 cdylib is a component).
    pub wasm: &'static [u8],
    /// The text of its `plugin.toml`.
    pub manifest: &'static str,
    /// The absolute path of the `.wasm` file the bytes were read from.
    pub path: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/gen.rs"));

/// The reference or hostile plugin with this id.
pub fn by_id(id: &str) -> Option<&'static Artifact> {
    reference::ALL
        .iter()
        .chain(hostile::ALL)
        .find(|artifact| artifact.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component's preamble: magic, then version 0x0d and layer 1.
    const COMPONENT_PREAMBLE: &[u8] = b"\0asm\x0d\x00\x01\x00";

    #[test]
    fn every_artifact_is_a_component_with_its_own_manifest() {
        for artifact in reference::ALL
            .iter()
            .chain(hostile::ALL)
            .chain(testing::ALL)
            .chain(examples::ALL)
        {
            assert!(
                artifact.wasm.starts_with(COMPONENT_PREAMBLE),
                "{} is not a component",
                artifact.id
            );
            let id_line = format!("id = \"{}\"", artifact.id);
            assert!(artifact.manifest.contains(&id_line), "{}", artifact.id);
            assert!(artifact.path.ends_with(".wasm"), "{}", artifact.path);
        }
    }

    #[test]
    fn reference_and_hostile_plugins_are_split_by_id_prefix() {
        let reference: Vec<&str> = reference::ALL.iter().map(|a| a.id).collect();
        assert_eq!(
            reference,
            [
                "amazon-connect",
                "genesys-cloud",
                "json-adapter",
                "mapping",
                "nice-cxone",
                "qualtrics",
                "reference-flagger",
                "reference-matcher",
                "reference-scorer",
                "twilio",
                "zendesk"
            ]
        );
        assert!(hostile::ALL.iter().all(|a| a.id.starts_with("hostile-")));
        assert_eq!(hostile::ALL.len(), 16);
    }

    #[test]
    fn versioned_test_plugins_share_one_id() {
        let versions: Vec<(&str, bool)> = testing::ALL
            .iter()
            .map(|a| (a.id, a.manifest.contains("kind = \"adapter\"")))
            .collect();
        assert_eq!(
            versions,
            [
                ("probe", true),
                ("probe", true),
                ("reference-matcher", false)
            ]
        );
        assert_ne!(testing::PROBE_V1.wasm, testing::PROBE_V2.wasm);
        // The 0.1.0 reference matcher is an earlier version of the shipped one.
        assert_eq!(
            testing::REFERENCE_MATCHER_V1.id,
            reference::REFERENCE_MATCHER.id
        );
        assert_ne!(
            testing::REFERENCE_MATCHER_V1.wasm,
            reference::REFERENCE_MATCHER.wasm
        );
    }

    #[test]
    fn foreach_macros_name_every_plugin() {
        let mut names: Vec<String> = Vec::new();
        // A versioned plugin's name is `<id>-vN` (e.g. `hostile-rescore-v1`).
        fn id_of(name: &str) -> &str {
            match name.rsplit_once("-v") {
                Some((id, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => id,
                _ => name,
            }
        }
        macro_rules! collect {
            ($name:ident) => {
                names.push(id_of(&stringify!($name).replace('_', "-")).to_string());
            };
        }
        foreach_reference_plugin!(collect);
        foreach_hostile_plugin!(collect);
        let ids: Vec<&str> = reference::ALL
            .iter()
            .chain(hostile::ALL)
            .map(|a| a.id)
            .collect();
        assert_eq!(names, ids);
        assert!(names.iter().all(|n| by_id(n).is_some()));
    }
}
