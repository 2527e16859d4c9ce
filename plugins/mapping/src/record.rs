//! Turning one record (a JSON value, a CSV row or a form post) into events
//! through the compiled field map.

use std::borrow::Cow;

use serde_json::Value;

use crate::bindings::sidecoach::plugin::types::{
    Agent, AgentState, Answer, AnswerValue, Channel, Direction, ErrorCode, Evaluation, Event,
    Feedback, Interaction, PluginError, RatingKind, Sentiment, StaffingInterval, VendorScore,
};
use crate::config::{Config, EventKind, FieldSpec, KindSpec, Locator, Source, Ty};
use crate::convert::{self, Enum, Unit};

/// The longest staffing interval: a day.
const MAX_INTERVAL_MINUTES: f64 = 1440.0;

/// One record of the payload.
#[derive(Debug, Clone, Copy)]
pub enum Record<'a> {
    /// A JSON record.
    Json(&'a Value),
    /// A CSV data row under its header.
    Csv {
        /// The header row's column names.
        header: &'a [String],
        /// The row's fields.
        row: &'a [String],
    },
    /// Form parameters (body first, then query string).
    Form(&'a [(String, String)]),
}

/// A value found in a record, before conversion.
#[derive(Debug, Clone, Copy)]
enum Raw<'a> {
    /// A JSON value.
    Json(&'a Value),
    /// Text (a CSV cell, a form parameter, a constant).
    Text(&'a str),
}

impl<'a> Record<'a> {
    /// The values `locator` finds (none when the field is missing).
    fn find(&self, locator: &Locator) -> Vec<Raw<'a>> {
        match (self, locator) {
            (Record::Json(v), Locator::Json(path)) => {
                path.select(v).into_iter().map(Raw::Json).collect()
            }
            (Record::Csv { header, row }, Locator::Name(name)) => {
                let at = header.iter().position(|h| h == name).or_else(|| {
                    header
                        .iter()
                        .position(|h| h.trim().eq_ignore_ascii_case(name))
                });
                at.and_then(|i| row.get(i))
                    .map(|cell| Raw::Text(cell.as_str()))
                    .into_iter()
                    .collect()
            }
            (Record::Form(pairs), Locator::Name(name)) => pairs
                .iter()
                .find(|(k, _)| k == name)
                .or_else(|| pairs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                .map(|(_, v)| Raw::Text(v.as_str()))
                .into_iter()
                .collect(),
            // Paths are compiled for the record's format; nothing else occurs.
            _ => Vec::new(),
        }
    }
}

/// Why a field could not be read: missing (required but absent) or bad.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// True when the value was absent rather than malformed.
    pub missing: bool,
    /// The error to report for the record.
    pub error: PluginError,
}

/// An `invalid-input` error about `field`.
fn invalid(field: &str, message: String) -> PluginError {
    PluginError {
        code: ErrorCode::InvalidInput,
        message,
        field: Some(field.to_string()),
    }
}

/// A field's value or why it has none.
type Res<T> = Result<T, FieldError>;

/// Text of a raw value; `None` for null or blank.
fn scalar_text<'a>(raw: Raw<'a>) -> Result<Option<Cow<'a, str>>, &'static str> {
    let text: Cow<'a, str> = match raw {
        Raw::Text(t) => Cow::Borrowed(t),
        Raw::Json(Value::String(s)) => Cow::Borrowed(s.as_str()),
        Raw::Json(Value::Null) => return Ok(None),
        Raw::Json(Value::Number(n)) => Cow::Owned(n.to_string()),
        Raw::Json(Value::Bool(b)) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Raw::Json(Value::Array(_)) => return Err("an array"),
        Raw::Json(Value::Object(_)) => return Err("an object"),
    };
    let trimmed: Cow<'a, str> = match text {
        Cow::Borrowed(t) => Cow::Borrowed(t.trim()),
        Cow::Owned(t) => Cow::Owned(t.trim().to_string()),
    };
    Ok(Some(trimmed).filter(|t| !t.is_empty()))
}

