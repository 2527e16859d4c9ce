//! Reading the operator's field map from the source's options (see the crate
//! documentation for the language). Every mistake is a `config-invalid`
//! error naming the option key, found before the body is read.

use crate::bindings::sidecoach::plugin::types::{ErrorCode, PluginError};
use crate::convert::{self, Enum, EnumField, Unit, ValueMap};
use crate::path::JsonPath;

/// A `config-invalid` error naming `key`.
pub fn config_error(key: &str, message: impl Into<String>) -> PluginError {
    PluginError {
        code: ErrorCode::ConfigInvalid,
        message: message.into(),
        field: Some(key.to_string()),
    }
}

/// How the body is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON document; `records` selects the records.
    Json,
    /// One JSON value per line, each a record.
    JsonLines,
    /// A header row, then one record per row.
    Csv,
    /// Form-encoded body plus the URL's query string: one record.
    Form,
}

impl Format {
    /// Parses the `format` option.
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "json" => Format::Json,
            "jsonl" | "ndjson" | "json-lines" | "jsonlines" => Format::JsonLines,
            "csv" => Format::Csv,
            "form" => Format::Form,
            _ => return None,
        })
    }

    /// The format a media type (lower case, no parameters) announces.
    pub fn from_media_type(media: &str) -> Option<Format> {
        Some(match media {
            "application/json" | "text/json" => Format::Json,
            m if m.starts_with("application/") && m.ends_with("+json") => Format::Json,
            "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/x-jsonl"
            | "application/jsonlines"
            | "application/x-jsonlines"
            | "application/json-lines" => Format::JsonLines,
            "text/csv" | "application/csv" | "text/comma-separated-values" => Format::Csv,
            "application/x-www-form-urlencoded" => Format::Form,
            _ => return None,
        })
    }
}

/// A normalized event kind a record can become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// `interaction`.
    Interaction,
    /// `feedback`.
    Feedback,
    /// `evaluation`.
    Evaluation,
    /// `agent`.
    Agent,
    /// `agent_state` (or `agent-state`).
    AgentState,
    /// `staffing`.
    Staffing,
}

impl EventKind {
    /// Every kind, for messages.
    pub const ALL: &'static str = "interaction, feedback, evaluation, agent, agent_state, staffing";

    /// Parses an event name (snake or kebab case).
    pub fn parse(s: &str) -> Option<EventKind> {
        Some(
            match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
                "interaction" => EventKind::Interaction,
                "feedback" => EventKind::Feedback,
                "evaluation" => EventKind::Evaluation,
                "agent" => EventKind::Agent,
                "agent_state" => EventKind::AgentState,
                "staffing" => EventKind::Staffing,
                _ => return None,
            },
        )
    }

    /// The kind's name.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Interaction => "interaction",
            EventKind::Feedback => "feedback",
            EventKind::Evaluation => "evaluation",
            EventKind::Agent => "agent",
            EventKind::AgentState => "agent_state",
            EventKind::Staffing => "staffing",
        }
    }

    /// The fields a map can fill for this kind.
    pub fn fields(self) -> &'static [FieldDef] {
        match self {
            EventKind::Interaction => INTERACTION,
            EventKind::Feedback => FEEDBACK,
            EventKind::Evaluation => EVALUATION,
            EventKind::Agent => AGENT,
            EventKind::AgentState => AGENT_STATE,
            EventKind::Staffing => STAFFING,
        }
    }

    /// The definition of `field` in this kind.
    pub fn field(self, field: &str) -> Option<&'static FieldDef> {
        self.fields().iter().find(|d| d.name == field)
    }
}

/// What a normalized field holds, which decides how a source value converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// Text, trimmed.
    Text,
    /// A timestamp (epoch milliseconds).
    Time,
    /// A duration, stored in the given unit (`handle_ms` in ms,
    /// `aht_seconds` in s, `length_minutes` in min).
    Duration(Unit),
    /// A number.
    Number,
    /// A whole number.
    Count,
    /// A yes/no.
    Flag,
    /// One of a fixed set of names.
    Enum(EnumField),
    /// A list of topic slugs.
    Topics,
    /// A list of ids.
    Ids,
}

