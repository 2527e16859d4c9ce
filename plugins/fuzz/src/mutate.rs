//! The input generator: a seeded random stream and a structure-aware mutator
//! over JSON (and JSON lines), form bodies and CSV, plus raw byte mutations
//! and splices between fixtures.
//!
//! The random stream is SplitMix64, written here (a dozen lines) rather than
//! taken from a crate so that a `--seed` printed in a report replays the same
//! inputs whatever version of a dependency is locked later.

use serde_json::{Map, Value};

/// Mutated bodies are cut at this size, so a run stays about parsing, not
/// allocation.
pub const MAX_INPUT: usize = 1 << 20;

/// A deterministic random stream (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A stream that depends only on `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// A repeat count: `1..=usual`, or `1..=rare` one time in `one_in`.
    pub fn times(&mut self, one_in: usize, rare: usize, usual: usize) -> usize {
        let max = if self.one_in(one_in) { rare } else { usual };
        1 + self.below(max)
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// How a seed's body is structured, which picks the structural mutations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One JSON document, or JSON lines.
    Json,
    /// `application/x-www-form-urlencoded` (values may hold JSON).
    Form,
    /// CSV with a header row.
    Csv,
}

/// Numbers that break arithmetic: huge, negative, tiny, at integer limits.
const NUMBERS: &[f64] = &[
    0.0,
    -0.0,
    -1.0,
    1.0,
    0.5,
    -5.5,
    11.0,
    101.0,
    1e9,
    1e15,
    1.8e19,
    -1.8e19,
    9.3e18,
    1e300,
    -1e300,
    f64::MAX,
    f64::MIN,
    5e-324,
    4_294_967_296.0,
    -9_007_199_254_740_993.0,
];

/// Strings that look like numbers, timestamps or nothing at all.
const STRINGS: &[&str] = &[
    "",
    " ",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "1e999",
    "-1e999",
    "-5",
    "0x10",
    "1_000",
    "١٢",
    "n/a",
    "null",
    "true",
    "2024-02-30T25:61:61Z",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999+14:00",
    "-271821-04-20T00:00:00Z",
    "2024-05-01T10:00:00.123456789123Z",
    "2024-05-01T10:00:00+99:99",
    "2024-05-01",
    "99999999999999999999",
    "-9223372036854775808",
    "1714558500000000",
    "99:99:99",
    "-1:00",
    "\u{0}",
    "é",
    "𝄞",
    "\u{202e}evil",
    "a\u{301}\u{301}\u{301}",
    "\r\n",
    "\"",
    "%ZZ",
    "arn:aws:connect:::",
    "/",
    "a/b/",
];

/// Produces one mutated body from `base`, splicing in parts of `seeds`.
pub fn mutate(rng: &mut Rng, base: (Shape, &[u8]), seeds: &[(Shape, &[u8])]) -> Vec<u8> {
    let (shape, base) = base;
    let mut body = base.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        body = match rng.below(10) {
            0..=5 => match shape {
                Shape::Json => json(rng, &body, seeds),
                Shape::Form => form(rng, &body, seeds),
                Shape::Csv => csv(rng, &body),
            },
            6..=8 => bytes(rng, body),
            _ => {
                let (_, other) = *rng.pick(seeds);
                splice(rng, &body, other)
            }
        };
    }
    body.truncate(MAX_INPUT);
    body
}

/// Byte-level damage: bit flips, telling bytes, insertions, deletions,
/// duplications, truncation.
fn bytes(rng: &mut Rng, mut body: Vec<u8>) -> Vec<u8> {
    const TELLING: &[u8] = b"\0\xff\"{}[],:\\\n\r=&%+-.0e ";
    if body.is_empty() {
        body.push(*rng.pick(TELLING));
        return body;
    }
    let at = rng.below(body.len());
    match rng.below(7) {
        6 => {
            // Nesting as deep as a parser may refuse (serde_json stops at 128).
            let depth = rng.times(2, 5000, 200);
            let (open, close): (&[u8], &[u8]) = if rng.one_in(2) {
                (b"[", b"]")
            } else {
                (b"{\"a\":", b"}")
            };
            let mut wrapped = open.repeat(depth);
            wrapped.extend_from_slice(&body);
            wrapped.extend_from_slice(&close.repeat(depth));
            return wrapped;
        }
        0 => body[at] ^= 1 << rng.below(8),
        1 => body[at] = *rng.pick(TELLING),
        2 => {
            let n = 1 + rng.below(8);
            for _ in 0..n {
                body.insert(at, *rng.pick(TELLING));
            }
        }
        3 => {
            let end = (at + 1 + rng.below(64)).min(body.len());
            body.drain(at..end);
        }
        4 => {
            let end = (at + 1 + rng.below(256)).min(body.len());
            let chunk = body[at..end].to_vec();
            let times = rng.times(20, 1000, 4);
            for _ in 0..times {
                body.splice(at..at, chunk.iter().copied());
                if body.len() > MAX_INPUT {
                    break;
                }
            }
        }
        _ => body.truncate(at),
    }
    body
}

