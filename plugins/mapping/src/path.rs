//! JSONPath-like paths into a JSON record: `$.call.id`, `call.id`,
//! `$.legs[0].agent`, `$['odd key']`, `$["x.y"]`, and the wildcard `[*]`
//! (every element of an array, every value of an object).
//!
//! This is the small subset an operator needs to point at a field, not full
//! JSONPath: no filters, slices or recursive descent.

use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// An object member.
    Key(String),
    /// An array element (0-based).
    Index(usize),
    /// Every element of an array or value of an object.
    Wildcard,
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    /// The steps from the root.
    pub steps: Vec<Step>,
}

impl JsonPath {
    /// Parses a path; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("the path is empty".into());
        }
        let chars: Vec<char> = t.chars().collect();
        let mut i = 0;
        let mut steps = Vec::new();
        if chars[0] == '$' {
            i = 1;
        } else {
            // A bare first name: `call.id` is `$.call.id`.
            let name = read_name(&chars, &mut i);
            if name.is_empty() {
                return Err(format!(
                    "a path starts with `$` or a field name, not `{}`",
                    chars[0]
                ));
            }
            steps.push(Step::Key(name));
        }
        while i < chars.len() {
            match chars[i] {
                '.' => {
                    i += 1;
                    if chars.get(i) == Some(&'*') {
                        i += 1;
                        steps.push(Step::Wildcard);
                        continue;
                    }
                    let name = read_name(&chars, &mut i);
                    if name.is_empty() {
                        return Err(format!("a field name is missing after `.` at {i}"));
                    }
                    steps.push(Step::Key(name));
                }
                '[' => {
                    i += 1;
                    steps.push(read_bracket(&chars, &mut i)?);
                }
                c => return Err(format!("unexpected `{c}` at {i}; expected `.` or `[`")),
            }
        }
        Ok(JsonPath { steps })
    }

    /// Whether the path has a wildcard, and so may select many values.
    pub fn has_wildcard(&self) -> bool {
        self.steps.contains(&Step::Wildcard)
    }

    /// Every value the path selects under `root`, in document order. A step
    /// that finds nothing selects nothing (no error): a missing field.
    pub fn select<'a>(&self, root: &'a Value) -> Vec<&'a Value> {
        select_steps(&self.steps, vec![root])
    }
}

/// Applies `steps` to each of `nodes`.
pub fn select_steps<'a>(steps: &[Step], mut nodes: Vec<&'a Value>) -> Vec<&'a Value> {
    for step in steps {
        let mut next = Vec::new();
        for node in nodes {
            match (step, node) {
                (Step::Key(k), Value::Object(map)) => next.extend(map.get(k)),
                (Step::Index(n), Value::Array(items)) => next.extend(items.get(*n)),
                (Step::Wildcard, Value::Array(items)) => next.extend(items.iter()),
                (Step::Wildcard, Value::Object(map)) => next.extend(map.values()),
                _ => {}
            }
        }
        nodes = next;
    }
    nodes
}

/// Reads an unquoted member name: everything up to `.`, `[` or `]`.
fn read_name(chars: &[char], i: &mut usize) -> String {
    let start = *i;
    while *i < chars.len() && !matches!(chars[*i], '.' | '[' | ']') {
        *i += 1;
    }
    chars[start..*i].iter().collect()
}

/// Reads what follows `[`: `*]`, `N]`, `'name']` or `"name"]`.
fn read_bracket(chars: &[char], i: &mut usize) -> Result<Step, String> {
    let open = *i - 1;
    let step = match chars.get(*i) {
        Some('*') => {
            *i += 1;
            Step::Wildcard
        }
        Some(&q @ ('\'' | '"')) => {
            *i += 1;
            let mut name = String::new();
            loop {
                match chars.get(*i) {
                    None => return Err(format!("the quoted name opened at {open} is not closed")),
                    Some('\\') => {
                        let Some(&c) = chars.get(*i + 1) else {
                            return Err(format!("the quoted name opened at {open} is not closed"));
                        };
                        name.push(c);
                        *i += 2;
                    }
                    Some(&c) if c == q => {
                        *i += 1;
                        break;
                    }
                    Some(&c) => {
                        name.push(c);
                        *i += 1;
                    }
                }
            }
            Step::Key(name)
        }
        Some(c) if c.is_ascii_digit() => {
            let start = *i;
            while chars.get(*i).is_some_and(char::is_ascii_digit) {
                *i += 1;
            }
            let digits: String = chars[start..*i].iter().collect();
            Step::Index(
                digits
                    .parse()
                    .map_err(|_| format!("index `{digits}` at {start} is too large"))?,
            )
        }
        _ => {
            return Err(format!(
                "`[` at {open} must hold an index, `*` or a quoted name"
            ));
        }
    };
    if chars.get(*i) != Some(&']') {
        return Err(format!("`[` at {open} is not closed by `]`"));
    }
    *i += 1;
    Ok(step)
}

/// Unit tests.
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The steps of a valid path.
    fn steps(text: &str) -> Vec<Step> {
        JsonPath::parse(text).unwrap().steps
    }

    /// A key step.
    fn key(k: &str) -> Step {
        Step::Key(k.into())
    }

    #[test]
    fn parses_the_supported_forms() {
        assert_eq!(steps("$"), vec![]);
        assert_eq!(steps("$.call.id"), vec![key("call"), key("id")]);
        assert_eq!(steps("call.id"), vec![key("call"), key("id")]);
        assert_eq!(
            steps("$.legs[0].agent"),
            vec![key("legs"), Step::Index(0), key("agent")]
        );
        assert_eq!(steps("$['odd key']"), vec![key("odd key")]);
        assert_eq!(steps("$[\"x.y\"][12]"), vec![key("x.y"), Step::Index(12)]);
        assert_eq!(steps("$['it\\'s']"), vec![key("it's")]);
        assert_eq!(steps("$.data[*]"), vec![key("data"), Step::Wildcard]);
        assert_eq!(steps("$.data.*"), vec![key("data"), Step::Wildcard]);
        assert_eq!(steps(" a "), vec![key("a")]);
    }

    #[test]
    fn rejects_malformed_paths() {
        for bad in [
            "", "$.", "$..a", "a..b", "$[", "$[0", "$['x", "$[x]", "$a", "[0]", "$.a]",
        ] {
            assert!(JsonPath::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn selects_values() {
        let doc = json!({"data": [{"id": 1}, {"id": 2}, {"x": 3}], "odd key": true});
        let p = |t: &str| JsonPath::parse(t).unwrap();
        assert_eq!(p("$.data[1].id").select(&doc), vec![&json!(2)]);
        assert_eq!(p("$.data[*].id").select(&doc), vec![&json!(1), &json!(2)]);
        assert_eq!(p("$['odd key']").select(&doc), vec![&json!(true)]);
        assert!(p("$.data[9]").select(&doc).is_empty());
        assert!(p("$.nope.deeper").select(&doc).is_empty());
        assert_eq!(p("$").select(&doc), vec![&doc]);
        assert!(p("$.data[*]").has_wildcard());
        assert!(!p("$.data[0]").has_wildcard());
    }
}
