//! `sidecoach ingest --source NAME FILE…`: send files through a running
//! host's adapters, in chunks, with a progress bar and a summary.
//!
//! A JSON array, JSON lines and CSV are split into chunks of `--chunk`
//! records (CSV chunks repeat the header row; quoted fields may hold
//! newlines), so one bad record dead-letters its chunk at worst and a large
//! export never becomes one huge request. Any other JSON document (a vendor
//! envelope such as `{"responses":[…]}`) and form bodies go whole.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// One request to send.
#[derive(Debug, PartialEq)]
pub struct Chunk {
    /// Content type for the request.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
    /// Records in it (1 for a whole document).
    pub records: usize,
}

/// How a file is read, from `--format` or its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A JSON document (an array is split).
    Json,
    /// One JSON value per line.
    Jsonl,
    /// Comma-separated with a header row.
    Csv,
    /// `application/x-www-form-urlencoded`, sent whole.
    Form,
}

impl Format {
    /// From the file name: `.json`, `.jsonl`/`.ndjson`, `.csv`, `.form`.
    pub fn of(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let ext = name.rsplit('.').next()?;
        match ext {
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            "form" => Some(Format::Form),
            _ => None,
        }
    }
}

/// Split one file's bytes into requests.
pub fn chunks(format: Format, bytes: &[u8], per_chunk: usize) -> anyhow::Result<Vec<Chunk>> {
    let per_chunk = per_chunk.max(1);
    match format {
        Format::Json => {
            let value: serde_json::Value =
                serde_json::from_slice(bytes).context("not valid JSON")?;
            match value {
                serde_json::Value::Array(items) => Ok(items
                    .chunks(per_chunk)
                    .map(|c| Chunk {
                        content_type: "application/json",
                        body: serde_json::to_vec(c).expect("values serialise"),
                        records: c.len(),
                    })
                    .collect()),
                _ => Ok(vec![Chunk {
                    content_type: "application/json",
                    body: bytes.to_vec(),
                    records: 1,
                }]),
            }
        }
        Format::Jsonl => {
            let text = std::str::from_utf8(bytes).context("JSON lines must be UTF-8")?;
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            Ok(lines
                .chunks(per_chunk)
                .map(|c| Chunk {
                    content_type: "application/x-ndjson",
                    body: (c.join("\n") + "\n").into_bytes(),
                    records: c.len(),
                })
                .collect())
        }
        Format::Csv => {
            let text = std::str::from_utf8(bytes).context("CSV must be UTF-8")?;
            let rows = csv_records(text)?;
            let Some((header, data)) = rows.split_first() else {
                bail!("the CSV file is empty");
            };
            Ok(data
                .chunks(per_chunk)
                .map(|c| {
                    let mut body = String::from(*header);
                    for row in c {
                        body.push('\n');
                        body.push_str(row);
                    }
                    body.push('\n');
                    Chunk {
                        content_type: "text/csv",
                        body: body.into_bytes(),
                        records: c.len(),
                    }
                })
                .collect())
        }
        Format::Form => Ok(vec![Chunk {
            content_type: "application/x-www-form-urlencoded",
            body: bytes.to_vec(),
            records: 1,
        }]),
    }
}

/// CSV records as raw text, found by the `csv` crate (so a quoted field's
/// commas, doubled quotes and line breaks stay inside its record); blank
/// lines dropped, line endings not included. Chunks are re-assembled from
/// the records' own text, so the host reads exactly what the file held.
fn csv_records(text: &str) -> anyhow::Result<Vec<&str>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut starts = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let start = reader.position().byte() as usize;
        match reader.read_byte_record(&mut record) {
            Ok(true) => starts.push(record.position().map_or(start, |p| p.byte() as usize)),
            Ok(false) => break,
            Err(e) => bail!("the CSV cannot be read: {e}"),
        }
    }
    Ok(starts
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let end = starts.get(i + 1).copied().unwrap_or(text.len());
            text[start..end].trim_matches(['\r', '\n'])
        })
        .filter(|r| !r.trim().is_empty())
        .collect())
}

/// The counts a host answers per request.
#[derive(Debug, Default, Deserialize)]
struct Counts {
    #[serde(default)]
    accepted: usize,
    #[serde(default)]
    duplicates: usize,
    #[serde(default)]
    rejected: usize,
    #[serde(default)]
    ignored: usize,
    #[serde(default)]
    dead_letter: Option<String>,
}