impl Ty {
    /// Whether the field takes many values (and so a `[*]` path).
    pub fn is_list(self) -> bool {
        matches!(self, Ty::Topics | Ty::Ids)
    }
}

/// One normalized field.
#[derive(Debug)]
pub struct FieldDef {
    /// Its name (snake case).
    pub name: &'static str,
    /// Its type.
    pub ty: Ty,
    /// Whether an event cannot be made without it.
    pub required: bool,
}

/// Shorthand for the tables.
const fn f(name: &'static str, ty: Ty, required: bool) -> FieldDef {
    FieldDef { name, ty, required }
}

/// The type of the `_ms` duration fields.
const MS: Ty = Ty::Duration(Unit::Ms);

/// Interaction fields.
static INTERACTION: &[FieldDef] = &[
    f("external_id", Ty::Text, true),
    f("agent_vendor_id", Ty::Text, false),
    f("channel", Ty::Enum(EnumField::Channel), false),
    f("direction", Ty::Enum(EnumField::Direction), false),
    f("started_at", Ty::Time, false),
    f("ended_at", Ty::Time, false),
    f("handle_ms", MS, false),
    f("talk_ms", MS, false),
    f("hold_ms", MS, false),
    f("after_work_ms", MS, false),
    f("non_talk_ms", MS, false),
    f("agent_interruptions", Ty::Count, false),
    f("related_external_ids", Ty::Ids, false),
    f("queue", Ty::Text, false),
    f("topics", Ty::Topics, false),
    f("sentiment_customer", Ty::Number, false),
    f("sentiment_agent", Ty::Number, false),
    f("sentiment_customer_final_quarter", Ty::Number, false),
    f("wrap_up", Ty::Text, false),
    f("updated_at", Ty::Time, false),
];

/// Feedback fields. `scale_min`/`scale_max` are required unless the kind is
/// `nps` (0..10); that is checked separately.
static FEEDBACK: &[FieldDef] = &[
    f("external_id", Ty::Text, true),
    f("kind", Ty::Enum(EnumField::Kind), false),
    f("value", Ty::Number, true),
    f("scale_min", Ty::Number, false),
    f("scale_max", Ty::Number, false),
    f("interaction_external_id", Ty::Text, false),
    f("agent_vendor_id", Ty::Text, false),
    f("topics", Ty::Topics, false),
    f("verbatim", Ty::Text, false),
    f("received_at", Ty::Time, false),
];

/// Evaluation fields (answers come from `answer.<criterion>` keys).
static EVALUATION: &[FieldDef] = &[
    f("external_id", Ty::Text, true),
    f("form_id", Ty::Text, true),
    f("form_version", Ty::Count, false),
    f("interaction_external_id", Ty::Text, false),
    f("agent_vendor_id", Ty::Text, false),
    f("evaluator_vendor_id", Ty::Text, false),
    f("evaluated_at", Ty::Time, false),
    f("vendor_score_percentage", Ty::Number, false),
    f("vendor_auto_failed", Ty::Flag, false),
    f("vendor_critical_percentage", Ty::Number, false),
];

/// Agent fields.
static AGENT: &[FieldDef] = &[
    f("vendor_user_id", Ty::Text, true),
    f("name", Ty::Text, false),
    f("email", Ty::Text, false),
    f("team", Ty::Text, false),
    f("supervisor_vendor_id", Ty::Text, false),
];

/// Agent state fields.
static AGENT_STATE: &[FieldDef] = &[
    f("agent_vendor_id", Ty::Text, true),
    f("state", Ty::Text, true),
    f("at", Ty::Time, true),
];

/// Staffing interval fields.
static STAFFING: &[FieldDef] = &[
    f("queue", Ty::Text, true),
    f("starts_at", Ty::Time, true),
    f("length_minutes", Ty::Duration(Unit::Min), true),
    f("offered", Ty::Number, true),
    f("aht_seconds", Ty::Duration(Unit::S), true),
    f("scheduled_agents", Ty::Number, false),
];

/// Where a source value is found in a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Locator {
    /// A path into a JSON record.
    Json(JsonPath),
    /// A CSV column or form parameter name.
    Name(String),
}

