//! The engagement weighting, free of any WIT binding type: reading the two
//! config keys and adjusting a plain [`Form`] before the reference arithmetic
//! scores it. Everything here runs natively in `cargo test`.
//!
//! # Where the factor goes
//!
//! * `question` and `points` weighting: every criterion whose topic is the
//!   configured topic has its weight multiplied by the factor. Section weights
//!   are left alone.
//! * `section` weighting: a section's score is earned / possible *within* the
//!   section, so multiplying every criterion of a section by the same factor
//!   would cancel out. Hence a section made **only** of criteria on the topic
//!   has its **section weight** multiplied (its criteria keep their points, so
//!   the section's breakdown reads as on the form); in a mixed section, the
//!   criteria on the topic have their **criterion weights** multiplied, which
//!   moves that section's percent towards them.
//!
//! A factor of 1 changes nothing, so the plugin then scores exactly like the
//! reference scorer.

use crate::score::{Form, Weighting};

/// Config key: the topic to weight up.
pub const TOPIC_KEY: &str = "engagement.topic";
/// Config key: the multiplier.
pub const FACTOR_KEY: &str = "engagement.factor";
/// The topic when `engagement.topic` is not set.
pub const DEFAULT_TOPIC: &str = "customer-engagement";
/// The multiplier when `engagement.factor` is not set.
pub const DEFAULT_FACTOR: f64 = 2.0;

/// Which criteria are weighted up, and by how much.
#[derive(Debug, Clone, PartialEq)]
pub struct Boost {
    /// Criteria whose `topic` equals this (exactly) are weighted up.
    pub topic: String,
    /// The multiplier: finite and ≥ 0 (0 leaves the topic out of the score).
    pub factor: f64,
}

/// A config value the plugin cannot use.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// The config key at fault.
    pub key: String,
    /// What is wrong with it, naming the key and the value.
    pub message: String,
}

impl Boost {
    /// Reads `engagement.topic` and `engagement.factor` through `lookup` (the
    /// host's `config-get` in the plugin), keeping the default for a missing key.
    pub fn from_config(lookup: impl Fn(&str) -> Option<String>) -> Result<Boost, ConfigError> {
        let topic = match lookup(TOPIC_KEY) {
            None => DEFAULT_TOPIC.to_owned(),
            Some(text) => {
                let topic = text.trim();
                if topic.is_empty() {
                    return Err(ConfigError {
                        key: TOPIC_KEY.into(),
                        message: format!(
                            "`{TOPIC_KEY}` is empty; set it to the topic to weight up, \
                             e.g. \"{DEFAULT_TOPIC}\""
                        ),
                    });
                }
                topic.to_owned()
            }
        };
        let factor = match lookup(FACTOR_KEY) {
            None => DEFAULT_FACTOR,
            Some(text) => match text.trim().parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => v,
                Ok(_) => {
                    return Err(ConfigError {
                        key: FACTOR_KEY.into(),
                        message: format!(
                            "`{FACTOR_KEY}` is {text:?}; the factor must be a finite number \
                             of 0 or more (1 scores like the reference scorer)"
                        ),
                    });
                }
                Err(_) => {
                    return Err(ConfigError {
                        key: FACTOR_KEY.into(),
                        message: format!(
                            "`{FACTOR_KEY}` is {text:?}, not a number; write the factor as a \
                             decimal number such as \"2\" or \"1.5\""
                        ),
                    });
                }
            },
        };
        Ok(Boost { topic, factor })
    }
}

/// What [`apply`] multiplied, for the plugin's log line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Boosted {
    /// Section weights multiplied (section weighting only).
    pub sections: usize,
    /// Criterion weights multiplied.
    pub criteria: usize,
}

