//! [`export_adapter!`](crate::export_adapter): the WIT bindings and the
//! exported component of an adapter plugin, written once for every adapter.
//!
//! The bindings must still be generated in each adapter crate:
//! `wit_bindgen::generate!` emits the `#[export_name]` functions and the
//! component-type custom section of the crate it runs in, and its types are
//! that crate's own. Generating them once here, with wit-bindgen's
//! `pub_export_macro` and `default_bindings_module`, would make this crate
//! carry one API version's world for every adapter, and the guest workspace
//! builds adapters of API 0.1.0, 0.2.0 and 0.3.0 side by side (cargo unifies a
//! dependency's features across a workspace build, so a feature per version
//! would not keep them apart). So the macro expands, in the adapter crate,
//! to what each `lib.rs` used to write by hand.

/// In an adapter crate's root (`lib.rs`): the `bindings` module generated
/// from `wit/<api>/sidecoach.wit` (world `adapter`, with `PartialEq` derived
/// for the unit tests' assertions), the component type with its `Guest` impl
/// and `export!`, and a unit test that `describe()` agrees with the crate's
/// `plugin.toml` on id, kind, API version and version.
///
/// `describe()` returns `name` and `description` with the crate's version;
/// `ingest()` calls the given function, which takes the WIT
/// `inbound-request` and returns what the API's `ingest` returns. For API
/// 0.3.0, `wit: "path"` (after `api`) names the WIT folder relative to the
/// crate's `Cargo.toml` (a project made by `sidecoach plugin new` has `wit`);
/// without it, the repository's `wit/<api>` two folders up.
/// (`ingest-output` in 0.2.0 and 0.3.0, a list of events in 0.1.0). The crate needs
/// `wit-bindgen` as a dependency, and its `plugin.toml` beside `Cargo.toml`.
///
/// ```ignore
/// use bindings::sidecoach::plugin::types::{InboundRequest, IngestOutput, PluginError};
///
/// sidecoach_guest::export_adapter! {
///     /// The exported component.
///     Zendesk {
///         id: "zendesk",
///         api: "0.2.0",
///         name: "Zendesk CSAT adapter",
///         description: "Reads Zendesk satisfaction-rating webhooks.",
///         ingest: ingest,
///     }
/// }
///
/// fn ingest(request: InboundRequest) -> Result<IngestOutput, PluginError> {
///     request::ingest(&request)
/// }
/// ```
#[macro_export]
macro_rules! export_adapter {
    (
        $(#[$attr:meta])*
        $plugin:ident {
            id: $id:literal,
            api: "0.3.0",
            wit: $wit:literal,
            name: $name:expr,
            description: $description:expr,
            ingest: $ingest:path $(,)?
        }
    ) => {
        $crate::export_adapter! {
            @expand $wit, "0.3.0",
            (bindings::sidecoach::plugin::types::IngestOutput),
            $(#[$attr])* $plugin, $id, $name, $description, $ingest
        }
    };
    (
        $(#[$attr:meta])*
        $plugin:ident {
            id: $id:literal,
            api: "0.3.0",
            name: $name:expr,
            description: $description:expr,
            ingest: $ingest:path $(,)?
        }
    ) => {
        $crate::export_adapter! {
            @expand "../../wit/0.3.0", "0.3.0",
            (bindings::sidecoach::plugin::types::IngestOutput),
            $(#[$attr])* $plugin, $id, $name, $description, $ingest
        }
    };
    (
        $(#[$attr:meta])*
        $plugin:ident {
            id: $id:literal,
            api: "0.2.0",
            name: $name:expr,
            description: $description:expr,
            ingest: $ingest:path $(,)?
        }
    ) => {
        $crate::export_adapter! {
            @expand "../../wit/0.2.0", "0.2.0",
            (bindings::sidecoach::plugin::types::IngestOutput),
            $(#[$attr])* $plugin, $id, $name, $description, $ingest
        }
    };
    (
        $(#[$attr:meta])*
        $plugin:ident {
            id: $id:literal,
            api: "0.1.0",
            name: $name:expr,
            description: $description:expr,
            ingest: $ingest:path $(,)?
        }
    ) => {
        $crate::export_adapter! {
            @expand "../../wit/0.1.0", "0.1.0",
            (Vec<bindings::sidecoach::plugin::types::Event>),
            $(#[$attr])* $plugin, $id, $name, $description, $ingest
        }
    };
    (
        @expand $wit:tt, $api:tt, ($($output:tt)*),
        $(#[$attr:meta])* $plugin:ident, $id:literal, $name:expr, $description:expr,
        $ingest:path
    ) => {
        $crate::__export_world! {
            [$wit], "adapter", $api,
            $(#[$attr])* $plugin, $id, $name, $description, ($ingest),
            {
                fn ingest(
                    request: bindings::sidecoach::plugin::types::InboundRequest,
                ) -> Result<$($output)*, bindings::sidecoach::plugin::types::PluginError> {
                    $ingest(request)
                }
            }
        }
    };
}
