//! The role groups routes admit, named once; [`super::routes`] assigns
//! one group to each route beside the route itself.

use crate::model::Role;

/// Shared reference data (teams, forms): every role.
pub const ANYONE: &[Role] = &Role::ALL;
/// People's records, one at a time or listed (agent tokens are then
/// confined to their own agent).
pub const READ: &[Role] = &[
    Role::Admin,
    Role::Integrator,
    Role::Supervisor,
    Role::Coach,
    Role::ReadOnly,
    Role::Agent,
];
/// Listing agents: staff only.
pub const STAFF: &[Role] = &[
    Role::Admin,
    Role::Integrator,
    Role::Supervisor,
    Role::Coach,
    Role::ReadOnly,
];
/// Managing agents, teams and forms.
pub const MANAGE: &[Role] = &[Role::Admin, Role::Supervisor];
/// Writing vendor records (interactions, feedback).
pub const INGEST: &[Role] = &[Role::Admin, Role::Integrator];
/// Writing evaluations: QA is done by supervisors and coaches too.
pub const EVALUATE: &[Role] = &[Role::Admin, Role::Integrator, Role::Supervisor, Role::Coach];
/// Looking at plugins.
pub const PLUGIN_READ: &[Role] = &[
    Role::Admin,
    Role::Integrator,
    Role::Supervisor,
    Role::ReadOnly,
];
/// Changing or running plugins.
pub const PLUGIN_WRITE: &[Role] = &[Role::Admin, Role::Integrator];
/// Creating tokens.
pub const ADMIN: &[Role] = &[Role::Admin];
/// Reading the audit trail (supervisors: about their agents).
pub const AUDIT: &[Role] = &[Role::Admin, Role::ReadOnly, Role::Supervisor];
/// Reading the configured sources.
pub const SOURCES: &[Role] = &[Role::Admin, Role::Integrator, Role::ReadOnly];
/// Reading dead letters (they hold raw vendor payloads).
pub const DEAD_LETTERS: &[Role] = &[Role::Admin, Role::Integrator, Role::ReadOnly];
/// Working alerts and recording coaching sessions.
pub const COACHING: &[Role] = &[Role::Admin, Role::Supervisor, Role::Coach];
/// Acknowledging recognition (a senior leader) and re-scoring history.
pub const LEAD: &[Role] = &[Role::Admin, Role::Supervisor];
/// Loading forecasts and rosters.
pub const PLANNING: &[Role] = &[Role::Admin, Role::Integrator, Role::Supervisor];
/// What an agent does for themselves (opting in, enrolling, acknowledging):
/// the handler takes the agent from the token.
pub const SELF: &[Role] = &[Role::Agent];
/// Acting on a pairing, an action item, a mentoring session or a
/// protégé's mentoring view as a participant (an agent: the handler checks
/// they take part) or a lead.
pub const PARTICIPANT: &[Role] = &[Role::Admin, Role::Supervisor, Role::Coach, Role::Agent];
/// Filing a progress report: the mentor (an agent), or an admin.
pub const MENTOR: &[Role] = &[Role::Admin, Role::Agent];
