//! The pair-scoring arithmetic of the reference matcher, free of WIT binding types:
//! shared by the matcher of API 0.4.0 (a score matrix, then reasons for the pairs the
//! host shortlists), its API 0.1.0 predecessor (every pair with its reasons) and the
//! host's benchmarks (natively).
//!
//! Every (protégé, mentor) pair is scored on four components, each 0..1:
//!
//! * **skill complement**: Σ weakness over the protégé's needs the mentor is strong
//!   in / Σ weakness over all needs (0.5 when the protégé has no weakness at all);
//! * **style**: the same communication style 1, either unknown 0.5, different 0;
//! * **time zone**: 1 − |Δ offset| / 720 minutes, at least 0 (unknown 0.5);
//! * **channels**: shared channels / the protégé's channels (0.5 when the protégé
//!   lists none).
//!
//! The score is the weighted mean of the four, with [`Weights`] read from the
//! plugin's configuration. A mentor is never paired with themself, nor offered
//! when their capacity is 0. Each pair carries reasons in plain English.

mod glue;

/// Matching attributes of a protégé or a mentor.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Profile {
    /// Sidecoach agent id.
    pub agent_id: String,
    /// Communication style, e.g. "direct".
    pub style: Option<String>,
    /// UTC offset in minutes.
    pub utc_offset_minutes: Option<i32>,
    /// Channel names (kebab-case WIT case names, e.g. "chat").
    pub channels: Vec<String>,
}

/// A topic a protégé needs help with.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    /// The topic.
    pub topic: String,
    /// 0 (fine) to 1 (weakest).
    pub weakness: f64,
}

/// An agent who needs a mentor.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Protege {
    /// Matching attributes.
    pub profile: Profile,
    /// What they need help with.
    pub needs: Vec<Need>,
}

/// An agent who offers to mentor.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mentor {
    /// Matching attributes.
    pub profile: Profile,
    /// Topics they are strong in.
    pub strengths: Vec<String>,
    /// How many protégés they can take.
    pub capacity: u32,
}

/// One scored pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// Index into the protégés.
    pub protege_index: u32,
    /// Index into the mentors.
    pub mentor_index: u32,
    /// 0..1, higher is better.
    pub score: f64,
    /// Why, in plain English.
    pub reasons: Vec<String>,
}

/// The weight of each component in the score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// Skill complement.
    pub skill: f64,
    /// Communication style.
    pub style: f64,
    /// Time-zone overlap.
    pub timezone: f64,
    /// Shared channels.
    pub channels: f64,
}

impl Weights {
    /// The defaults, also written in `plugin.toml`.
    pub const DEFAULT: Weights = Weights {
        skill: 0.5,
        style: 0.2,
        timezone: 0.15,
        channels: 0.15,
    };

    /// Reads `weight.skill`, `weight.style`, `weight.timezone` and
    /// `weight.channels` through `lookup`, keeping the default for a missing key.
    pub fn from_config(lookup: impl Fn(&str) -> Option<String>) -> Result<Weights, Invalid> {
        let read = |key: &str, default: f64| -> Result<f64, Invalid> {
            let Some(text) = lookup(key) else {
                return Ok(default);
            };
            match text.trim().parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
                _ => Err(Invalid {
                    field: key.to_owned(),
                    message: format!("`{key}` must be a non-negative number, not {text:?}"),
                }),
            }
        };
        let d = Self::DEFAULT;
        let weights = Weights {
            skill: read("weight.skill", d.skill)?,
            style: read("weight.style", d.style)?,
            timezone: read("weight.timezone", d.timezone)?,
            channels: read("weight.channels", d.channels)?,
        };
        if weights.sum() <= 0.0 {
            return Err(Invalid {
                field: "weight.skill".into(),
                message: "the four `weight.*` settings are all zero; at least one must be positive"
                    .into(),
            });
        }
        Ok(weights)
    }

    fn sum(&self) -> f64 {
        self.skill + self.style + self.timezone + self.channels
    }
}

/// A rejected input or setting: the field at fault and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    /// The config key or input path at fault.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Minutes apart at which the time-zone component reaches 0 (12 hours).
const TIMEZONE_SPAN_MINUTES: f64 = 720.0;

