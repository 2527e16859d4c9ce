//! The plugin errors this adapter returns: the shared constructors of
//! [`adapter_kit::fault`], typed as this crate's WIT `plugin-error`.

adapter_kit::plugin_errors!(crate::bindings::sidecoach::plugin::types);
