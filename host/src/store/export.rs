//! Backup and restore: every tree as JSON lines, byte for byte.
//!
//! The first line is a header (`{"sidecoach_export":1,"schema_version":N}`);
//! each following line is `{"tree":…,"key":…,"value":…}` with key and value
//! in URL-safe base64, so an import reproduces the database exactly.

use std::io::{BufRead, Write};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};

use super::{SCHEMA_VERSION, Store, StoreError};

#[derive(Serialize, Deserialize)]
struct Header {
    sidecoach_export: u32,
    schema_version: u32,
}

#[derive(Serialize, Deserialize)]
struct Line {
    tree: String,
    key: String,
    value: String,
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading the input failed.
    #[error("reading the export: {0}")]
    Io(#[from] std::io::Error),
    /// A line is not what an export contains.
    #[error("line {line}: {reason}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The target already holds data.
    #[error("the data directory is not empty (tree {0} has records); import only into a new one")]
    NotEmpty(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Write every tree to `out`; returns the number of records written.
    pub fn export(&self, out: &mut impl Write) -> Result<u64, std::io::Error> {
        let header = Header {
            sidecoach_export: 1,
            schema_version: SCHEMA_VERSION,
        };
        serde_json::to_writer(&mut *out, &header)?;
        out.write_all(b"\n")?;
        let mut n = 0;
        let db = self.b().map_err(std::io::Error::other)?.db;
        for name in db.tree_names() {
            let tree = db.open_tree(&name).map_err(std::io::Error::other)?;
            let tree_name = String::from_utf8_lossy(&name).into_owned();
            for kv in tree.iter() {
                let (k, v) = kv.map_err(std::io::Error::other)?;
                let line = Line {
                    tree: tree_name.clone(),
                    key: B64.encode(&k),
                    value: B64.encode(&v),
                };
                serde_json::to_writer(&mut *out, &line)?;
                out.write_all(b"\n")?;
                n += 1;
            }
        }
        out.flush()?;
        Ok(n)
    }

    /// Load an export into this (empty) store; durable when this returns.
    pub async fn import(&self, input: impl BufRead) -> Result<u64, ImportError> {
        let db = self.b()?.db;
        for name in db.tree_names() {
            let tree = db.open_tree(&name).map_err(StoreError::from)?;
            // The `meta` tree holds this build's schema version already.
            if name.as_ref() != b"meta" && !tree.is_empty() {
                return Err(ImportError::NotEmpty(
                    String::from_utf8_lossy(&name).into_owned(),
                ));
            }
        }
        let mut n = 0;
        let mut lines = input.lines();
        let first = lines.next().ok_or(ImportError::Malformed {
            line: 1,
            reason: "empty input".into(),
        })??;
        let header: Header = serde_json::from_str(&first).map_err(|e| ImportError::Malformed {
            line: 1,
            reason: format!("not a Sidecoach export header: {e}"),
        })?;
        if header.schema_version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                found: header.schema_version,
            }
            .into());
        }
        for (i, line) in lines.enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let bad = |reason: String| ImportError::Malformed {
                line: i + 2,
                reason,
            };
            let l: Line = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
            let key = B64.decode(&l.key).map_err(|e| bad(format!("key: {e}")))?;
            let value = B64
                .decode(&l.value)
                .map_err(|e| bad(format!("value: {e}")))?;
            db.open_tree(&l.tree)
                .map_err(StoreError::from)?
                .insert(key, value)
                .map_err(StoreError::from)?;
            n += 1;
        }
        // An older export may carry an older schema version: bring it up.
        self.migrate()?;
        self.flush().await?;
        Ok(n)
    }
}
