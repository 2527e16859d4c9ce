//! The plugin errors this adapter returns: the shared constructors of
//! [`sidecoach_guest::fault`], typed as this crate's WIT `plugin-error`.

sidecoach_guest::plugin_errors!(crate::bindings::sidecoach::plugin::types);