/// A `map.*` (or `answer.*`) entry.
#[derive(Debug, Clone)]
pub struct Source {
    /// The option key, for configuration errors.
    pub key: String,
    /// The path as written, for record errors.
    pub path: String,
    /// The compiled locator, once the format is known.
    pub locator: Option<Locator>,
}

/// How one field of one event kind is filled.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    /// The field.
    pub def: &'static FieldDef,
    /// Where to read it, if mapped.
    pub source: Option<Source>,
    /// The constant (`const.*`) used when there is no source or the source
    /// has no value: its key and value.
    pub constant: Option<(String, String)>,
}

/// The fields of one event kind.
#[derive(Debug, Clone)]
pub struct KindSpec {
    /// The kind.
    pub kind: EventKind,
    /// Its mapped or constant fields (others stay unset).
    pub fields: Vec<FieldSpec>,
    /// For an evaluation: the `answer.<criterion>` sources.
    pub answers: Vec<(String, Source)>,
}

impl KindSpec {
    /// How `field` is filled, if it is.
    pub fn spec(&self, field: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|s| s.def.name == field)
    }
}

/// Settings every conversion needs.
#[derive(Debug, Clone, Default)]
pub struct Conversions {
    /// `unit.<field>`, by field name.
    pub units: Vec<(&'static str, Unit)>,
    /// `values.channel.*`.
    pub channel: ValueMap,
    /// `values.direction.*`.
    pub direction: ValueMap,
    /// `values.kind.*`.
    pub kind: ValueMap,
    /// `time_zone_offset` as a suffix for naive times.
    pub zone: Option<String>,
}

impl Conversions {
    /// The unit a source gives `def` in: `unit.<field>`, else seconds for
    /// the `_ms` fields and the field's own unit for the others.
    pub fn unit(&self, def: &FieldDef) -> Unit {
        if let Some((_, u)) = self.units.iter().find(|(n, _)| *n == def.name) {
            return *u;
        }
        match def.ty {
            Ty::Duration(Unit::Ms) => Unit::S,
            Ty::Duration(u) => u,
            _ => Unit::S,
        }
    }