/// Checks every protégé's needs: each weakness within 0..1, naming the first that is
/// not.
pub fn validate(proteges: &[Protege]) -> Result<(), Invalid> {
    for (i, p) in proteges.iter().enumerate() {
        for (k, need) in p.needs.iter().enumerate() {
            if !(0.0..=1.0).contains(&need.weakness) {
                return Err(Invalid {
                    field: format!("proteges[{i}].needs[{k}].weakness"),
                    message: format!(
                        "weakness on `{}` is {}; it must be between 0 and 1",
                        need.topic, need.weakness
                    ),
                });
            }
        }
    }
    Ok(())
}

/// Scores every eligible pair, protégé by protégé, mentors in input order.
pub fn rank(
    proteges: &[Protege],
    mentors: &[Mentor],
    weights: Weights,
) -> Result<Vec<Pair>, Invalid> {
    validate(proteges)?;
    let mut pairs = Vec::new();
    for (i, protege) in proteges.iter().enumerate() {
        for (j, mentor) in mentors.iter().enumerate() {
            if !eligible(protege, mentor) {
                continue;
            }
            let mut reasons = Vec::new();
            let score = score_with(protege, mentor, weights, Some(&mut reasons));
            pairs.push(Pair {
                protege_index: u32::try_from(i).unwrap_or(u32::MAX),
                mentor_index: u32::try_from(j).unwrap_or(u32::MAX),
                score,
                reasons,
            });
        }
    }
    Ok(pairs)
}

/// What [`score_matrix`] puts where a pair may not be matched.
pub const NOT_A_FIT: f64 = -1.0;

/// Scores every pair without reasons, row-major: the entry of protégé `i` and
/// mentor `j` is at `i * mentors.len() + j`, [`NOT_A_FIT`] for a pair that may not
/// be matched (a mentor with themself, or one with no places). Each score equals
/// the one [`rank`] gives the same pair, bit for bit.
pub fn score_matrix(
    proteges: &[Protege],
    mentors: &[Mentor],
    weights: Weights,
) -> Result<Vec<f64>, Invalid> {
    validate(proteges)?;
    let mut out = Vec::with_capacity(proteges.len().saturating_mul(mentors.len()));
    for protege in proteges {
        for mentor in mentors {
            out.push(if eligible(protege, mentor) {
                score_with(protege, mentor, weights, None)
            } else {
                NOT_A_FIT
            });
        }
    }
    Ok(out)
}

/// The reasons of each named pair (protégé index, mentor index), in order: the
/// same reasons [`rank`] gives it. An index out of range is an error naming it.
pub fn explain(
    proteges: &[Protege],
    mentors: &[Mentor],
    pairs: &[(u32, u32)],
) -> Result<Vec<Vec<String>>, Invalid> {
    validate(proteges)?;
    let mut out = Vec::with_capacity(pairs.len());
    for (k, &(i, j)) in pairs.iter().enumerate() {
        let (Some(protege), Some(mentor)) = (proteges.get(i as usize), mentors.get(j as usize))
        else {
            return Err(Invalid {
                field: format!("pairs[{k}]"),
                message: format!(
                    "pair ({i}, {j}) is out of range: {} protégés, {} mentors",
                    proteges.len(),
                    mentors.len()
                ),
            });
        };
        let mut reasons = Vec::new();
        score_with(protege, mentor, Weights::DEFAULT, Some(&mut reasons));
        out.push(reasons);
    }
    Ok(out)
}

/// Whether a pair may be matched at all: not a mentor with themself, not a mentor
/// with no places.
fn eligible(protege: &Protege, mentor: &Mentor) -> bool {
    mentor.capacity > 0 && mentor.profile.agent_id != protege.profile.agent_id
}

/// One pair's score; its reasons too when `reasons` is given (the score is the
/// same either way: reasons never change the arithmetic).
fn score_with(
    protege: &Protege,
    mentor: &Mentor,
    weights: Weights,
    mut reasons: Option<&mut Vec<String>>,
) -> f64 {
    let skill = skill_component(protege, mentor, reasons.as_deref_mut());
    let style = style_component(&protege.profile, &mentor.profile, reasons.as_deref_mut());
    let timezone = timezone_component(&protege.profile, &mentor.profile, reasons.as_deref_mut());
    let channels = channel_component(&protege.profile, &mentor.profile, reasons);
    (weights.skill * skill
        + weights.style * style
        + weights.timezone * timezone
        + weights.channels * channels)
        / weights.sum()
}