/// The start of one body followed by the end of another.
fn splice(rng: &mut Rng, a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = a[..rng.below(a.len() + 1)].to_vec();
    out.extend_from_slice(&b[rng.below(b.len() + 1)..]);
    out
}

/// A structural JSON mutation (of one line, for JSON lines); bytes when the
/// body no longer parses.
fn json(rng: &mut Rng, body: &[u8], seeds: &[(Shape, &[u8])]) -> Vec<u8> {
    let donor = donor_value(rng, seeds);
    if let Ok(mut value) = serde_json::from_slice::<Value>(body) {
        mutate_value(rng, &mut value, donor.as_ref());
        return serde_json::to_vec(&value).unwrap_or_default();
    }
    // JSON lines: mutate one line, maybe duplicate or drop it.
    let mut lines: Vec<Vec<u8>> = body.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    let i = rng.below(lines.len());
    match serde_json::from_slice::<Value>(&lines[i]) {
        Ok(mut value) => {
            mutate_value(rng, &mut value, donor.as_ref());
            lines[i] = serde_json::to_vec(&value).unwrap_or_default();
        }
        Err(_) => return bytes(rng, body.to_vec()),
    }
    if rng.one_in(8) {
        let copy = lines[rng.below(lines.len())].clone();
        lines.insert(rng.below(lines.len() + 1), copy);
    }
    lines.join(&b'\n')
}

/// A random node of a random JSON seed, to transplant.
fn donor_value(rng: &mut Rng, seeds: &[(Shape, &[u8])]) -> Option<Value> {
    let (_, seed) = *rng.pick(seeds);
    let mut value = serde_json::from_slice::<Value>(seed).ok()?;
    for _ in 0..rng.below(6) {
        value = match value {
            Value::Object(map) if !map.is_empty() => {
                let i = rng.below(map.len());
                map.into_iter().nth(i).map(|(_, v)| v)?
            }
            Value::Array(mut items) if !items.is_empty() => {
                let i = rng.below(items.len());
                items.swap_remove(i)
            }
            leaf => return Some(leaf),
        };
    }
    Some(value)
}

/// A random child of an object or array.
fn child<'a>(rng: &mut Rng, node: &'a mut Value) -> Option<&'a mut Value> {
    match node {
        Value::Object(map) if !map.is_empty() => {
            let i = rng.below(map.len());
            map.values_mut().nth(i)
        }
        Value::Array(items) if !items.is_empty() => {
            let i = rng.below(items.len());
            items.get_mut(i)
        }
        _ => None,
    }
}

/// Walks down a random path and changes what it finds there.
fn mutate_value(rng: &mut Rng, root: &mut Value, donor: Option<&Value>) {
    let mut node = root;
    while !rng.one_in(4) {
        // Stop early on the way down, but never step into a leaf's absence.
        let has_child = matches!(&*node, Value::Object(m) if !m.is_empty())
            || matches!(&*node, Value::Array(a) if !a.is_empty());
        if !has_child {
            break;
        }
        node = child(rng, node).expect("checked above");
    }
    match rng.below(14) {
        0 | 1 => *node = number(rng),
        2 | 3 => *node = Value::String((*rng.pick(STRINGS)).to_string()),
        4 => {
            *node = match rng.below(6) {
                0 => Value::Null,
                1 => Value::Bool(rng.one_in(2)),
                2 => Value::Array(Vec::new()),
                3 => Value::Object(Map::new()),
                4 => Value::Array(vec![node.take()]),
                _ => Value::String(node.to_string()),
            }
        }
        5 => {
            // Deep nesting, up to just under serde_json's recursion limit
            // (deeper documents are made as text, in `bytes`).
            let depth = *rng.pick(&[2, 20, 100, 125]);
            let mut v = node.take();
            for _ in 0..depth {
                v = if rng.one_in(2) {
                    Value::Array(vec![v])
                } else {
                    let mut m = Map::new();
                    m.insert("a".into(), v);
                    Value::Object(m)
                };
            }
            *node = v;
        }
        6 => {
            let unit = *rng.pick(&["x", "é", "𝄞", " ", "\u{0}", "Billing, Refunds;"]);
            *node = Value::String(unit.repeat(rng.times(8, 100_000, 300)));
        }
        7 => match node {
            Value::Object(map) if !map.is_empty() => {
                let key = map
                    .keys()
                    .nth(rng.below(map.len()))
                    .cloned()
                    .unwrap_or_default();
                let value = map.remove(&key).unwrap_or(Value::Null);
                match rng.below(3) {
                    0 => {}
                    1 => {
                        map.insert(key.to_lowercase(), value);
                    }
                    _ => {
                        map.insert(key.to_uppercase(), value);
                    }
                }
            }
            Value::Array(items) if !items.is_empty() => {
                let i = rng.below(items.len());
                items.remove(i);
            }
            _ => *node = Value::Null,
        },
        8 => match node {
            Value::Array(items) if !items.is_empty() => {
                let copy = items[rng.below(items.len())].clone();
                let times = rng.times(16, 300, 3);
                for _ in 0..times {
                    items.push(copy.clone());
                }
            }
            Value::Object(map) => {
                map.insert((*rng.pick(STRINGS)).to_string(), number(rng));
            }
            _ => *node = Value::Array(vec![node.take(), number(rng)]),
        },
        9 | 10 => {
            if let Some(d) = donor {
                *node = d.clone();
            }
        }
        11 => {
            if let Value::String(s) = node {
                // A slice of the string (ids, ARNs, timestamps cut short).
                let cut: String = s.chars().take(rng.below(s.chars().count() + 1)).collect();
                *s = cut;
            } else {
                *node = number(rng);
            }
        }
        12 => {
            if let Value::Number(n) = node {
                let v = n.as_f64().unwrap_or(0.0);
                let factor = *rng.pick(&[-1.0, 1000.0, 1e-3, 1e6, 1.5]);
                *node = Value::from(v * factor);
            } else {
                *node = Value::String(format!("{}", number(rng)));
            }
        }
        _ => {
            *node = Value::String(
                (*rng.pick(&[
                    "2024-05-01T10:00:00Z",
                    "2024-05-01T09:00:00Z",
                    "1970-01-01T00:00:00Z",
                    "1714558500",
                    "1714558500000",
                    "2024-05-01 10:00",
                ]))
                .to_string(),
            )
        }
    }
}