    /// The value map for an enum field.
    pub fn values(&self, field: EnumField) -> &ValueMap {
        match field {
            EnumField::Channel => &self.channel,
            EnumField::Direction => &self.direction,
            EnumField::Kind => &self.kind,
        }
    }
}

/// The whole field map of one source.
#[derive(Debug, Clone)]
pub struct Config {
    /// `format`, when set.
    pub format: Option<Format>,
    /// `records` as written (JSON only; `$` when unset).
    pub records: Option<String>,
    /// The compiled `records` path, once the format is known.
    pub records_path: Option<JsonPath>,
    /// `csv_delimiter` (`,` by default).
    pub delimiter: u8,
    /// The events each record becomes, in order; the first is primary.
    pub kinds: Vec<KindSpec>,
    /// Units, value maps, time zone.
    pub conv: Conversions,
}

/// The option prefixes this adapter owns; any other key with a `.` is an
/// error, and plain keys it does not know are left alone (the host hands
/// secrets over in the same list).
const PREFIXES: &[&str] = &["map", "const", "unit", "values", "answer"];

/// Splits `rest` (after `map.` / `const.`) into an optional event scope and a
/// field name in snake case.
fn scoped(rest: &str) -> (Option<EventKind>, String) {
    if let Some((head, field)) = rest.split_once('.')
        && let Some(kind) = EventKind::parse(head)
    {
        return (Some(kind), field.replace('-', "_"));
    }
    (None, rest.replace('-', "_"))
}

impl Config {
    /// Reads the options; `config-invalid` naming the key on any mistake.
    pub fn parse(pairs: &[(String, String)]) -> Result<Config, PluginError> {
        let mut format = None;
        let mut events = None;
        let mut records = None;
        let mut delimiter = b',';
        let mut conv = Conversions::default();
        let mut prefixed = Vec::new();
        for (key, value) in pairs {
            let v = value.trim();
            match key.as_str() {
                "format" => {
                    format = Some(Format::parse(v).ok_or_else(|| {
                        config_error(
                            key,
                            format!("`format` is `{v}`; expected json, jsonl, csv or form"),
                        )
                    })?);
                }
                "event" => events = Some(v),
                "records" => {
                    if v.is_empty() {
                        return Err(config_error(
                            key,
                            "`records` is empty; remove it or give a path",
                        ));
                    }
                    records = Some(v.to_string());
                }
                "time_zone_offset" => {
                    conv.zone = Some(convert::zone_suffix(v).ok_or_else(|| {
                        config_error(
                            key,
                            format!(
                                "`time_zone_offset` is `{v}`; expected an offset such as -05:00, +0530 or UTC"
                            ),
                        )
                    })?);
                }
                "csv_delimiter" => {
                    delimiter = match value.as_str() {
                        "tab" | "\\t" | "\t" => b'\t',
                        d if d.len() == 1 && !matches!(d, "\"" | "\r" | "\n") => d.as_bytes()[0],
                        _ => {
                            return Err(config_error(
                                key,
                                format!(
                                    "`csv_delimiter` is `{value}`; expected one character such as `,`, `;`, `|` or `tab`"
                                ),
                            ));
                        }
                    };
                }
                k => match k.split_once('.') {
                    Some((prefix, rest)) if PREFIXES.contains(&prefix) => {
                        if rest.is_empty() {
                            return Err(config_error(k, format!("`{k}` names no field")));
                        }
                        prefixed.push((k, prefix, rest, v));
                    }
                    Some(_) => {
                        return Err(config_error(
                            k,
                            format!(
                                "unknown option `{k}`; keys with a `.` start with map., const., unit., values. or answer."
                            ),
                        ));
                    }
                    None => {}
                },
            }
        }

        let events = events.filter(|e| !e.is_empty()).ok_or_else(|| {
            config_error(
                "event",
                format!(
                    "`event` is required: which event each record becomes ({})",
                    EventKind::ALL
                ),
            )
        })?;
        let mut kinds: Vec<KindSpec> = Vec::new();
        for name in events.split(',') {
            let kind = EventKind::parse(name).ok_or_else(|| {
                config_error(
                    "event",
                    format!(
                        "`event` names `{}`; expected {}",
                        name.trim(),
                        EventKind::ALL
                    ),
                )
            })?;
            if kinds.iter().any(|k| k.kind == kind) {
                return Err(config_error(
                    "event",
                    format!("`event` names `{}` twice", kind.name()),
                ));
            }
            kinds.push(KindSpec {
                kind,
                fields: Vec::new(),
                answers: Vec::new(),
            });
        }
        let chosen = |kinds: &[KindSpec], kind: EventKind| kinds.iter().any(|k| k.kind == kind);

        // unit.* and values.* first: constants are checked with them.
        let mut maps = Vec::new();
        let mut consts = Vec::new();
        for &(key, prefix, rest, v) in &prefixed {
            match prefix {
                "unit" => {
                    let field = rest.replace('-', "_");
                    let def = kinds
                        .iter()
                        .find_map(|k| k.kind.field(&field))
                        .filter(|d| matches!(d.ty, Ty::Duration(_)))
                        .ok_or_else(|| {
                            config_error(key, format!("`{key}`: `{field}` is not a duration field of the chosen events"))
                        })?;
                    let unit = Unit::parse(v).ok_or_else(|| {
                        config_error(key, format!("`{key}` is `{v}`; expected ms, s, min or h"))
                    })?;
                    conv.units.push((def.name, unit));
                }
                "values" => {
                    let (field, vendor) = rest.split_once('.').ok_or_else(|| {
                        config_error(key, format!("`{key}`: write values.<field>.<vendor value>"))
                    })?;
                    let (enum_field, owner) = match field {
                        "channel" => (EnumField::Channel, EventKind::Interaction),
                        "direction" => (EnumField::Direction, EventKind::Interaction),
                        "kind" => (EnumField::Kind, EventKind::Feedback),
                        _ => {
                            return Err(config_error(
                                key,
                                format!(
                                    "`{key}`: value maps exist for channel, direction and kind, not `{field}`"
                                ),
                            ));
                        }
                    };
                    if !chosen(&kinds, owner) {
                        return Err(config_error(
                            key,
                            format!(
                                "`{key}`: `{field}` belongs to `{}`, which `event` does not name",
                                owner.name()
                            ),
                        ));
                    }
                    let target = enum_field.parse_name(v).ok_or_else(|| {
                        config_error(
                            key,
                            format!("`{key}` is `{v}`; expected one of {}", enum_field.names()),
                        )
                    })?;
                    let folded = convert::fold(vendor);
                    let map = match enum_field {
                        EnumField::Channel => &mut conv.channel,
                        EnumField::Direction => &mut conv.direction,
                        EnumField::Kind => &mut conv.kind,
                    };
                    map.entries.push((folded, target));
                }
                "map" => maps.push((key, rest, v)),
                "const" => consts.push((key, rest, v)),
                _ => {
                    // answer.<criterion>
                    let Some(kind) = kinds.iter_mut().find(|k| k.kind == EventKind::Evaluation)
                    else {
                        return Err(config_error(
                            key,
                            format!(
                                "`{key}`: answers belong to `evaluation`, which `event` does not name"
                            ),
                        ));
                    };
                    if v.is_empty() {
                        return Err(config_error(
                            key,
                            format!("`{key}` is empty; give the path of the answer"),
                        ));
                    }
                    kind.answers.push((
                        rest.to_string(),
                        Source {
                            key: key.to_string(),
                            path: v.to_string(),
                            locator: None,
                        },
                    ));
                }
            }
        }

        // map.* then const.*: scoped entries win over unscoped ones.
        for (is_map, entries) in [(true, &maps), (false, &consts)] {
            for pass_scoped in [true, false] {
                for &(key, rest, v) in entries.iter() {
                    let (scope, field) = scoped(rest);
                    if scope.is_some() != pass_scoped {
                        continue;
                    }
                    if v.is_empty() {
                        return Err(config_error(key, format!("`{key}` is empty")));
                    }
                    let mut used = false;
                    for spec in kinds.iter_mut() {
                        if scope.is_some_and(|s| s != spec.kind) {
                            continue;
                        }
                        let Some(def) = spec.kind.field(&field) else {
                            continue;
                        };
                        used = true;
                        let at = match spec.fields.iter().position(|s| s.def.name == def.name) {
                            Some(at) => at,
                            None => {
                                spec.fields.push(FieldSpec {
                                    def,
                                    source: None,
                                    constant: None,
                                });
                                spec.fields.len() - 1
                            }
                        };
                        let fs = &mut spec.fields[at];
                        if is_map {
                            if fs.source.is_none() {
                                fs.source = Some(Source {
                                    key: key.to_string(),
                                    path: v.to_string(),
                                    locator: None,
                                });
                            }
                        } else {
                            if fs.constant.is_none() {
                                check_constant(&conv, def, key, v)?;
                                fs.constant = Some((key.to_string(), v.to_string()));
                            }
                        }
                    }
                    if !used {
                        return Err(unknown_field(key, scope, &field, &kinds));
                    }
                }
            }
        }

        for spec in &kinds {
            check_required(spec)?;
        }
        Ok(Config {
            format,
            records,
            records_path: None,
            delimiter,
            kinds,
            conv,
        })
    }