fn same_topic(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

fn skill_component(protege: &Protege, mentor: &Mentor, reasons: Option<&mut Vec<String>>) -> f64 {
    let total: f64 = protege.needs.iter().map(|n| n.weakness).sum();
    if total <= 0.0 {
        return 0.5;
    }
    let covers =
        |n: &&Need| n.weakness > 0.0 && mentor.strengths.iter().any(|s| same_topic(s, &n.topic));
    // The same needs summed in the same order with or without reasons, so the
    // score is the same bit for bit.
    let earned: f64 = protege
        .needs
        .iter()
        .filter(covers)
        .map(|n| n.weakness)
        .sum();
    let Some(reasons) = reasons else {
        return earned / total;
    };
    let mut covered: Vec<&Need> = protege.needs.iter().filter(covers).collect();
    covered.sort_by(|a, b| b.weakness.total_cmp(&a.weakness));
    if let Some((first, rest)) = covered.split_first() {
        let weakest = protege.needs.iter().map(|n| n.weakness).fold(0.0, f64::max);
        if first.weakness >= weakest {
            reasons.push(format!(
                "strong in {} where the protégé is weakest",
                first.topic
            ));
        } else {
            reasons.push(format!(
                "strong in {}, which the protégé needs help with",
                first.topic
            ));
        }
        if !rest.is_empty() {
            let topics: Vec<&str> = rest.iter().map(|n| n.topic.as_str()).collect();
            reasons.push(format!("also strong in {}", english_list(&topics)));
        }
    }
    earned / total
}

fn style_component(protege: &Profile, mentor: &Profile, reasons: Option<&mut Vec<String>>) -> f64 {
    match (&protege.style, &mentor.style) {
        (Some(a), Some(b)) if same_topic(a, b) => {
            if let Some(reasons) = reasons {
                reasons.push(format!("same communication style ({})", a.trim()));
            }
            1.0
        }
        (Some(_), Some(_)) => 0.0,
        _ => 0.5,
    }
}

fn timezone_component(
    protege: &Profile,
    mentor: &Profile,
    reasons: Option<&mut Vec<String>>,
) -> f64 {
    let (Some(a), Some(b)) = (protege.utc_offset_minutes, mentor.utc_offset_minutes) else {
        return 0.5;
    };
    let apart = (i64::from(a) - i64::from(b)).unsigned_abs();
    if let Some(reasons) = reasons {
        if apart == 0 {
            reasons.push("same time zone".into());
        } else if apart <= 180 {
            reasons.push(format!("time zones only {} apart", hours(apart)));
        }
    }
    (1.0 - apart as f64 / TIMEZONE_SPAN_MINUTES).max(0.0)
}

fn channel_component(
    protege: &Profile,
    mentor: &Profile,
    reasons: Option<&mut Vec<String>>,
) -> f64 {
    // The protégé's channels once each, in order (no allocation: the lists are a
    // handful long, and the score-only path runs for every pair).
    let theirs = protege
        .channels
        .iter()
        .enumerate()
        .filter(|(k, c)| !protege.channels[..*k].contains(c))
        .map(|(_, c)| c.as_str());
    let shared = theirs
        .clone()
        .filter(|c| mentor.channels.iter().any(|m| m == c));
    let distinct = theirs.count();
    if distinct == 0 {
        return 0.5;
    }
    let Some(reasons) = reasons else {
        return shared.count() as f64 / distinct as f64;
    };
    let shared: Vec<&str> = shared.collect();
    if !shared.is_empty() {
        reasons.push(format!("both use {}", english_list(&shared)));
    }
    shared.len() as f64 / distinct as f64
}

/// "a", "a and b", "a, b and c".
fn english_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "1 hour", "2 hours", "1.5 hours", "45 minutes".
fn hours(minutes: u64) -> String {
    match minutes {
        m if m < 60 => format!("{m} minutes"),
        60 => "1 hour".into(),
        m if m % 60 == 0 => format!("{} hours", m / 60),
        m => format!("{} hours", (m as f64 / 60.0 * 10.0).round() / 10.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(id: &str, style: Option<&str>, offset: Option<i32>, channels: &[&str]) -> Profile {
        Profile {
            agent_id: id.into(),
            style: style.map(Into::into),
            utc_offset_minutes: offset,
            channels: channels.iter().map(|c| (*c).into()).collect(),
        }
    }

    fn need(topic: &str, weakness: f64) -> Need {
        Need {
            topic: topic.into(),
            weakness,
        }
    }

    fn protege() -> Protege {
        Protege {
            profile: profile("p1", Some("direct"), Some(60), &["chat", "voice"]),
            needs: vec![need("product-knowledge", 0.8), need("empathy", 0.2)],
        }
    }

    fn mentor(
        id: &str,
        strengths: &[&str],
        style: Option<&str>,
        offset: Option<i32>,
        channels: &[&str],
    ) -> Mentor {
        Mentor {
            profile: profile(id, style, offset, channels),
            strengths: strengths.iter().map(|s| (*s).into()).collect(),
            capacity: 1,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn a_perfect_mentor_scores_one_with_reasons() {
        let m = mentor(
            "m1",
            &["product-knowledge", "empathy"],
            Some("Direct"),
            Some(60),
            &["voice", "chat", "email"],
        );
        let pairs = rank(&[protege()], &[m], Weights::DEFAULT).unwrap();
        assert_eq!(pairs.len(), 1);
        assert!(close(pairs[0].score, 1.0), "{}", pairs[0].score);
        assert_eq!(
            pairs[0].reasons,
            vec![
                "strong in product-knowledge where the protégé is weakest",
                "also strong in empathy",
                "same communication style (direct)",
                "same time zone",
                "both use chat and voice",
            ]
        );
    }

    #[test]
    fn components_follow_their_definitions() {
        // Skill 0.2/1.0, style different 0, 3 hours → 0.75, one of two channels 0.5.
        let m = mentor("m1", &["empathy"], Some("supportive"), Some(240), &["chat"]);
        let pairs = rank(&[protege()], &[m], Weights::DEFAULT).unwrap();
        let expected = 0.5 * 0.2 + 0.2 * 0.0 + 0.15 * 0.75 + 0.15 * 0.5;
        assert!(close(pairs[0].score, expected), "{}", pairs[0].score);
        assert_eq!(
            pairs[0].reasons,
            vec![
                "strong in empathy, which the protégé needs help with",
                "time zones only 3 hours apart",
                "both use chat",
            ]
        );
    }

    #[test]
    fn unknowns_count_as_half() {
        let p = Protege {
            profile: profile("p1", None, None, &[]),
            needs: vec![],
        };
        let m = mentor("m1", &[], Some("direct"), Some(0), &["chat"]);
        let pairs = rank(&[p], &[m], Weights::DEFAULT).unwrap();
        assert!(close(pairs[0].score, 0.5));
        assert!(pairs[0].reasons.is_empty());
    }

    #[test]
    fn time_zones_twelve_hours_apart_or_more_score_zero() {
        let mut p = protege();
        p.profile.utc_offset_minutes = Some(-600);
        let m = mentor("m1", &[], None, Some(600), &[]);
        let w = Weights {
            skill: 0.0,
            style: 0.0,
            timezone: 1.0,
            channels: 0.0,
        };
        let pairs = rank(&[p], &[m], w).unwrap();
        assert_eq!(pairs[0].score, 0.0);
    }

    #[test]
    fn a_mentor_is_never_paired_with_themself_or_when_full() {
        let me = mentor("p1", &["empathy"], None, None, &[]);
        let mut full = mentor("m2", &["empathy"], None, None, &[]);
        full.capacity = 0;
        let ok = mentor("m3", &[], None, None, &[]);
        let pairs = rank(&[protege()], &[me, full, ok], Weights::DEFAULT).unwrap();
        let indices: Vec<(u32, u32)> = pairs
            .iter()
            .map(|p| (p.protege_index, p.mentor_index))
            .collect();
        assert_eq!(indices, vec![(0, 2)]);
    }

    #[test]
    fn every_pair_is_scored_in_input_order() {
        let mut second = protege();
        second.profile.agent_id = "p2".into();
        let mentors = [
            mentor("m1", &[], None, None, &[]),
            mentor("m2", &[], None, None, &[]),
        ];
        let pairs = rank(&[protege(), second], &mentors, Weights::DEFAULT).unwrap();
        let indices: Vec<(u32, u32)> = pairs
            .iter()
            .map(|p| (p.protege_index, p.mentor_index))
            .collect();
        assert_eq!(indices, vec![(0, 0), (0, 1), (1, 0), (1, 1)]);
    }

    #[test]
    fn weaknesses_outside_zero_to_one_are_rejected() {
        let mut p = protege();
        p.needs[1].weakness = 1.5;
        let err = rank(&[p], &[], Weights::DEFAULT).unwrap_err();
        assert_eq!(err.field, "proteges[0].needs[1].weakness");
    }

    #[test]
    fn weights_come_from_config_with_defaults() {
        let w =
            Weights::from_config(|key| (key == "weight.skill").then(|| "2".to_owned())).unwrap();
        assert_eq!(w.skill, 2.0);
        assert_eq!(w.style, 0.2);
        assert_eq!(Weights::from_config(|_| None).unwrap(), Weights::DEFAULT);
    }

    #[test]
    fn invalid_weights_are_config_errors_naming_the_key() {
        for bad in ["heavy", "-1", "NaN", "inf", ""] {
            let err = Weights::from_config(|key| (key == "weight.style").then(|| bad.to_owned()))
                .unwrap_err();
            assert_eq!(err.field, "weight.style", "{bad}");
            assert!(err.message.contains("weight.style"));
        }
        let err = Weights::from_config(|_| Some("0".into())).unwrap_err();
        assert!(err.message.contains("all zero"));
    }

    #[test]
    fn lists_and_hours_read_naturally() {
        assert_eq!(english_list(&["chat"]), "chat");
        assert_eq!(
            english_list(&["chat", "voice", "email"]),
            "chat, voice and email"
        );
        assert_eq!(hours(30), "30 minutes");
        assert_eq!(hours(60), "1 hour");
        assert_eq!(hours(90), "1.5 hours");
        assert_eq!(hours(120), "2 hours");
    }

    #[test]
    fn the_matrix_and_the_explanations_agree_with_rank_pair_for_pair() {
        let styles = [None, Some("direct"), Some("Supportive "), Some("direct")];
        let channels: [&[&str]; 4] = [&[], &["chat", "chat", "voice"], &["email"], &["voice"]];
        let topics = ["billing", "empathy", "Product-knowledge ", "tone"];
        let proteges: Vec<Protege> = (0..7)
            .map(|i| Protege {
                profile: profile(
                    &format!("a{i}"),
                    styles[i % 4],
                    (i % 3 != 0).then_some(i as i32 * 97 - 300),
                    channels[i % 4],
                ),
                needs: (0..i % 4)
                    .map(|k| need(topics[(i + k) % 4].trim(), ((i + k) % 5) as f64 / 4.0))
                    .collect(),
            })
            .collect();
        let mentors: Vec<Mentor> = (0..6)
            .map(|j| Mentor {
                // a3 mentors too: never paired with themself.
                profile: profile(
                    &format!("a{}", j + 1),
                    styles[(j + 1) % 4],
                    (j != 2).then_some(j as i32 * 131 - 200),
                    channels[(j + 2) % 4],
                ),
                strengths: topics[..j % 4 + 1].iter().map(|t| t.to_string()).collect(),
                capacity: if j == 4 { 0 } else { 2 },
            })
            .collect();
        let ranked = rank(&proteges, &mentors, Weights::DEFAULT).unwrap();
        let matrix = score_matrix(&proteges, &mentors, Weights::DEFAULT).unwrap();
        assert_eq!(matrix.len(), proteges.len() * mentors.len());
        let eligible = matrix.iter().filter(|s| **s != NOT_A_FIT).count();
        assert_eq!(eligible, ranked.len(), "the same pairs are eligible");
        let named: Vec<(u32, u32)> = ranked
            .iter()
            .map(|p| (p.protege_index, p.mentor_index))
            .collect();
        let reasons = explain(&proteges, &mentors, &named).unwrap();
        for (pair, why) in ranked.iter().zip(&reasons) {
            let at = pair.protege_index as usize * mentors.len() + pair.mentor_index as usize;
            assert_eq!(matrix[at].to_bits(), pair.score.to_bits(), "{pair:?}");
            assert_eq!(why, &pair.reasons);
        }
        assert!(ranked.iter().any(|p| !p.reasons.is_empty()));
        let out = explain(&proteges, &mentors, &[(0, 0), (7, 0)]).unwrap_err();
        assert_eq!(out.field, "pairs[1]");
    }
}
