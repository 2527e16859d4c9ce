//! The pair-scoring arithmetic of the reference matcher, free of WIT binding types.
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

/// Scores every eligible pair, protégé by protégé, mentors in input order.
pub fn rank(
    proteges: &[Protege],
    mentors: &[Mentor],
    weights: Weights,
) -> Result<Vec<Pair>, Invalid> {
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
    let mut pairs = Vec::new();
    for (i, protege) in proteges.iter().enumerate() {
        for (j, mentor) in mentors.iter().enumerate() {
            if mentor.capacity == 0 || mentor.profile.agent_id == protege.profile.agent_id {
                continue;
            }
            pairs.push(score_pair(protege, mentor, weights, i, j));
        }
    }
    Ok(pairs)
}

fn score_pair(protege: &Protege, mentor: &Mentor, weights: Weights, i: usize, j: usize) -> Pair {
    let mut reasons = Vec::new();
    let skill = skill_component(protege, mentor, &mut reasons);
    let style = style_component(&protege.profile, &mentor.profile, &mut reasons);
    let timezone = timezone_component(&protege.profile, &mentor.profile, &mut reasons);
    let channels = channel_component(&protege.profile, &mentor.profile, &mut reasons);
    let score = (weights.skill * skill
        + weights.style * style
        + weights.timezone * timezone
        + weights.channels * channels)
        / weights.sum();
    Pair {
        protege_index: u32::try_from(i).unwrap_or(u32::MAX),
        mentor_index: u32::try_from(j).unwrap_or(u32::MAX),
        score,
        reasons,
    }
}

fn same_topic(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

fn skill_component(protege: &Protege, mentor: &Mentor, reasons: &mut Vec<String>) -> f64 {
    let total: f64 = protege.needs.iter().map(|n| n.weakness).sum();
    if total <= 0.0 {
        return 0.5;
    }
    let mut covered: Vec<&Need> = protege
        .needs
        .iter()
        .filter(|n| n.weakness > 0.0 && mentor.strengths.iter().any(|s| same_topic(s, &n.topic)))
        .collect();
    let earned: f64 = covered.iter().map(|n| n.weakness).sum();
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

fn style_component(protege: &Profile, mentor: &Profile, reasons: &mut Vec<String>) -> f64 {
    match (&protege.style, &mentor.style) {
        (Some(a), Some(b)) if same_topic(a, b) => {
            reasons.push(format!("same communication style ({})", a.trim()));
            1.0
        }
        (Some(_), Some(_)) => 0.0,
        _ => 0.5,
    }
}

fn timezone_component(protege: &Profile, mentor: &Profile, reasons: &mut Vec<String>) -> f64 {
    let (Some(a), Some(b)) = (protege.utc_offset_minutes, mentor.utc_offset_minutes) else {
        return 0.5;
    };
    let apart = (i64::from(a) - i64::from(b)).unsigned_abs();
    if apart == 0 {
        reasons.push("same time zone".into());
    } else if apart <= 180 {
        reasons.push(format!("time zones only {} apart", hours(apart)));
    }
    (1.0 - apart as f64 / TIMEZONE_SPAN_MINUTES).max(0.0)
}

fn channel_component(protege: &Profile, mentor: &Profile, reasons: &mut Vec<String>) -> f64 {
    let mut theirs: Vec<&str> = Vec::new();
    for c in &protege.channels {
        if !theirs.contains(&c.as_str()) {
            theirs.push(c);
        }
    }
    if theirs.is_empty() {
        return 0.5;
    }
    let shared: Vec<&str> = theirs
        .iter()
        .copied()
        .filter(|c| mentor.channels.iter().any(|m| m == c))
        .collect();
    if !shared.is_empty() {
        reasons.push(format!("both use {}", english_list(&shared)));
    }
    shared.len() as f64 / theirs.len() as f64
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
}