/// Send every file; print a summary; fail when anything was rejected.
pub async fn run(
    url: &str,
    token: &str,
    source: &str,
    files: &[PathBuf],
    format: Option<Format>,
    per_chunk: usize,
) -> anyhow::Result<()> {
    let mut plan = Vec::new();
    for path in files {
        let format = format.or_else(|| Format::of(path)).with_context(|| {
            format!(
                "{}: cannot tell the format from the extension; pass --format json|jsonl|csv|form",
                path.display()
            )
        })?;
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let file_chunks =
            chunks(format, &bytes, per_chunk).with_context(|| format!("{}", path.display()))?;
        plan.push((path.clone(), file_chunks));
    }
    let total: u64 = plan
        .iter()
        .flat_map(|(_, c)| c)
        .map(|c| c.records as u64)
        .sum();
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} records {msg}",
        )
        .expect("template parses"),
    );
    let client = reqwest::Client::new();
    let endpoint = format!("{url}/v1/ingest/{source}");
    let mut sum = Counts::default();
    let mut dead_letters = Vec::new();
    let mut failures = Vec::new();
    for (path, file_chunks) in plan {
        bar.set_message(path.display().to_string());
        for (n, chunk) in file_chunks.into_iter().enumerate() {
            let records = chunk.records as u64;
            let resp = client
                .post(&endpoint)
                .bearer_auth(token)
                .header("content-type", chunk.content_type)
                .body(chunk.body)
                .send()
                .await
                .with_context(|| format!("sending to {endpoint} (is the host running?)"))?;
            let status = resp.status();
            let body: serde_json::Value = resp.json().await.unwrap_or(serde_json::Value::Null);
            // A refused chunk carries its report under error.details.
            let report = if status.is_success() {
                body.clone()
            } else {
                body["error"]["details"].clone()
            };
            let counts: Counts = serde_json::from_value(report).unwrap_or_default();
            sum.accepted += counts.accepted;
            sum.duplicates += counts.duplicates;
            sum.rejected += counts.rejected;
            sum.ignored += counts.ignored;
            if let Some(d) = counts.dead_letter {
                dead_letters.push(d);
            }
            if !status.is_success() {
                failures.push(format!(
                    "{} chunk {}: {status} {}",
                    path.display(),
                    n + 1,
                    body["error"]["message"].as_str().unwrap_or("")
                ));
                if status == reqwest::StatusCode::UNAUTHORIZED
                    || status == reqwest::StatusCode::NOT_FOUND
                {
                    bar.abandon();
                    bail!("{}", failures.join("\n"));
                }
            }
            bar.inc(records);
        }
    }
    bar.finish_with_message("done");
    println!(
        "source {source}: {} accepted, {} duplicates, {} rejected, {} ignored",
        sum.accepted, sum.duplicates, sum.rejected, sum.ignored
    );
    for d in &dead_letters {
        println!("dead letter kept: {d} (GET /v1/dead-letters/{d})");
    }
    for f in &failures {
        println!("refused: {f}");
    }
    if sum.rejected > 0 || !failures.is_empty() {
        bail!(
            "{} records rejected; the payloads are kept as dead letters for replay",
            sum.rejected
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_and_lines_split_into_chunks_documents_go_whole() {
        let c = chunks(Format::Json, br#"[{"a":1},{"a":2},{"a":3}]"#, 2).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].body, br#"[{"a":1},{"a":2}]"#);
        assert_eq!((c[0].records, c[1].records), (2, 1));
        let c = chunks(Format::Json, br#"{"responses":[1,2,3]}"#, 2).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].body, br#"{"responses":[1,2,3]}"#);
        let c = chunks(Format::Jsonl, b"{\"a\":1}\n\n{\"a\":2}\n{\"a\":3}\n", 2).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].body, b"{\"a\":1}\n{\"a\":2}\n");
        assert_eq!(c[0].content_type, "application/x-ndjson");
        assert!(chunks(Format::Json, b"[{\"a\":", 2).is_err());
    }

    #[test]
    fn csv_chunks_repeat_the_header_and_keep_quoted_newlines() {
        let csv =
            "id,comment\r\n1,\"line one\nline two\"\r\n2,plain\n3,\"a \"\"quoted\"\" word\"\n";
        let c = chunks(Format::Csv, csv.as_bytes(), 2).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(
            String::from_utf8(c[0].body.clone()).unwrap(),
            "id,comment\n1,\"line one\nline two\"\n2,plain\n"
        );
        assert_eq!(
            String::from_utf8(c[1].body.clone()).unwrap(),
            "id,comment\n3,\"a \"\"quoted\"\" word\"\n"
        );
        assert!(chunks(Format::Csv, b"", 2).is_err());
    }

    #[test]
    fn formats_come_from_extensions() {
        assert_eq!(Format::of(Path::new("a/b.JSONL")), Some(Format::Jsonl));
        assert_eq!(Format::of(Path::new("calls.csv")), Some(Format::Csv));
        assert_eq!(Format::of(Path::new("x.ndjson")), Some(Format::Jsonl));
        assert_eq!(Format::of(Path::new("noext")), None);
    }
}