    /// Compiles the paths for `format`: JSON paths for json and jsonl
    /// (malformed ones are `config-invalid`), plain names for csv and form.
    pub fn compile(&mut self, format: Format) -> Result<(), PluginError> {
        let json = matches!(format, Format::Json | Format::JsonLines);
        if let Some(records) = &self.records {
            if format != Format::Json {
                return Err(config_error(
                    "records",
                    "`records` applies to the json format only (each JSON line, CSV row or form post is one record)",
                ));
            }
            let path = JsonPath::parse(records)
                .map_err(|e| config_error("records", format!("`records` = `{records}`: {e}")))?;
            self.records_path = Some(path);
        } else if format == Format::Json {
            self.records_path = Some(JsonPath { steps: Vec::new() });
        }
        let compile = |source: &mut Source, list: bool| -> Result<(), PluginError> {
            source.locator = Some(if json {
                let path = JsonPath::parse(&source.path).map_err(|e| {
                    config_error(
                        &source.key,
                        format!("`{}` = `{}`: {e}", source.key, source.path),
                    )
                })?;
                if path.has_wildcard() && !list {
                    return Err(config_error(
                        &source.key,
                        format!(
                            "`{}` = `{}`: `[*]` selects many values; only topics and related_external_ids take a list",
                            source.key, source.path
                        ),
                    ));
                }
                Locator::Json(path)
            } else {
                Locator::Name(source.path.trim().to_string())
            });
            Ok(())
        };
        for spec in &mut self.kinds {
            for field in &mut spec.fields {
                if let Some(source) = &mut field.source {
                    compile(source, field.def.ty.is_list())?;
                }
            }
            for (_, source) in &mut spec.answers {
                compile(source, false)?;
            }
        }
        Ok(())
    }
}

/// Checks a `const.*` value converts for `def`.
fn check_constant(
    conv: &Conversions,
    def: &FieldDef,
    key: &str,
    v: &str,
) -> Result<(), PluginError> {
    let result = match def.ty {
        Ty::Text | Ty::Topics | Ty::Ids => Ok(()),
        Ty::Time => convert::timestamp_ms(v, conv.zone.as_deref()).map(drop),
        Ty::Duration(_) => convert::duration_ms(v, conv.unit(def)).map(drop),
        Ty::Number => convert::number(v)
            .map(drop)
            .ok_or_else(|| format!("`{v}` is not a number")),
        Ty::Count => convert::count(v).map(drop),
        Ty::Flag => convert::flag(v).map(drop),
        Ty::Enum(field) => field
            .parse_name(v)
            .map(drop)
            .ok_or_else(|| format!("`{v}` is not one of {}", field.names())),
    };
    result.map_err(|e| config_error(key, format!("`{key}`: {e}")))
}

/// The error for a `map.`/`const.` key naming no field of the chosen events.
fn unknown_field(
    key: &str,
    scope: Option<EventKind>,
    field: &str,
    kinds: &[KindSpec],
) -> PluginError {
    let known: Vec<&str> = kinds
        .iter()
        .filter(|k| scope.is_none_or(|s| s == k.kind))
        .flat_map(|k| k.kind.fields().iter().map(|d| d.name))
        .fold(Vec::new(), |mut acc, n| {
            if !acc.contains(&n) {
                acc.push(n);
            }
            acc
        });
    let message = match scope {
        Some(s) if !kinds.iter().any(|k| k.kind == s) => {
            format!(
                "`{key}`: `{}` is not one of the events `event` names",
                s.name()
            )
        }
        _ => format!(
            "`{key}`: unknown field `{field}` for {}; known fields: {}",
            match scope {
                Some(s) => format!("`{}`", s.name()),
                None => "the chosen events".to_string(),
            },
            known.join(", ")
        ),
    };
    config_error(key, message)
}

/// Checks every required field of `spec` has a source or a constant.
fn check_required(spec: &KindSpec) -> Result<(), PluginError> {
    let kind = spec.kind;
    let has = |name: &str| spec.spec(name).is_some();
    for def in kind.fields() {
        if def.required && !has(def.name) {
            return Err(config_error(
                &format!("map.{}", def.name),
                format!(
                    "`{}` events need `{}`: set `map.{}` (or `const.{}`)",
                    kind.name(),
                    def.name,
                    def.name,
                    def.name
                ),
            ));
        }
    }
    if kind == EventKind::Feedback {
        // The scale is needed unless the kind may be NPS (0..10).
        let kind_spec = spec.spec("kind");
        let nps_or_mapped = kind_spec.is_some_and(|k| {
            k.source.is_some()
                || k.constant.as_ref().is_some_and(|(_, v)| {
                    EnumField::Kind.parse_name(v)
                        == Some(Enum::Kind(
                            crate::bindings::sidecoach::plugin::types::RatingKind::Nps,
                        ))
                })
        });
        for name in ["scale_min", "scale_max"] {
            if !has(name) && !nps_or_mapped {
                return Err(config_error(
                    &format!("map.{name}"),
                    format!(
                        "`feedback` events need `{name}` (unless `kind` is nps, 0..10): set `map.{name}` or `const.{name}`"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Unit tests.
#[cfg(test)]
mod tests {
    use super::*;

    /// Option pairs from string slices.
    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The error parsing `list` gives.
    fn err(list: &[(&str, &str)]) -> PluginError {
        Config::parse(&pairs(list)).unwrap_err()
    }

    #[test]
    fn a_minimal_interaction_map() {
        let c = Config::parse(&pairs(&[
            ("event", "interaction"),
            ("map.external_id", "$.id"),
            ("const.channel", "chat"),
            ("hmac_secret", "ignored: secrets share the list"),
        ]))
        .unwrap();
        assert_eq!(c.kinds.len(), 1);
        let spec = &c.kinds[0];
        assert_eq!(
            spec.spec("external_id")
                .unwrap()
                .source
                .as_ref()
                .unwrap()
                .path,
            "$.id"
        );
        assert_eq!(
            spec.spec("channel").unwrap().constant.as_ref().unwrap().1,
            "chat"
        );
        assert!(spec.spec("queue").is_none());
    }

    #[test]
    fn scoped_keys_win_and_kebab_case_is_accepted() {
        let c = Config::parse(&pairs(&[
            ("event", "interaction, feedback"),
            ("map.external-id", "id"),
            ("map.feedback.external_id", "survey_id"),
            ("map.value", "score"),
            ("const.scale_min", "1"),
            ("const.scale_max", "5"),
        ]))
        .unwrap();
        let path = |k: usize, f: &str| {
            c.kinds[k]
                .spec(f)
                .unwrap()
                .source
                .as_ref()
                .unwrap()
                .path
                .clone()
        };
        assert_eq!(path(0, "external_id"), "id");
        assert_eq!(path(1, "external_id"), "survey_id");
        assert_eq!(path(1, "value"), "score");
        assert!(c.kinds[0].spec("value").is_none());
    }

    #[test]
    fn config_errors_name_the_key() {
        for (list, key, needle) in [
            (vec![("map.external_id", "id")], "event", "required"),
            (vec![("event", "call")], "event", "expected interaction"),
            (
                vec![
                    ("event", "interaction,interaction"),
                    ("map.external_id", "a"),
                ],
                "event",
                "twice",
            ),
            (
                vec![
                    ("event", "interaction"),
                    ("map.external_id", "a"),
                    ("map.colour", "c"),
                ],
                "map.colour",
                "unknown field `colour`",
            ),
            (
                vec![
                    ("event", "interaction"),
                    ("map.external_id", "a"),
                    ("map.feedback.value", "v"),
                ],
                "map.feedback.value",
                "not one of the events",
            ),
            (
                vec![("event", "interaction")],
                "map.external_id",
                "need `external_id`",
            ),
            (
                vec![
                    ("event", "feedback"),
                    ("map.external_id", "a"),
                    ("map.value", "v"),
                ],
                "map.scale_min",
                "nps",
            ),
            (
                vec![
                    ("event", "interaction"),
                    ("map.external_id", "a"),
                    ("format", "xml"),
                ],
                "format",
                "expected json",
            ),
            (
                vec![
                    ("event", "interaction"),
                    ("map.external_id", "a"),
                    ("const.channel", "fax"),
                ],
                "const.channel",
                "voice, chat",
            ),
            (
                vec![
                    ("event", "interaction"),
                    ("map.external_id", "a"),
                    ("const.started_at", "soon"),
                ],
                "const.started_at",
                "not a timestamp",
            ),
            (
                vec![
                    ("event", "interaction"),
                    ("map.external_id", "a"),
                    ("unit.queue", "s"),
                ],
                "unit.queue",
                "not a duration",
            ),
            (
                vec![
                    ("event", "interaction"),
                    ("map.external_id", "a"),
                    ("unit.talk_ms", "weeks"),
                ],
                "unit.talk_ms",
                "expected ms",
            ),
            (
                vec![
                    ("event", "interaction"),
                    ("map.external_id", "a"),
                    ("values.channel.PHONE", "landline"),
                ],
                "values.channel.PHONE",
                "voice, chat",
            ),
            (
                vec![
                    ("event", "interaction"),
                    ("map.external_id", "a"),
                    ("values.kind.x", "csat"),
                ],
                "values.kind.x",
                "belongs to `feedback`",
            ),
            (
                vec![
                    ("event", "interaction"),
                    ("map.external_id", "a"),
                    ("answer.q1", "Q1"),
                ],
                "answer.q1",
                "evaluation",
            ),
            (
                vec![
                    ("event", "interaction"),
                    ("map.external_id", "a"),
                    ("mapping.x", "y"),
                ],
                "mapping.x",
                "unknown option",
            ),
            (
                vec![("event", "interaction"), ("map.external_id", "")],
                "map.external_id",
                "empty",
            ),
            (
                vec![
                    ("event", "interaction"),
                    ("map.external_id", "a"),
                    ("time_zone_offset", "EST"),
                ],
                "time_zone_offset",
                "-05:00",
            ),
            (
                vec![
                    ("event", "interaction"),
                    ("map.external_id", "a"),
                    ("csv_delimiter", ";;"),
                ],
                "csv_delimiter",
                "one character",
            ),
        ] {
            let e = err(&list);
            assert_eq!(e.code, ErrorCode::ConfigInvalid, "{list:?}");
            assert_eq!(e.field.as_deref(), Some(key), "{list:?}: {}", e.message);
            assert!(e.message.contains(needle), "{list:?}: {}", e.message);
        }
    }

    #[test]
    fn a_mapped_or_nps_kind_needs_no_scale() {
        let base = [
            ("event", "feedback"),
            ("map.external_id", "a"),
            ("map.value", "v"),
        ];
        let mut list = base.to_vec();
        list.push(("const.kind", "nps"));
        assert!(Config::parse(&pairs(&list)).is_ok());
        let mut list = base.to_vec();
        list.push(("map.kind", "type"));
        assert!(Config::parse(&pairs(&list)).is_ok());
    }

    #[test]
    fn compile_checks_paths_for_the_format() {
        let list = pairs(&[
            ("event", "interaction"),
            ("map.external_id", "$.call[id"),
            ("records", "$.data[*]"),
        ]);
        let mut c = Config::parse(&list).unwrap();
        let e = c.clone().compile(Format::Json).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("map.external_id"));
        assert_eq!(e.code, ErrorCode::ConfigInvalid);
        // A CSV column may be called anything, but `records` is JSON only.
        let e = c.clone().compile(Format::Csv).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("records"));
        c.records = None;
        c.compile(Format::Csv).unwrap();

        let mut c = Config::parse(&pairs(&[
            ("event", "interaction"),
            ("map.external_id", "$.calls[*].id"),
        ]))
        .unwrap();
        let e = c.compile(Format::Json).unwrap_err();
        assert!(e.message.contains("only topics"), "{}", e.message);
        let mut c = Config::parse(&pairs(&[
            ("event", "interaction"),
            ("map.external_id", "id"),
            ("map.topics", "$.tags[*].name"),
            ("records", "$.data["),
        ]))
        .unwrap();
        let e = c.compile(Format::Json).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("records"));
    }

    #[test]
    fn formats_from_names_and_media_types() {
        assert_eq!(Format::parse("NDJSON"), Some(Format::JsonLines));
        assert_eq!(Format::parse("xml"), None);
        assert_eq!(
            Format::from_media_type("application/json"),
            Some(Format::Json)
        );
        assert_eq!(
            Format::from_media_type("application/vnd.api+json"),
            Some(Format::Json)
        );
        assert_eq!(
            Format::from_media_type("application/x-ndjson"),
            Some(Format::JsonLines)
        );
        assert_eq!(Format::from_media_type("text/csv"), Some(Format::Csv));
        assert_eq!(
            Format::from_media_type("application/x-www-form-urlencoded"),
            Some(Format::Form)
        );
        assert_eq!(Format::from_media_type("text/plain"), None);
    }
}
