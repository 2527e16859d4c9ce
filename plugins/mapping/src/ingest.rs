//! One request, end to end: read the field map, settle the format, split the
//! body into records and map each one; a bad record is rejected on its own.

use serde_json::Value;

use crate::bindings::sidecoach::plugin::types::{
    ErrorCode, Event, InboundRequest, IngestOutput, PluginError, RejectedRecord,
};
use crate::config::{Config, Format, Locator};
use crate::csv;
use crate::path::{Step, select_steps};
use crate::record::{Record, map_record};

/// An `invalid-input` error about the whole request.
fn invalid(field: Option<&str>, message: impl Into<String>) -> PluginError {
    PluginError {
        code: ErrorCode::InvalidInput,
        message: message.into(),
        field: field.map(str::to_string),
    }
}

/// Parses one request into events and rejected records.
pub fn ingest(request: &InboundRequest) -> Result<IngestOutput, PluginError> {
    let mut config = Config::parse(&request.source_config)?;
    let format = match config.format {
        Some(format) => format,
        None => infer_format(&request.headers, &request.body)?,
    };
    config.compile(format)?;
    let mut out = Output::default();
    match format {
        Format::Json => {
            let doc: Value = serde_json::from_slice(&request.body)
                .map_err(|e| invalid(Some("body"), format!("the body is not valid JSON: {e}")))?;
            for (index, record) in json_records(&config, &doc)?.into_iter().enumerate() {
                out.add(index, map_record(&config, Record::Json(record)));
            }
        }
        Format::JsonLines => {
            let lines = request
                .body
                .split(|b| *b == b'\n')
                .enumerate()
                .filter(|(_, line)| !line.trim_ascii().is_empty());
            for (index, (line_no, line)) in lines.enumerate() {
                match serde_json::from_slice::<Value>(line) {
                    Ok(value) => out.add(index, map_record(&config, Record::Json(&value))),
                    Err(e) => out.add(
                        index,
                        Err(invalid(
                            None,
                            format!("line {} is not valid JSON: {e}", line_no + 1),
                        )),
                    ),
                }
            }
        }
        Format::Csv => {
            let text = std::str::from_utf8(&request.body)
                .map_err(|e| invalid(Some("body"), format!("the CSV body is not UTF-8: {e}")))?;
            let rows = csv::parse(text, config.delimiter)
                .map_err(|e| invalid(Some("body"), format!("the CSV body is malformed: {e}")))?;
            let Some((header, data)) = rows.split_first() else {
                return Err(invalid(
                    Some("body"),
                    "the CSV body is empty; expected a header row",
                ));
            };
            check_columns(&config, &header.fields)?;
            for (index, row) in data.iter().enumerate() {
                let result = if row.fields.len() > header.fields.len() {
                    Err(invalid(
                        None,
                        format!(
                            "the row on line {} has {} fields; the header has {}",
                            row.line,
                            row.fields.len(),
                            header.fields.len()
                        ),
                    ))
                } else {
                    map_record(
                        &config,
                        Record::Csv {
                            header: &header.fields,
                            row: &row.fields,
                        },
                    )
                };
                out.add(index, result);
            }
        }
        Format::Form => {
            let mut pairs = sidecoach_guest::form_pairs(&request.body);
            if let Some((_, query)) = request.url.split_once('?') {
                let query = query.split('#').next().unwrap_or_default();
                pairs.extend(sidecoach_guest::form_pairs(query.as_bytes()));
            }
            out.add(0, map_record(&config, Record::Form(&pairs)));
        }
    }
    Ok(IngestOutput {
        events: out.events,
        rejected: out.rejected,
    })
}

/// Events and rejections, in payload order.
#[derive(Default)]
struct Output {
    /// The events so far.
    events: Vec<Event>,
    /// The rejected records so far.
    rejected: Vec<RejectedRecord>,
}

impl Output {
    /// Adds the outcome of record `index`.
    fn add(&mut self, index: usize, result: Result<Vec<Event>, PluginError>) {
        match result {
            Ok(events) => self.events.extend(events),
            Err(error) => self.rejected.push(RejectedRecord {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                error,
            }),
        }
    }
}

/// The format a request's content type announces; a request with no content
/// type and no body (a GET-style connector) is a form in its query string.
pub fn infer_format(headers: &[(String, String)], body: &[u8]) -> Result<Format, PluginError> {
    match sidecoach_guest::media_type(headers).filter(|m| !m.is_empty()) {
        Some(media) => Format::from_media_type(&media).ok_or_else(|| {
            invalid(
                Some("content-type"),
                format!(
                    "content type `{media}` is not JSON, JSON lines, CSV or a form; \
                     set the source's `format` option if the vendor mislabels it"
                ),
            )
        }),
        None if body.trim_ascii().is_empty() => Ok(Format::Form),
        None => Err(invalid(
            Some("content-type"),
            "the request has no content type; set the source's `format` option",
        )),
    }
}

/// The records `records` selects: the steps up to the first `[*]` must find
/// something; every selected array counts as its elements.
fn json_records<'a>(config: &Config, doc: &'a Value) -> Result<Vec<&'a Value>, PluginError> {
    let steps = config
        .records_path
        .as_ref()
        .map(|p| p.steps.as_slice())
        .unwrap_or_default();
    let split = steps
        .iter()
        .position(|s| *s == Step::Wildcard)
        .unwrap_or(steps.len());
    let base = select_steps(&steps[..split], vec![doc]);
    if base.is_empty() {
        let records = config.records.as_deref().unwrap_or("$");
        return Err(invalid(
            Some(records),
            format!("`records` = `{records}` finds nothing in the body"),
        ));
    }
    let selected = select_steps(&steps[split..], base);
    let mut records = Vec::with_capacity(selected.len());
    for value in selected {
        match value {
            Value::Array(items) => records.extend(items.iter()),
            other => records.push(other),
        }
    }
    Ok(records)
}

/// For CSV: every column a required field of the primary event reads must be
/// in the header, or no row could be mapped.
fn check_columns(config: &Config, header: &[String]) -> Result<(), PluginError> {
    let Some(primary) = config.kinds.first() else {
        return Ok(());
    };
    for field in &primary.fields {
        let (true, Some(source), None) = (field.def.required, &field.source, &field.constant)
        else {
            continue;
        };
        let Some(Locator::Name(name)) = &source.locator else {
            continue;
        };
        if !header
            .iter()
            .any(|h| h == name || h.trim().eq_ignore_ascii_case(name))
        {
            return Err(invalid(
                Some(name),
                format!(
                    "the CSV header has no column `{name}` (`{}`, needed for `{}`); columns: {}",
                    source.key,
                    field.def.name,
                    header.join(", ")
                ),
            ));
        }
    }
    Ok(())
}
