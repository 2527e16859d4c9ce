//! The CSV reader of the mapping adapter: RFC 4180 through the `csv` crate
//! (fields separated by a one-byte delimiter, `,` by default; records ended by
//! CRLF, LF or a lone CR; fields optionally enclosed in double quotes, a quote
//! inside a quoted field written as `""`; delimiters and line breaks allowed
//! inside quoted fields), with the row numbering and the one error the
//! adapter's messages need.
//!
//! The `csv` crate is lenient where exports are sloppy, and so is this
//! reader: a quote inside an unquoted field is kept as a character, text after
//! a closing quote is appended to the field, and a UTF-8 byte-order mark is
//! skipped. It never fails on input, though, while an unterminated quoted
//! field is an error here, because everything after it would be read wrongly:
//! [`unclosed_quote`] checks the last record for one (the only record such a
//! field can be in, since it runs to the end of the input).

/// One parsed row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The 1-based line of the input the row starts on (for messages). A
    /// line ends with CRLF or LF, or with a lone CR outside quoted fields.
    pub line: usize,
    /// The fields, unquoted.
    pub fields: Vec<String>,
}

/// Splits `text` into rows. Empty lines (a record with one empty, unquoted
/// field) are skipped: they are not rows.
pub fn parse(text: &str, delimiter: u8) -> Result<Vec<Row>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .terminator(csv::Terminator::CRLF)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    // Lines counted up to `counted` (a byte offset), so each record's line is
    // found by counting only the bytes since the previous one.
    let (mut line, mut counted) = (1, 0);
    let mut last_start = None;
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        // The position is where the reader started looking, before the empty
        // lines it skipped; a record itself never starts with a line break.
        let from = record.position().map_or(counted, |p| p.byte() as usize);
        let start = from
            + text.as_bytes()[from..]
                .iter()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .count();
        line += lines_before(&text.as_bytes()[counted..start]);
        counted = start;
        last_start = Some((start, line));
        rows.push(Row {
            line,
            fields: record.iter().map(str::to_owned).collect(),
        });
    }
    if let Some((start, line)) = last_start
        && let Some(opened) = unclosed_quote(&text.as_bytes()[start..], delimiter)
    {
        return Err(format!(
            "a quoted field opened on line {} is never closed",
            line + opened
        ));
    }
    Ok(rows)
}

/// The lines that `bytes`, one record (or none) and the line breaks after
/// it, take up: inside the record, where only a quoted field can hold one,
/// LFs (so a CRLF is one line, and a lone CR in quotes none); after it, where
/// they end the record and any empty lines, CRLF, LF and a lone CR each.
fn lines_before(bytes: &[u8]) -> usize {
    let breaks = bytes
        .iter()
        .rev()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .count();
    let (record, after) = bytes.split_at(bytes.len() - breaks);
    let lone_crs = after
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\r' && after.get(i + 1) != Some(&b'\n'))
        .count();
    line_feeds(record) + line_feeds(after) + lone_crs
}

/// The LFs in `bytes`.
fn line_feeds(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// Whether the last record, `raw` (its text to the end of the input), ends
/// inside a quoted field, and if so how many lines into `raw` that field
/// opened. It follows the quoting rules above: a quote opens a quoted field
/// only at the start of a field, and `""` inside one is a quote.
fn unclosed_quote(raw: &[u8], delimiter: u8) -> Option<usize> {
    // The offset of the opening quote of the quoted field we are in, if any.
    let mut open: Option<usize> = None;
    let mut at_field_start = true;
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        match open {
            Some(_) if b == b'"' && raw.get(i + 1) == Some(&b'"') => i += 1,
            // Closed: any text up to the delimiter joins the field.
            Some(_) if b == b'"' => (open, at_field_start) = (None, false),
            Some(_) => {}
            None if b == b'"' && at_field_start => open = Some(i),
            None => at_field_start = b == delimiter || b == b'\n' || b == b'\r',
        }
        i += 1;
    }
    // Before the quote, a line break can only be inside an earlier quoted
    // field of the record, where LFs count.
    open.map(|start| line_feeds(&raw[..start]))
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
    fn a_quoted_field_keeps_its_embedded_delimiters() {
        assert_eq!(
            fields("name,queue\n\"Doe, Jane\",\"Billing, EU, tier 2\"\n\",\",\",,\"\n"),
            vec![
                vec!["name", "queue"],
                vec!["Doe, Jane", "Billing, EU, tier 2"],
                vec![",", ",,"],
            ]
        );
        let rows = parse("a;b\n\"1;2\";\"x,y\"\n", b';').unwrap();
        assert_eq!(rows[1].fields, vec!["1;2", "x,y"]);
    }

    #[test]
    fn a_quoted_field_keeps_its_embedded_line_breaks_and_later_rows_keep_their_lines() {
        let rows = parse(
            "id,note\n1,\"one\ntwo\"\r\n2,\"three\r\nfour\r\n\"\n3,\"\n\"\n4,end",
            b',',
        )
        .unwrap();
        let got: Vec<_> = rows.iter().map(|r| (r.line, r.fields.clone())).collect();
        assert_eq!(
            got,
            vec![
                (1, vec!["id".to_string(), "note".into()]),
                (2, vec!["1".into(), "one\ntwo".into()]),
                (4, vec!["2".into(), "three\r\nfour\r\n".into()]),
                (7, vec!["3".into(), "\n".into()]),
                (9, vec!["4".into(), "end".into()]),
            ]
        );
    }

    #[test]
    fn doubled_quotes_inside_a_quoted_field_are_one_quote_each() {
        assert_eq!(
            fields("\"\"\"\",\"a\"\"\"\"b\",\"\"\"quoted\"\"\",\"end\"\"\"\n"),
            vec![vec!["\"", "a\"\"b", "\"quoted\"", "end\""]]
        );
        // A doubled quote on the last byte still closes the field.
        assert_eq!(
            fields("x,\"say \"\"hi\"\"\""),
            vec![vec!["x", "say \"hi\""]]
        );
    }

    #[test]
    fn a_quote_that_does_not_open_a_field_is_never_unclosed() {
        assert_eq!(fields("a,b\"c\n"), vec![vec!["a", "b\"c"]]);
        assert_eq!(fields("a,\"b\"c\"\n"), vec![vec!["a", "bc\""]]);
        assert_eq!(fields("a,\"\""), vec![vec!["a", ""]]);
    }

    #[test]
    fn a_lone_cr_ends_a_record_and_a_line() {
        let rows = parse("a,b\r1,2\r\r3,4", b',').unwrap();
        assert_eq!(
            rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            vec![1, 2, 4]
        );
    }

    #[test]
    fn an_unclosed_quote_names_the_line_it_opened_on() {
        let e = parse("h\n\"a\nb\"\nc,\"x\"\"y\"\nz,\"open\n", b',').unwrap_err();
        assert!(e.contains("line 5") && e.contains("never closed"), "{e}");
        let e = parse("\"", b',').unwrap_err();
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn an_unclosed_quote_is_an_error() {
        let e = parse("a,b\n1,\"open\n2,3\n", b',').unwrap_err();
        assert!(e.contains("line 2"), "{e}");
    }
}