/// Reads the fields of one event kind from one record.
struct Reader<'c, 'r> {
    /// The whole map (units, value maps, zone).
    config: &'c Config,
    /// The event kind being built.
    spec: &'c KindSpec,
    /// The record read.
    record: Record<'r>,
}

/// Where a value came from: the path (or constant key), for messages.
struct Found<'c, 'r> {
    /// The value, trimmed and not empty.
    text: Cow<'r, str>,
    /// The path it was read at, or the constant's key.
    from: &'c str,
    /// Whether it is the field's `const.*` value rather than a record's.
    constant: bool,
}

impl<'c, 'r> Reader<'c, 'r> {
    /// Where `spec`'s source points, or the constant's key, for messages.
    fn describe(spec: &FieldSpec) -> &str {
        spec.source
            .as_ref()
            .map(|s| s.path.as_str())
            .or(spec.constant.as_ref().map(|(k, _)| k.as_str()))
            .unwrap_or(spec.def.name)
    }

    /// The raw values of a source (empty when absent).
    fn raws(&self, source: &Source) -> Vec<Raw<'r>> {
        source
            .locator
            .as_ref()
            .map(|l| self.record.find(l))
            .unwrap_or_default()
    }

    /// The single text value of `field`, from its source or else its constant.
    fn found(&self, field: &str) -> Res<Option<Found<'c, 'r>>> {
        let Some(spec) = self.spec.spec(field) else {
            return Ok(None);
        };
        if let Some(source) = &spec.source {
            for raw in self.raws(source) {
                match scalar_text(raw) {
                    Ok(Some(text)) => {
                        return Ok(Some(Found {
                            text,
                            from: source.path.as_str(),
                            constant: false,
                        }));
                    }
                    Ok(None) => {}
                    Err(what) => {
                        return Err(FieldError {
                            missing: false,
                            error: invalid(
                                &source.path,
                                format!(
                                    "`{field}`: `{}` holds {what}; expected a single value",
                                    source.path
                                ),
                            ),
                        });
                    }
                }
            }
        }
        Ok(spec.constant.as_ref().map(|(key, value)| Found {
            text: Cow::Owned(value.clone()),
            from: key.as_str(),
            constant: true,
        }))
    }

    /// The error for a required field with no value.
    fn missing(&self, field: &str) -> FieldError {
        let from = self.spec.spec(field).map(Self::describe).unwrap_or(field);
        FieldError {
            missing: true,
            error: invalid(
                from,
                format!(
                    "`{}` needs `{field}`, but `{from}` is missing or empty",
                    self.spec.kind.name()
                ),
            ),
        }
    }

    /// Converts `field` with `convert`, naming the source on failure.
    fn get<T>(&self, field: &str, convert: impl Fn(&str) -> Result<T, String>) -> Res<Option<T>> {
        let Some(found) = self.found(field)? else {
            return Ok(None);
        };
        convert(&found.text).map(Some).map_err(|e| FieldError {
            missing: false,
            error: invalid(found.from, format!("`{field}` from `{}`: {e}", found.from)),
        })
    }

    /// Like [`Reader::get`] for a required field.
    fn need<T>(&self, field: &str, convert: impl Fn(&str) -> Result<T, String>) -> Res<T> {
        self.get(field, convert)?.ok_or_else(|| self.missing(field))
    }

    /// An optional text field.
    fn text(&self, field: &str) -> Res<Option<String>> {
        self.get(field, |t| Ok(t.to_string()))
    }

    /// A required text field.
    fn need_text(&self, field: &str) -> Res<String> {
        self.need(field, |t| Ok(t.to_string()))
    }

    /// An optional timestamp field, in epoch milliseconds.
    fn time(&self, field: &str) -> Res<Option<i64>> {
        let zone = self.config.conv.zone.as_deref();
        self.get(field, |t| convert::timestamp_ms(t, zone))
    }

    /// A required timestamp field.
    fn need_time(&self, field: &str) -> Res<i64> {
        self.time(field)?.ok_or_else(|| self.missing(field))
    }

    /// A duration in milliseconds, in the source's unit.
    fn duration(&self, field: &str) -> Res<Option<f64>> {
        let Some(def) = self.spec.kind.field(field) else {
            return Ok(None);
        };
        let unit = self.config.conv.unit(def);
        self.get(field, |t| convert::duration_ms(t, unit))
    }

    /// An optional duration field, in whole milliseconds.
    fn millis(&self, field: &str) -> Res<Option<u64>> {
        Ok(self.duration(field)?.map(|ms| ms.round() as u64))
    }

    /// An optional number field.
    fn number(&self, field: &str) -> Res<Option<f64>> {
        self.get(field, |t| {
            convert::number(t).ok_or_else(|| format!("`{t}` is not a number"))
        })
    }

    /// A required number field.
    fn need_number(&self, field: &str) -> Res<f64> {
        self.number(field)?.ok_or_else(|| self.missing(field))
    }

    /// An optional number field that cannot be negative (a count, a
    /// percentage).
    fn non_negative(&self, field: &str) -> Res<Option<f64>> {
        self.get(field, |t| match convert::number(t) {
            Some(n) if n >= 0.0 => Ok(n),
            Some(_) => Err(format!("`{t}` is negative")),
            None => Err(format!("`{t}` is not a number")),
        })
    }

    /// A required number field that cannot be negative.
    fn need_non_negative(&self, field: &str) -> Res<f64> {
        self.non_negative(field)?.ok_or_else(|| self.missing(field))
    }

    /// An optional whole-number field.
    fn count(&self, field: &str) -> Res<Option<u32>> {
        self.get(field, convert::count)
    }

    /// An optional yes/no field.
    fn flag(&self, field: &str) -> Res<Option<bool>> {
        self.get(field, convert::flag)
    }

    /// An enum field through the value maps (vendor values never fail: an
    /// unknown one takes the `*` entry or the fallback).
    fn enumerated(&self, field: &str) -> Res<Option<Enum>> {
        let Some(Ty::Enum(which)) = self.spec.kind.field(field).map(|d| d.ty) else {
            return Ok(None);
        };
        let Some(found) = self.found(field)? else {
            return Ok(None);
        };
        // A constant is a normalized name; a source value goes through the map.
        Ok(Some(if found.constant {
            which
                .parse_name(&found.text)
                .unwrap_or_else(|| which.fallback())
        } else {
            self.config.conv.values(which).read(which, &found.text)
        }))
    }

    /// A list field: array elements or text split on `,` `;` `|`, from the
    /// source, else the constant.
    fn list(&self, field: &str) -> Res<Vec<String>> {
        let Some(spec) = self.spec.spec(field) else {
            return Ok(Vec::new());
        };
        let mut items: Vec<String> = Vec::new();
        let push = |items: &mut Vec<String>, text: &str| {
            for part in convert::split_list(text) {
                let item = if spec.def.ty == Ty::Topics {
                    match sidecoach_guest::topic_slug(part) {
                        Some(slug) => slug,
                        None => continue,
                    }
                } else {
                    part.to_string()
                };
                if !items.contains(&item) {
                    items.push(item);
                }
            }
        };
        if let Some(source) = &spec.source {
            for raw in self.raws(source) {
                let elements: Vec<Raw<'r>> = match raw {
                    Raw::Json(Value::Array(a)) => a.iter().map(Raw::Json).collect(),
                    other => vec![other],
                };
                for element in elements {
                    match scalar_text(element) {
                        Ok(Some(text)) => push(&mut items, &text),
                        Ok(None) => {}
                        Err(what) => {
                            return Err(FieldError {
                                missing: false,
                                error: invalid(
                                    &source.path,
                                    format!(
                                        "`{field}`: `{}` holds {what}; expected text or a list of text",
                                        source.path
                                    ),
                                ),
                            });
                        }
                    }
                }
            }
        }
        if items.is_empty()
            && let Some((_, value)) = &spec.constant
        {
            push(&mut items, value);
        }
        Ok(items)
    }
}