/// A JSON number from the awkward list (or a random integer).
fn number(rng: &mut Rng) -> Value {
    if rng.one_in(4) {
        return Value::from(rng.next_u64() as i64);
    }
    Value::from(*rng.pick(NUMBERS))
}

/// A form body: change, drop, duplicate or rename one parameter; a value
/// holding JSON gets a JSON mutation.
fn form(rng: &mut Rng, body: &[u8], seeds: &[(Shape, &[u8])]) -> Vec<u8> {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    if pairs.is_empty() {
        return bytes(rng, body.to_vec());
    }
    let i = rng.below(pairs.len());
    match rng.below(8) {
        0 => {
            pairs.remove(i);
        }
        1 => {
            let copy = pairs[i].clone();
            pairs.push(copy);
        }
        2 => pairs[i].0 = pairs[i].0.to_lowercase(),
        3 | 4 => {
            let value = &pairs[i].1;
            pairs[i].1 = if value.trim_start().starts_with(['{', '[']) {
                String::from_utf8_lossy(&json(rng, value.as_bytes(), seeds)).into_owned()
            } else {
                scalar(rng)
            };
        }
        _ => pairs[i].1 = scalar(rng),
    }
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

/// A scalar as text: an awkward string or number.
fn scalar(rng: &mut Rng) -> String {
    if rng.one_in(2) {
        (*rng.pick(STRINGS)).to_string()
    } else {
        number(rng).to_string()
    }
}

/// A CSV body: change a cell, drop or duplicate a row, add or drop a column,
/// open a quote.
fn csv(rng: &mut Rng, body: &[u8]) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(body) else {
        return bytes(rng, body.to_vec());
    };
    let mut rows: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    if rows.is_empty() {
        return bytes(rng, body.to_vec());
    }
    let r = rng.below(rows.len());
    let c = rng.below(rows[r].len().max(1));
    match rng.below(7) {
        0 => {
            rows.remove(r);
        }
        1 => {
            let copy = rows[r].clone();
            let times = rng.times(16, 1000, 3);
            for _ in 0..times {
                rows.push(copy.clone());
            }
        }
        2 => rows[r].push(scalar(rng)),
        3 => {
            if c < rows[r].len() {
                rows[r].remove(c);
            }
        }
        4 => {
            if let Some(cell) = rows[r].get_mut(c) {
                cell.insert(0, '"');
            }
        }
        _ => {
            if let Some(cell) = rows[r].get_mut(c) {
                let s = scalar(rng);
                *cell = if s.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", s.replace('"', "\"\""))
                } else {
                    s
                };
            }
        }
    }
    rows.iter()
        .map(|row| row.join(","))
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_inputs() {
        let seeds = [(Shape::Json, br#"{"a":[1,2,{"b":"c"}]}"#.as_slice())];
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..50)
                .map(|_| mutate(&mut rng, seeds[0], &seeds))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn every_shape_mutates_without_panicking() {
        let seeds = [
            (Shape::Json, b"{\"a\":1}\n{\"b\":[2]}".as_slice()),
            (Shape::Form, b"a=1&j=%7B%22x%22%3A1%7D".as_slice()),
            (Shape::Csv, b"h1,h2\n1,2\n3,4".as_slice()),
        ];
        let mut rng = Rng::new(1);
        for i in 0..2000 {
            assert!(mutate(&mut rng, seeds[i % 3], &seeds).len() <= MAX_INPUT);
        }
    }
}