/// Multiplies the weights of the topic's criteria (or sections) by the factor.
///
/// `topics[s][c]` is the topic of criterion `c` of section `s` (the plain
/// [`Form`] has no topic field); a missing entry counts as no topic.
pub fn apply(form: &mut Form, topics: &[Vec<Option<String>>], boost: &Boost) -> Boosted {
    let by_section = form.settings.weighting == Weighting::Section;
    let mut boosted = Boosted::default();
    for (s, section) in form.sections.iter_mut().enumerate() {
        let on_topic = |c: usize| {
            topics
                .get(s)
                .and_then(|row| row.get(c))
                .and_then(Option::as_deref)
                == Some(boost.topic.as_str())
        };
        let whole_section =
            by_section && !section.criteria.is_empty() && (0..section.criteria.len()).all(on_topic);
        if whole_section {
            section.weight *= boost.factor;
            boosted.sections += 1;
            continue;
        }
        for (c, criterion) in section.criteria.iter_mut().enumerate() {
            if on_topic(c) {
                criterion.weight *= boost.factor;
                boosted.criteria += 1;
            }
        }
    }
    boosted
}

#[cfg(test)]
mod tests {
    //! Config parsing, where the factor lands, and hand-computed scores
    //! against the reference arithmetic.

    use super::*;
    use crate::score::{
        Answer, AutoFail, Criterion, NaPolicy, NaRedistribution, Normalization, Scorecard, Section,
        Settings, Value, score,
    };

    const ENGAGEMENT: &str = "customer-engagement";

    fn settings(weighting: Weighting) -> Settings {
        Settings {
            weighting,
            na_policy: NaPolicy::Exclude,
            na_redistribution: NaRedistribution::Proportional,
            auto_fail: AutoFail::ZeroScore,
            normalization: Normalization::MinMax,
            critical_threshold: None,
            pass_mark: 80.0,
            allow_bonus: false,
        }
    }

    fn boost(factor: f64) -> Boost {
        Boost {
            topic: ENGAGEMENT.into(),
            factor,
        }
    }