/// Builds the event of `spec`'s kind from `record`.
pub fn build(config: &Config, spec: &KindSpec, record: Record<'_>) -> Res<Event> {
    let r = Reader {
        config,
        spec,
        record,
    };
    Ok(match spec.kind {
        EventKind::Interaction => {
            let external_id = r.need_text("external_id")?;
            let channel = match r.enumerated("channel")? {
                Some(Enum::Channel(c)) => c,
                _ => Channel::Other,
            };
            let direction = match r.enumerated("direction")? {
                Some(Enum::Direction(d)) => d,
                _ => Direction::Unknown,
            };
            let (customer, agent, final_quarter) = (
                r.number("sentiment_customer")?,
                r.number("sentiment_agent")?,
                r.number("sentiment_customer_final_quarter")?,
            );
            let sentiment = (customer.is_some() || agent.is_some() || final_quarter.is_some())
                .then_some(Sentiment {
                    customer,
                    agent,
                    customer_final_quarter: final_quarter,
                });
            Event::Interaction(Interaction {
                external_id,
                agent_vendor_id: r.text("agent_vendor_id")?,
                channel,
                direction,
                started_at: r.time("started_at")?,
                ended_at: r.time("ended_at")?,
                handle_ms: r.millis("handle_ms")?,
                talk_ms: r.millis("talk_ms")?,
                hold_ms: r.millis("hold_ms")?,
                after_work_ms: r.millis("after_work_ms")?,
                non_talk_ms: r.millis("non_talk_ms")?,
                agent_interruptions: r.count("agent_interruptions")?,
                related_external_ids: r.list("related_external_ids")?,
                queue: r.text("queue")?,
                topics: r.list("topics")?,
                sentiment,
                wrap_up: r.text("wrap_up")?,
                updated_at: r.time("updated_at")?,
            })
        }
        EventKind::Feedback => {
            let external_id = r.need_text("external_id")?;
            let kind = match r.enumerated("kind")? {
                Some(Enum::Kind(k)) => k,
                _ => RatingKind::Custom,
            };
            let value = r.need_number("value")?;
            let nps = kind == RatingKind::Nps;
            let scale_min = match r.number("scale_min")? {
                Some(n) => n,
                None if nps => 0.0,
                None => return Err(r.missing("scale_min")),
            };
            let scale_max = match r.number("scale_max")? {
                Some(n) => n,
                None if nps => 10.0,
                None => return Err(r.missing("scale_max")),
            };
            if scale_min >= scale_max || value < scale_min || value > scale_max {
                let from = r
                    .spec
                    .spec("value")
                    .map(Reader::describe)
                    .unwrap_or("value");
                return Err(FieldError {
                    missing: false,
                    error: invalid(
                        from,
                        if scale_min >= scale_max {
                            format!(
                                "the scale {scale_min}..{scale_max} is empty: `scale_min` must be below `scale_max`"
                            )
                        } else {
                            format!(
                                "`value` {value} from `{from}` is outside the scale {scale_min}..{scale_max}"
                            )
                        },
                    ),
                });
            }
            Event::Feedback(Feedback {
                external_id,
                kind,
                value,
                scale_min,
                scale_max,
                interaction_external_id: r.text("interaction_external_id")?,
                agent_vendor_id: r.text("agent_vendor_id")?,
                topics: r.list("topics")?,
                verbatim: r.text("verbatim")?,
                received_at: r.time("received_at")?,
            })
        }
        EventKind::Evaluation => {
            let external_id = r.need_text("external_id")?;
            let form_id = r.need_text("form_id")?;
            let mut answers = Vec::new();
            for (criterion, source) in &spec.answers {
                let Some(raw) = r.raws(source).into_iter().next() else {
                    continue;
                };
                let bad = |what: String| FieldError {
                    missing: false,
                    error: invalid(&source.path, what),
                };
                let Some(text) = scalar_text(raw).map_err(|what| {
                    bad(format!(
                        "answer `{criterion}`: `{}` holds {what}; expected a number or n/a",
                        source.path
                    ))
                })?
                else {
                    continue;
                };
                let folded = convert::fold(&text);
                let value = if matches!(folded.as_str(), "na" | "notapplicable") {
                    AnswerValue::NotApplicable
                } else if let Ok(yes) = convert::flag(&text)
                    && convert::number(&text).is_none()
                {
                    AnswerValue::Score(if yes { 1.0 } else { 0.0 })
                } else {
                    AnswerValue::Score(convert::number(&text).ok_or_else(|| {
                        bad(format!(
                            "answer `{criterion}` from `{}`: `{text}` is not a number, yes/no or n/a",
                            source.path
                        ))
                    })?)
                };
                answers.push(Answer {
                    criterion_id: criterion.clone(),
                    value,
                    comment: None,
                });
            }
            let (percentage, auto_failed, critical) = (
                r.non_negative("vendor_score_percentage")?,
                r.flag("vendor_auto_failed")?,
                r.non_negative("vendor_critical_percentage")?,
            );
            let vendor_score = (percentage.is_some()
                || auto_failed.is_some()
                || critical.is_some())
            .then_some(VendorScore {
                percentage,
                auto_failed: auto_failed.unwrap_or(false),
                critical_percentage: critical,
            });
            Event::Evaluation(Evaluation {
                external_id,
                form_id,
                form_version: r.count("form_version")?,
                interaction_external_id: r.text("interaction_external_id")?,
                agent_vendor_id: r.text("agent_vendor_id")?,
                evaluator_vendor_id: r.text("evaluator_vendor_id")?,
                evaluated_at: r.time("evaluated_at")?,
                answers,
                vendor_score,
            })
        }
        EventKind::Agent => Event::Agent(Agent {
            vendor_user_id: r.need_text("vendor_user_id")?,
            name: r.text("name")?,
            email: r.text("email")?,
            team: r.text("team")?,
            supervisor_vendor_id: r.text("supervisor_vendor_id")?,
        }),
        EventKind::AgentState => Event::AgentState(AgentState {
            agent_vendor_id: r.need_text("agent_vendor_id")?,
            state: r.need_text("state")?,
            at: r.need_time("at")?,
        }),
        EventKind::Staffing => {
            let queue = r.need_text("queue")?;
            let starts_at = r.need_time("starts_at")?;
            let minutes = r
                .duration("length_minutes")?
                .ok_or_else(|| r.missing("length_minutes"))?
                / Unit::Min.ms();
            let length_minutes = Some(minutes.round())
                .filter(|m| (1.0..=MAX_INTERVAL_MINUTES).contains(m))
                .map(|m| m as u32)
                .ok_or_else(|| FieldError {
                    missing: false,
                    error: invalid(
                        r.spec
                            .spec("length_minutes")
                            .map(Reader::describe)
                            .unwrap_or("length_minutes"),
                        format!(
                            "`length_minutes` {minutes} is not a whole number of minutes \
                             within 1..={MAX_INTERVAL_MINUTES}"
                        ),
                    ),
                })?;
            Event::Staffing(StaffingInterval {
                queue,
                starts_at,
                length_minutes,
                offered: r.need_non_negative("offered")?,
                aht_seconds: r
                    .duration("aht_seconds")?
                    .ok_or_else(|| r.missing("aht_seconds"))?
                    / Unit::S.ms(),
                scheduled_agents: r.non_negative("scheduled_agents")?,
            })
        }
    })
}

/// The events of one record, in `event` order. The first kind is primary:
/// any error rejects the record. A later kind missing a required value is
/// left out for this record (a call without a survey answer still yields
/// its interaction); a malformed value in it still rejects the record.
pub fn map_record(config: &Config, record: Record<'_>) -> Result<Vec<Event>, PluginError> {
    let mut events = Vec::with_capacity(config.kinds.len());
    for (i, spec) in config.kinds.iter().enumerate() {
        match build(config, spec, record) {
            Ok(event) => events.push(event),
            Err(e) if i > 0 && e.missing => {}
            Err(e) => return Err(e.error),
        }
    }
    Ok(events)
}
