//! A small RFC 4180 CSV reader: fields separated by a one-byte delimiter
//! (`,` by default), records ended by CRLF or LF, fields optionally enclosed
//! in double quotes, a quote inside a quoted field written as `""`, and
//! delimiters and line breaks allowed inside quoted fields.
//!
//! It is lenient where exports are sloppy: a quote inside an unquoted field is
//! kept as a character, text after a closing quote is appended to the field,
//! a lone CR ends a record, and a UTF-8 byte-order mark is skipped. Only an
//! unterminated quoted field is an error, because everything after it would
//! be read wrongly.

/// One parsed row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The 1-based line of the input the row starts on (for messages).
    pub line: usize,
    /// The fields, unquoted.
    pub fields: Vec<String>,
}

/// Splits `text` into rows. Empty lines (a record with one empty, unquoted
/// field) are skipped: they are not rows.
pub fn parse(text: &str, delimiter: u8) -> Result<Vec<Row>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let bytes = text.as_bytes();
    let mut rows = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    // Bytes of the current field; always split at ASCII boundaries, so it
    // stays valid UTF-8.
    let mut field: Vec<u8> = Vec::new();
    let mut line = 1;
    let mut row_line = 1;
    // Whether the current record has seen anything (a delimiter or a quote),
    // which tells a quoted empty field from an empty line.
    let mut touched = false;
    let mut i = 0;
    let finish_field = |field: &mut Vec<u8>, fields: &mut Vec<String>| {
        fields.push(String::from_utf8(std::mem::take(field)).unwrap_or_default());
    };
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' && field.is_empty() {
            // A quoted field (or the quoted part of one).
            touched = true;
            let start_line = line;
            i += 1;
            loop {
                match bytes.get(i) {
                    None => {
                        return Err(format!(
                            "a quoted field opened on line {start_line} is never closed"
                        ));
                    }
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => {
                        field.push(b'"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        if c == b'\n' {
                            line += 1;
                        }
                        field.push(c);
                        i += 1;
                    }
                }
            }
            continue;
        }
        if b == delimiter {
            touched = true;
            finish_field(&mut field, &mut fields);
            i += 1;
            continue;
        }
        if b == b'\n' || b == b'\r' {
            i += if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            finish_field(&mut field, &mut fields);
            if touched || fields.iter().any(|f| !f.is_empty()) {
                rows.push(Row {
                    line: row_line,
                    fields: std::mem::take(&mut fields),
                });
            } else {
                fields.clear();
            }
            touched = false;
            line += 1;
            row_line = line;
            continue;
        }
        field.push(b);
        i += 1;
    }
    if touched || !field.is_empty() {
        finish_field(&mut field, &mut fields);
        rows.push(Row {
            line: row_line,
            fields,
        });
    }
    Ok(rows)
}

/// Unit tests.
#[cfg(test)]
mod tests {
    use super::*;

    /// The fields of each row of `text`.
    fn fields(text: &str) -> Vec<Vec<String>> {
        parse(text, b',')
            .unwrap()
            .into_iter()
            .map(|r| r.fields)
            .collect()
    }

    #[test]
    fn plain_rows_with_lf_and_crlf() {
        let expected = vec![vec!["a", "b"], vec!["1", "2"]];
        assert_eq!(fields("a,b\n1,2\n"), expected);
        assert_eq!(fields("a,b\r\n1,2\r\n"), expected);
        assert_eq!(fields("a,b\r\n1,2"), expected);
        assert_eq!(fields("a,b\r1,2\r"), expected);
    }

    #[test]
    fn quoted_fields_keep_delimiters_newlines_and_doubled_quotes() {
        let rows = fields(
            "id,note\n1,\"hello, world\"\n2,\"line one\r\nline two\"\n3,\"say \"\"hi\"\"\"\n",
        );
        assert_eq!(rows[1], vec!["1", "hello, world"]);
        assert_eq!(rows[2], vec!["2", "line one\r\nline two"]);
        assert_eq!(rows[3], vec!["3", "say \"hi\""]);
    }

    #[test]
    fn empty_fields_and_empty_lines() {
        assert_eq!(
            fields("a,,c\n,,\n\n\"\"\n"),
            vec![vec!["a", "", "c"], vec!["", "", ""], vec![""],]
        );
        assert_eq!(fields(""), Vec::<Vec<String>>::new());
        assert_eq!(fields("\n\r\n"), Vec::<Vec<String>>::new());
    }

    #[test]
    fn line_numbers_count_embedded_newlines() {
        let rows = parse("h\n\"a\nb\"\n\nc\n", b',').unwrap();
        assert_eq!(
            rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            vec![1, 2, 5]
        );
    }

    #[test]
    fn lenient_about_stray_quotes_and_bom() {
        assert_eq!(fields("\u{feff}a\"b,\"c\"d\n"), vec![vec!["a\"b", "cd"]]);
    }

    #[test]
    fn other_delimiters_and_unicode() {
        let rows = parse("nom;durée\nÉlodie;\"1;2\"\n", b';').unwrap();
        assert_eq!(rows[1].fields, vec!["Élodie", "1;2"]);
        let rows = parse("a\tb\n1\t2\n", b'\t').unwrap();
        assert_eq!(rows[1].fields, vec!["1", "2"]);
    }

    #[test]
    fn an_unclosed_quote_is_an_error() {
        let e = parse("a,b\n1,\"open\n2,3\n", b',').unwrap_err();
        assert!(e.contains("line 2"), "{e}");
    }
}