    /// A form built with topics: `(section id, weight, [(id, weight, min, max, topic)])`.
    type Spec<'a> = [(
        &'a str,
        f64,
        &'a [(&'a str, f64, f64, f64, Option<&'a str>)],
    )];

    fn build(spec: &Spec<'_>, settings: Settings) -> (Form, Vec<Vec<Option<String>>>) {
        let sections = spec
            .iter()
            .map(|(id, weight, criteria)| Section {
                id: (*id).into(),
                weight: *weight,
                criteria: criteria
                    .iter()
                    .map(|(id, weight, min, max, _)| Criterion {
                        id: (*id).into(),
                        weight: *weight,
                        scale_min: *min,
                        scale_max: *max,
                        critical: false,
                        fatal: false,
                        bonus: false,
                    })
                    .collect(),
            })
            .collect();
        let topics = spec
            .iter()
            .map(|(_, _, criteria)| {
                criteria
                    .iter()
                    .map(|(.., topic)| topic.map(str::to_owned))
                    .collect()
            })
            .collect();
        (Form { sections, settings }, topics)
    }

    fn answers(values: &[(&str, f64)]) -> Vec<Answer> {
        values
            .iter()
            .map(|(id, v)| Answer {
                criterion_id: (*id).into(),
                value: Value::Score(*v),
            })
            .collect()
    }

    /// The reference scorer's result and this plugin's, under `factor`.
    fn both(
        form: &Form,
        topics: &[Vec<Option<String>>],
        answers: &[Answer],
        factor: f64,
    ) -> (Scorecard, Scorecard) {
        let reference = score(form, answers).unwrap();
        let mut boosted = form.clone();
        apply(&mut boosted, topics, &boost(factor));
        (reference, score(&boosted, answers).unwrap())
    }

    fn assert_close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "expected {expected}, got {actual}"
        );
    }

    /// One section (question weighting), ratings on 1..5 (min-max):
    /// empathy (engagement, weight 1), accuracy (product, 2), close (none, 1).
    const CALL: &Spec<'static> = &[(
        "call",
        1.0,
        &[
            ("empathy", 1.0, 1.0, 5.0, Some(ENGAGEMENT)),
            ("accuracy", 2.0, 1.0, 5.0, Some("product-knowledge")),
            ("close", 1.0, 1.0, 5.0, None),
        ],
    )];

    /// MaestroQA-style sections: opening 20 (courtesy), engagement 30 (two
    /// engagement criteria), resolution 50 (fix 3 points on resolution,
    /// confirm 1 point on engagement: a mixed section). Yes/no questions.
    const SECTIONS: &Spec<'static> = &[
        (
            "opening",
            20.0,
            &[("greet", 1.0, 0.0, 1.0, Some("courtesy"))],
        ),
        (
            "engagement",
            30.0,
            &[
                ("empathy", 1.0, 0.0, 1.0, Some(ENGAGEMENT)),
                ("rapport", 1.0, 0.0, 1.0, Some(ENGAGEMENT)),
            ],
        ),
        (
            "resolution",
            50.0,
            &[
                ("fix", 3.0, 0.0, 1.0, Some("resolution")),
                ("confirm", 1.0, 0.0, 1.0, Some(ENGAGEMENT)),
            ],
        ),
    ];

    #[test]
    fn missing_keys_take_the_documented_defaults() {
        assert_eq!(
            Boost::from_config(|_| None).unwrap(),
            Boost {
                topic: DEFAULT_TOPIC.into(),
                factor: DEFAULT_FACTOR
            }
        );
    }

    #[test]
    fn configured_topic_and_factor_are_read_and_trimmed() {
        let got = Boost::from_config(|key| match key {
            TOPIC_KEY => Some(" rapport ".into()),
            FACTOR_KEY => Some(" 1.5 ".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            got,
            Boost {
                topic: "rapport".into(),
                factor: 1.5
            }
        );
        let zero = Boost::from_config(|key| (key == FACTOR_KEY).then(|| "0".into())).unwrap();
        assert_eq!(zero.factor, 0.0, "0 is allowed: it leaves the topic out");
    }

    #[test]
    fn a_factor_that_is_not_a_number_is_a_config_error_naming_the_key() {
        for bad in ["double", "", "2x", "two"] {
            let err =
                Boost::from_config(|key| (key == FACTOR_KEY).then(|| bad.into())).unwrap_err();
            assert_eq!(err.key, FACTOR_KEY, "{bad:?}");
            assert!(err.message.contains("engagement.factor"), "{}", err.message);
            assert!(err.message.contains("not a number"), "{}", err.message);
        }
    }

    #[test]
    fn a_negative_or_infinite_factor_is_a_config_error_naming_the_key() {
        for bad in ["-1", "-0.5", "NaN", "inf", "-inf"] {
            let err =
                Boost::from_config(|key| (key == FACTOR_KEY).then(|| bad.into())).unwrap_err();
            assert_eq!(err.key, FACTOR_KEY, "{bad:?}");
            assert!(err.message.contains("0 or more"), "{}", err.message);
            assert!(err.message.contains(bad), "{}", err.message);
        }
    }

    #[test]
    fn an_empty_topic_is_a_config_error() {
        let err = Boost::from_config(|key| (key == TOPIC_KEY).then(|| "  ".into())).unwrap_err();
        assert_eq!(err.key, TOPIC_KEY);
        assert!(err.message.contains("is empty"), "{}", err.message);
    }

    #[test]
    fn question_weighting_multiplies_the_topic_criteria_only() {
        let (mut form, topics) = build(CALL, settings(Weighting::Question));
        let boosted = apply(&mut form, &topics, &boost(2.0));
        assert_eq!(
            boosted,
            Boosted {
                sections: 0,
                criteria: 1
            }
        );
        let weights: Vec<f64> = form.sections[0].criteria.iter().map(|c| c.weight).collect();
        assert_eq!(weights, vec![2.0, 2.0, 1.0]);
        assert_eq!(form.sections[0].weight, 1.0);
    }

    #[test]
    fn section_weighting_multiplies_a_whole_topic_section_and_mixed_criteria() {
        let (mut form, topics) = build(SECTIONS, settings(Weighting::Section));
        let boosted = apply(&mut form, &topics, &boost(2.0));
        assert_eq!(
            boosted,
            Boosted {
                sections: 1,
                criteria: 1
            }
        );
        let section_weights: Vec<f64> = form.sections.iter().map(|s| s.weight).collect();
        assert_eq!(section_weights, vec![20.0, 60.0, 50.0]);
        let engagement: Vec<f64> = form.sections[1].criteria.iter().map(|c| c.weight).collect();
        assert_eq!(
            engagement,
            vec![1.0, 1.0],
            "a whole section keeps its points"
        );
        let resolution: Vec<f64> = form.sections[2].criteria.iter().map(|c| c.weight).collect();
        assert_eq!(
            resolution,
            vec![3.0, 2.0],
            "confirm doubled inside its section"
        );
        // The same form under points weighting: criteria everywhere, no section.
        let (mut form, topics) = build(SECTIONS, settings(Weighting::Points));
        apply(&mut form, &topics, &boost(2.0));
        assert_eq!(form.sections[1].weight, 30.0);
        assert_eq!(form.sections[1].criteria[0].weight, 2.0);
    }

    #[test]
    fn factor_one_scores_exactly_like_the_reference_under_every_switch() {
        let evaluations = [
            answers(&[("empathy", 2.0), ("accuracy", 5.0), ("close", 5.0)]),
            answers(&[("empathy", 5.0), ("accuracy", 3.0)]),
            answers(&[
                ("greet", 1.0),
                ("empathy", 0.0),
                ("fix", 1.0),
                ("confirm", 0.0),
            ]),
            answers(&[("rapport", 1.0), ("confirm", 1.0)]),
        ];
        for weighting in [Weighting::Question, Weighting::Section, Weighting::Points] {
            for na_policy in [NaPolicy::Exclude, NaPolicy::CountAsPass] {
                for na_redistribution in [NaRedistribution::Proportional, NaRedistribution::Equal] {
                    for normalization in [Normalization::MinMax, Normalization::Raw] {
                        let settings = Settings {
                            na_policy,
                            na_redistribution,
                            normalization,
                            ..settings(weighting)
                        };
                        for (spec, evaluations) in
                            [(CALL, &evaluations[..2]), (SECTIONS, &evaluations[2..])]
                        {
                            let (form, topics) = build(spec, settings);
                            let mut same = form.clone();
                            apply(&mut same, &topics, &boost(1.0));
                            assert_eq!(same, form);
                            for answers in evaluations {
                                assert_eq!(score(&same, answers), score(&form, answers));
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn factor_two_lowers_an_evaluation_weak_on_engagement() {
        // empathy 2 of 1..5 = 25%, accuracy 100%, close 100%.
        let (form, topics) = build(CALL, settings(Weighting::Question));
        let weak = answers(&[("empathy", 2.0), ("accuracy", 5.0), ("close", 5.0)]);
        let (reference, engaged) = both(&form, &topics, &weak, 2.0);
        // Reference: (0.25·1 + 1·2 + 1·1) / (1 + 2 + 1) = 3.25 / 4.
        assert_close(reference.score, 81.25);
        // Engagement ×2: (0.25·2 + 1·2 + 1·1) / (2 + 2 + 1) = 3.5 / 5.
        assert_close(engaged.score, 70.0);
        assert!(reference.passed && !engaged.passed, "the pass mark is 80");
    }

    #[test]
    fn factor_two_lifts_an_evaluation_strong_on_engagement() {
        // empathy 5 = 100%, accuracy 3 = 50%, close 3 = 50%.
        let (form, topics) = build(CALL, settings(Weighting::Question));
        let strong = answers(&[("empathy", 5.0), ("accuracy", 3.0), ("close", 3.0)]);
        let (reference, engaged) = both(&form, &topics, &strong, 2.0);
        // Reference: (1·1 + 0.5·2 + 0.5·1) / 4 = 2.5 / 4.
        assert_close(reference.score, 62.5);
        // Engagement ×2: (1·2 + 0.5·2 + 0.5·1) / 5 = 3.5 / 5.
        assert_close(engaged.score, 70.0);
    }

    #[test]
    fn section_weighting_weak_and_strong_on_engagement() {
        let (form, topics) = build(SECTIONS, settings(Weighting::Section));
        // Weak: greet yes, empathy no, rapport yes, fix yes, confirm no.
        let weak = answers(&[
            ("greet", 1.0),
            ("empathy", 0.0),
            ("rapport", 1.0),
            ("fix", 1.0),
            ("confirm", 0.0),
        ]);
        let (reference, engaged) = both(&form, &topics, &weak, 2.0);
        // Reference: (1·20 + ½·30 + ¾·50) / 100 = 72.5 / 100.
        assert_close(reference.score, 72.5);
        // ×2: engagement section weight 60, confirm 2 points in resolution:
        // (1·20 + ½·60 + 3/5·50) / (20 + 60 + 50) = 80 / 130.
        assert_close(engaged.score, 80.0 / 130.0 * 100.0);
        assert!((engaged.score - 61.54).abs() < 0.005);
        // The whole-topic section keeps its points: 1 of 2.
        assert_eq!(engaged.sections[1].earned, 1.0);
        assert_eq!(engaged.sections[1].possible, 2.0);
        // The mixed one counts confirm twice: 3 of 5.
        assert_eq!(engaged.sections[2].possible, 5.0);

        // Strong: greet yes, empathy yes, rapport yes, fix no, confirm yes.
        let strong = answers(&[
            ("greet", 1.0),
            ("empathy", 1.0),
            ("rapport", 1.0),
            ("fix", 0.0),
            ("confirm", 1.0),
        ]);
        let (reference, engaged) = both(&form, &topics, &strong, 2.0);
        // Reference: (1·20 + 1·30 + ¼·50) / 100 = 62.5 / 100.
        assert_close(reference.score, 62.5);
        // ×2: (1·20 + 1·60 + 2/5·50) / 130 = 100 / 130.
        assert_close(engaged.score, 100.0 / 130.0 * 100.0);
        assert!((engaged.score - 76.92).abs() < 0.005);
    }

    #[test]
    fn the_readme_figure_on_the_reference_sample_holds() {
        // examples/data/invoke-reference-scorer.json with "discovery" as the topic.
        let spec: &Spec<'_> = &[
            ("s1", 10.0, &[("s1q1", 3.0, 0.0, 1.0, None)]),
            ("s2", 30.0, &[("s2q1", 10.0, 0.0, 1.0, Some("discovery"))]),
            (
                "s3",
                50.0,
                &[("s3q1", 5.0, 0.0, 1.0, Some("product-knowledge"))],
            ),
            ("s4", 10.0, &[("s4q1", 2.0, 0.0, 1.0, None)]),
        ];
        let (mut form, topics) = build(spec, settings(Weighting::Section));
        let answers = answers(&[("s1q1", 1.0), ("s2q1", 0.5), ("s3q1", 0.8), ("s4q1", 0.5)]);
        assert_close(score(&form, &answers).unwrap().score, 70.0);
        let discovery = Boost {
            topic: "discovery".into(),
            factor: 2.0,
        };
        apply(&mut form, &topics, &discovery);
        // (10 + 60·0.5 + 50·0.8 + 10·0.5) / 130 = 85 / 130.
        assert_close(score(&form, &answers).unwrap().score, 85.0 / 130.0 * 100.0);
    }

    #[test]
    fn a_form_without_the_topic_is_untouched() {
        let (mut form, topics) = build(CALL, settings(Weighting::Section));
        let other = Boost {
            topic: "billing".into(),
            factor: 3.0,
        };
        let before = form.clone();
        assert_eq!(apply(&mut form, &topics, &other), Boosted::default());
        assert_eq!(form, before);
    }
}
