//! The demo data set: vendor payloads built from the published fixtures in
//! `tests/data/vendors/`, sent through the real adapters of the sources in
//! `examples/demo.toml` on a demo host's first start.
//!
//! Each fixture is delivered once as published; the Connect CTR, Contact Lens
//! and Qualtrics fixtures are also used as templates for four weeks of
//! contacts of eight agents (ids, times, durations, queues and topics
//! varied by a fixed-seed generator, everything else as the vendor sends it).
//! The agents and contacts are invented; the shapes are the vendors'.

use std::fmt;

use anyhow::Context;
use base64::Engine as _;
use serde_json::{Value, json};

use crate::config::Config;
use crate::ingest::{Delivery, Ingest, IngestError};
use crate::records::{Filter, Records};
use crate::tokens::Tokens;

/// The demo sources (`examples/demo.toml`), as TOML.
pub const CONFIG: &str = include_str!("../../examples/demo.toml");

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../tests/data/vendors/", $name)).as_slice()
    };
}

/// The demo configuration (sources with demo secrets), before
/// `--listen` / `--data-dir`.
pub fn config() -> anyhow::Result<Config> {
    Config::from_toml(CONFIG).context("examples/demo.toml")
}

/// What loading produced.
#[derive(Debug, Default)]
pub struct Summary {
    /// Deliveries sent.
    pub deliveries: usize,
    /// Events stored.
    pub accepted: usize,
    /// Redeliveries recognised.
    pub duplicates: usize,
    /// Records kept as dead letters.
    pub rejected: usize,
    /// Agents created from vendor ids.
    pub agents: usize,
    /// QA evaluations scored.
    pub scored: usize,
    /// Alerts raised.
    pub alerts: usize,
    /// Recognition candidates raised.
    pub recognitions: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} deliveries: {} events stored, {} duplicates, {} rejected (see /v1/dead-letters), {} agents created from vendor ids; {} evaluations scored, {} alerts, {} recognition candidates",
            self.deliveries,
            self.accepted,
            self.duplicates,
            self.rejected,
            self.agents,
            self.scored,
            self.alerts,
            self.recognitions
        )
    }
}

/// A tiny fixed-seed generator (the demo must be the same every time).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The Connect user id of demo agent `a` (the last segment of its ARN).
fn demo_agent_uuid(a: usize) -> String {
    uuid_like(0xA6E7_0000 + a as u64, a as u64 + 1)
}

/// The demo QA form's id.
pub const DEMO_FORM: &str = "demo-voice-qa";

/// The demo team, its supervisor, its agents (holding their Connect
/// identities, so the vendor data lands on them) and the QA form the demo
/// reviews use. Durable on return.
pub async fn prepare(records: &Records) -> anyhow::Result<()> {
    use crate::model::{Agent, Form, Staff, Targets, Team};
    let staff = |name: &str, email: &str, title: &str| Staff {
        id: String::new(),
        name: name.into(),
        email: Some(email.into()),
        title: Some(title.into()),
        created_at: 0,
    };
    let supervisor = records
        .people
        .create_staff(staff(SUPERVISOR, "morgan.reyes@example.com", "supervisor"))
        .await?;
    let coach = records
        .people
        .create_staff(staff(COACH, "jordan.lee@example.com", "coach"))
        .await?;
    let team = records
        .people
        .create_team(Team {
            id: String::new(),
            name: "Customer Care".into(),
            supervisor_id: Some(supervisor.id.clone()),
            targets: Targets {
                qa_percent: Some(85.0),
                csat: Some(4.2),
                nps: None,
                aht_seconds: Some(420.0),
                recognition_percent: Some(90.0),
            },
            created_at: 0,
        })
        .await?;
    let mut ids = Vec::new();
    for (a, (_user, name)) in AGENTS.iter().enumerate() {
        let agent = records
            .people
            .create_agent(Agent {
                id: String::new(),
                name: (*name).into(),
                email: None,
                team_id: Some(team.id.clone()),
                supervisor_id: Some(supervisor.id.clone()),
                // Jordan coaches the second half of the team.
                coach_id: (a >= AGENTS.len() / 2).then(|| coach.id.clone()),
                identities: vec![format!("amazon-connect:{}", demo_agent_uuid(a))],
                created_at: 0,
                merged_into: None,
            })
            .await?;
        ids.push(agent.id);
    }
    schedule(records, &ids).await?;
    mentoring(records, &ids).await?;
    let form: Form = serde_json::from_value(json!({
        "id": DEMO_FORM, "version": 1, "name": "Voice QA (demo)",
        "sections": [
            {"id": "open", "name": "Opening", "weight": 20, "criteria": [
                {"id": "greeting", "label": "Greeted and introduced themselves", "weight": 1, "scale_min": 0, "scale_max": 1, "topic": "agent-intro"},
                {"id": "disclosure", "label": "Read the recording disclosure", "weight": 1, "scale_min": 0, "scale_max": 1, "fatal": true, "topic": "compliance"}
            ]},
            {"id": "handle", "name": "Handling", "weight": 50, "criteria": [
                {"id": "empathy", "label": "Customer engagement", "weight": 1, "scale_min": 1, "scale_max": 5, "topic": "empathy"},
                {"id": "knowledge", "label": "Product knowledge", "weight": 1, "scale_min": 1, "scale_max": 5, "critical": true, "topic": "product-knowledge"}
            ]},
            {"id": "close", "name": "Resolution", "weight": 30, "criteria": [
                {"id": "resolution", "label": "Resolved on first contact", "weight": 1, "scale_min": 1, "scale_max": 5}
            ]}
        ],
        "settings": {"weighting": "section", "na_policy": "exclude", "na_redistribution": "proportional",
                     "auto_fail": "zero-score", "normalization": "min-max", "pass_mark": 80}
    }))?;
    records.contacts.create_form(form).await?;
    Ok(())
}

/// The demo's mentoring program, as its agents would set it up themselves:
/// the first two opt in as mentors (strong on product knowledge and empathy),
/// the rest enrol as protégés, each acknowledging that supervisors may
/// monitor mentoring; the last opts in as a mentor too but never
/// acknowledges the notice, so matching leaves them out and says so.
async fn mentoring(records: &Records, agents: &[String]) -> anyhow::Result<()> {
    use crate::model::{Channel, Enrolment, MentorProfile};
    for (a, id) in agents.iter().enumerate() {
        if a == UNACKNOWLEDGED_MENTOR {
            records
                .mentoring
                .put_mentor_profile(MentorProfile {
                    agent_id: id.clone(),
                    capacity: 2,
                    strengths: vec!["product-knowledge".into()],
                    style: Some("direct".into()),
                    home_based: false,
                    utc_offset_minutes: Some(0),
                    channels: vec![Channel::Chat],
                    opted_in_at: 0,
                    opted_out_at: None,
                })
                .await?;
            continue;
        }
        let style = if a % 2 == 0 { "direct" } else { "supportive" };
        let channels = if a % 3 == 0 {
            vec![Channel::Chat, Channel::Voice]
        } else {
            vec![Channel::Chat]
        };
        records
            .mentoring
            .enrol(Enrolment {
                agent_id: id.clone(),
                monitoring_acknowledged: true,
                acknowledged_at: 0,
                style: Some(style.into()),
                utc_offset_minutes: Some(if a % 4 == 3 { -300 } else { 0 }),
                channels: channels.clone(),
                home_based: a % 3 == 2,
            })
            .await?;
        if a < 2 {
            records
                .mentoring
                .put_mentor_profile(MentorProfile {
                    agent_id: id.clone(),
                    capacity: 3,
                    strengths: vec![
                        ["product-knowledge", "empathy"][a].into(),
                        "agent-intro".into(),
                    ],
                    style: Some(style.into()),
                    home_based: false,
                    utc_offset_minutes: Some(0),
                    channels,
                    opted_in_at: 0,
                    opted_out_at: None,
                })
                .await?;
        }
    }
    Ok(())
}

/// Next week's forecast for the demo queues (half-hours 08:00–18:00 UTC,
/// a morning and an afternoon peak) and the demo agents' shifts, so
/// `POST /v1/schedule/plan` has something to plan over.
async fn schedule(records: &Records, agents: &[String]) -> anyhow::Result<()> {
    use crate::model::{Shift, StaffingInterval};
    const DAY: i64 = 86_400_000;
    let monday = crate::analytics::week_start(crate::clock::now_ms()) + 7 * DAY;
    let mut intervals = Vec::new();
    for day in 0..5 {
        for (q, queue) in QUEUES.iter().enumerate() {
            for slot in 0..20 {
                let hour = 8.0 + f64::from(slot) / 2.0;
                // Calls per half-hour: peaks at 10:00 and 14:30.
                let curve = 1.0
                    + 1.6 * (-((hour - 10.0) / 1.2).powi(2)).exp()
                    + 1.2 * (-((hour - 14.5) / 1.3).powi(2)).exp();
                let offered = ((18.0 + 6.0 * q as f64) * curve).round();
                let aht = 240.0 + 30.0 * q as f64;
                // Staffed to the 80/20 target after 30% shrinkage, with a
                // little to spare off-peak and none at the peaks.
                let required = crate::scheduling::agents_required(offered, aht, 1800.0, 0.8, 20.0)?;
                let spare = if curve > 2.0 {
                    0
                } else if curve > 1.4 {
                    1
                } else {
                    3
                };
                let scheduled = crate::scheduling::scheduled_for(required, 0.3)? + spare;
                intervals.push(StaffingInterval {
                    id: String::new(),
                    queue: (*queue).into(),
                    starts_at: monday + day * DAY + i64::from(slot) * 1_800_000 + 8 * 3_600_000,
                    length_minutes: 30,
                    offered,
                    aht_seconds: aht,
                    scheduled_agents: Some(f64::from(scheduled)),
                });
            }
        }
    }
    records.scheduling.put_staffing(intervals).await?;
    let mut shifts = Vec::new();
    for (a, id) in agents.iter().enumerate() {
        for day in 0..5 {
            let start = monday + day * DAY + (8 + (a as i64 % 2)) * 3_600_000;
            shifts.push(Shift {
                id: String::new(),
                agent_id: id.clone(),
                queue: QUEUES[a % QUEUES.len()].into(),
                start,
                end: start + 8 * 3_600_000 + 1_800_000,
            });
        }
    }
    records.scheduling.put_shifts(shifts).await?;
    Ok(())
}

fn uuid_like(tag: u64, n: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        tag as u32,
        (n >> 16) as u16,
        (n & 0xfff) as u16,
        (tag & 0xfff) as u16,
        n
    )
}

fn iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Drop the `#` comment lines a fixture starts with, keeping line breaks
/// (for CSV and JSON lines fixtures).
pub fn strip_comments(fixture: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(fixture)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .into_bytes()
}

/// The body of a `.form.txt` fixture: its `#` comment lines dropped and the
/// rest joined.
pub fn form_body(fixture: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(fixture)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("")
        .into_bytes()
}

fn delivery(source: &str, content_type: &str, body: Vec<u8>) -> (String, Delivery) {
    (
        source.to_string(),
        Delivery::new(
            "POST",
            format!("http://127.0.0.1:7878/v1/ingest/{source}"),
            vec![("content-type".into(), content_type.into())],
            body,
        ),
    )
}

/// `X-Twilio-Signature` for a form POST: base64(HMAC-SHA1(token, URL +
/// each parameter name and value, sorted by name)).
pub fn twilio_signature(token: &str, url: &str, body: &[u8]) -> String {
    use hmac::Mac as _;
    let mut pairs: Vec<(String, String)> = form_urlencoded_pairs(body);
    pairs.sort();
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).expect("any key");
    mac.update(url.as_bytes());
    for (k, v) in pairs {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// `X-Zendesk-Webhook-Signature`: base64(HMAC-SHA256(secret, timestamp + body)).
pub fn zendesk_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(timestamp.as_bytes());
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default()
}

/// The demo team's supervisor and coach (staff people).
const SUPERVISOR: &str = "Morgan Reyes";
const COACH: &str = "Jordan Lee";
/// The agents the persona tokens belong to (indexes into [`AGENTS`]): a
/// mentor, a protégé, and an agent Jordan coaches.
const MENTOR: usize = 0;
const PROTEGE: usize = 2;
const COACHED_AGENT: usize = 5;
/// The mentor who never acknowledged the monitoring notice.
const UNACKNOWLEDGED_MENTOR: usize = 7;

const AGENTS: &[(&str, &str)] = &[
    ("ana.lima", "Ana Lima"),
    ("ben.okafor", "Ben Okafor"),
    ("chloe.martin", "Chloé Martin"),
    ("dev.patel", "Dev Patel"),
    ("eva.novak", "Eva Novák"),
    ("femi.adeyemi", "Femi Adeyemi"),
    ("grace.kim", "Grace Kim"),
    ("hugo.silva", "Hugo Silva"),
];
const QUEUES: &[&str] = &["Billing", "Technical Support", "Sales", "Retention"];
const TOPICS: &[&str] = &[
    "billing-dispute",
    "product-knowledge",
    "cancellation",
    "refund-request",
    "empathy",
    "agent-intro",
];

/// The (agent, contact) whose Contact Lens analysis arrives without its
/// contact id (Dev Patel's fifth contact).
const LENS_WITHOUT_CONTACT: (usize, u64) = (3, 4);

/// The S3 key Contact Lens gives the analysis of `contact` begun at
/// `begin`: `connect/demo/Analysis/Chat/YYYY/MM/DD/<contact>_analysis_<time>.json`.
fn lens_object_key(contact: &str, begin: i64) -> String {
    let t = iso(begin);
    let date = t.get(..10).unwrap_or_default().replace('-', "/");
    format!("connect/demo/Analysis/Chat/{date}/{contact}_analysis_{t}.json")
}

/// Every demo delivery, for a clock at `now_ms`.
pub fn deliveries(now_ms: i64, config: &Config) -> anyhow::Result<Vec<(String, Delivery)>> {
    let mut out = Vec::new();
    let mut rng = Lcg(0x5EED);
    let ctr: Value = serde_json::from_slice(fixture!("amazon-connect_ctr.SYNTHETIC.json"))?;
    let lens: Value =
        serde_json::from_slice(fixture!("amazon-connect_contact-lens-chat-analysis.json"))?;
    let surveys: Value = serde_json::from_slice(fixture!("qualtrics_response-export.json"))?;
    let survey_template = surveys["responses"][0].clone();

    let day = 86_400_000i64;
    let start = now_ms - 28 * day;
    let mut lines = Vec::new();
    let mut qa_lines = Vec::new();
    let mut survey_list = Vec::new();
    for (a, (user, _name)) in AGENTS.iter().enumerate() {
        let agent_id = demo_agent_uuid(a);
        for c in 0..15u64 {
            let n = a as u64 * 100 + c;
            let contact = uuid_like(0xC0_0000 + n, n * 7919);
            let begin =
                start + (rng.below(27) as i64) * day + (8 + rng.below(9) as i64) * 3_600_000;
            let handle = 120 + rng.below(600) as i64;
            let hold = rng.below(90) as i64;
            let acw = 10 + rng.below(60) as i64;
            let mut r = ctr.clone();
            r.as_object_mut().expect("CTR is an object").remove("_note");
            r["ContactId"] = json!(contact);
            r["Channel"] = json!(if c % 4 == 3 { "CHAT" } else { "VOICE" });
            r["InitiationTimestamp"] = json!(iso(begin));
            r["ConnectedToSystemTimestamp"] = json!(iso(begin));
            r["DisconnectTimestamp"] = json!(iso(begin + (handle + hold + 60) * 1000));
            r["LastUpdateTimestamp"] = json!(iso(begin + (handle + hold + acw + 90) * 1000));
            r["Queue"]["Name"] = json!(QUEUES[(a + c as usize) % QUEUES.len()]);
            let agent = &mut r["Agent"];
            let arn = agent["ARN"].as_str().unwrap_or_default().to_string();
            let base = arn.rsplit_once('/').map_or(arn.as_str(), |(b, _)| b);
            agent["ARN"] = json!(format!("{base}/{agent_id}"));
            agent["Username"] = json!(user);
            agent["AgentInteractionDuration"] = json!(handle);
            agent["CustomerHoldDuration"] = json!(hold);
            agent["AfterContactWorkDuration"] = json!(acw);
            lines.push(serde_json::to_string(&r)?);

            // Contact Lens analysis for every other contact: the topics.
            if c % 2 == 0 {
                let mut l = lens.clone();
                l["CustomerMetadata"]["ContactId"] = json!(contact);
                let t1 = TOPICS[rng.below(TOPICS.len() as u64) as usize];
                let t2 = TOPICS[(a + c as usize) % TOPICS.len()];
                l["Categories"]["MatchedCategories"] = json!([t1, t2]);
                if (a, c) == LENS_WITHOUT_CONTACT {
                    // Forwarded without its contact: a dead letter the
                    // operator fixes by replaying it with the file's S3
                    // key (`?object_key=`), which its `InputS3Uri` shows.
                    let meta = &mut l["CustomerMetadata"];
                    meta.as_object_mut()
                        .expect("CustomerMetadata is an object")
                        .remove("ContactId");
                    meta["InputS3Uri"] = json!(format!(
                        "s3://demo-connect/{}",
                        lens_object_key(&contact, begin)
                    ));
                }
                out.push(delivery(
                    "connect",
                    "application/json",
                    serde_json::to_vec(&l)?,
                ));
            }
            // A QA review for one contact in three; agents further down the
            // list are weaker on product knowledge, one misses the
            // disclosure now and then, the best are recognised.
            if c % 3 == 0 {
                let k = a as u64;
                let knowledge = 5u64.saturating_sub(rng.below(2 + k / 2)).max(1);
                let disclosure = u64::from(!(a == 6 && c % 2 == 0));
                qa_lines.push(serde_json::to_string(&json!({
                    "id": format!("qa-{n:05}"),
                    "form": {"id": DEMO_FORM, "version": 1},
                    "call": {"id": contact},
                    "agent": {"login": agent_id},
                    "evaluator": "morgan.reyes",
                    "submitted_at": iso(begin + 2 * 3_600_000),
                    "scores": {
                        "greeting": u64::from(rng.below(6) > 0),
                        "empathy": 5 - rng.below(2 + k / 3),
                        "knowledge": knowledge,
                        "resolution": 5 - rng.below(3),
                        "disclosure": disclosure,
                    },
                }))?);
            }
            // A post-contact survey for two in five contacts; agents further
            // down the list get harsher customers, so trends differ.
            if c % 5 < 2 {
                let mut s = survey_template.clone();
                s["responseId"] = json!(format!("R_demo{n:05}"));
                let score = (5 - (rng.below(2 + a as u64 / 2))).max(1);
                s["values"]["QID1"] =
                    json!({ "choiceId": score.to_string(), "choiceText": score.to_string() });
                s["values"]["QID2"] = json!({ "textEntry": if score <= 2 { "Had to explain my problem twice." } else { "Quick and friendly." } });
                s["embeddedData"] = json!({ "agentId": agent_id, "interactionId": contact });
                s["endDate"] = json!(iso(begin + 3_600_000));
                s["recordedDate"] = json!(iso(begin + 3_600_000));
                survey_list.push(s);
            }
        }
    }
    // CTRs first (as Firehose delivers them: JSON lines, many per object).
    out.insert(
        0,
        delivery(
            "connect",
            "application/x-ndjson",
            (lines.join("\n") + "\n").into_bytes(),
        ),
    );
    out.push(delivery(
        "qualtrics",
        "application/json",
        serde_json::to_vec(&json!({ "responses": survey_list }))?,
    ));
    out.push(delivery(
        "qa",
        "application/x-ndjson",
        (qa_lines.join("\n") + "\n").into_bytes(),
    ));

    // Every other fixture once, as published.
    for (source, ct, body) in [
        (
            "connect",
            "application/json",
            fixture!("amazon-connect_ctr.SYNTHETIC.json"),
        ),
        (
            "connect",
            "application/json",
            fixture!("amazon-connect_contact-event-connected-to-agent.json"),
        ),
        (
            "connect",
            "application/json",
            fixture!("amazon-connect_contact-event-disconnected-eventbridge.json"),
        ),
        (
            "connect",
            "application/json",
            fixture!("amazon-connect_contact-lens-chat-analysis.json"),
        ),
        (
            "connect",
            "application/json",
            fixture!("amazon-connect_agent-event-stream.json"),
        ),
        (
            "connect",
            "application/json",
            fixture!("amazon-connect_evaluation-output.json"),
        ),
        (
            "genesys",
            "application/json",
            fixture!("genesys_analytics-conversation-detail-chat.json"),
        ),
        (
            "genesys",
            "application/json",
            fixture!("genesys_eventbridge-detail-events-customer-end.json"),
        ),
        (
            "genesys",
            "application/json",
            fixture!("genesys_quality-evaluation-notification.SYNTHETIC.json"),
        ),
        (
            "nice",
            "application/json",
            fixture!("nice-cxone_contacts-completed.SYNTHETIC.json"),
        ),
        (
            "qualtrics",
            "application/json",
            fixture!("qualtrics_response-export.json"),
        ),
    ] {
        out.push(delivery(source, ct, body.to_vec()));
    }
    out.push(delivery(
        "five9-call-log",
        "text/csv",
        strip_comments(fixture!("five9_call-log.SYNTHETIC.csv")),
    ));
    out.push(delivery(
        "five9",
        "application/x-www-form-urlencoded",
        form_body(fixture!("five9_web-connector.SYNTHETIC.form.txt")),
    ));

    // Signed sources: sign as the vendor would.
    let secret = |source: &str, key: &str| -> anyhow::Result<String> {
        config
            .sources
            .get(source)
            .and_then(|s| s.secrets.get(key))
            .cloned()
            .with_context(|| format!("demo config has no [sources.{source}.secrets] {key}"))
    };
    let body = form_body(fixture!(
        "twilio_taskrouter-event-callback.SYNTHETIC.form.txt"
    ));
    let (source, mut d) = delivery("twilio", "application/x-www-form-urlencoded", body);
    let sig = twilio_signature(&secret("twilio", "auth_token")?, &d.url, &d.body);
    d.headers.push(("x-twilio-signature".into(), sig));
    out.push((source, d));
    let body = fixture!("zendesk_satisfaction-rating.SYNTHETIC.json").to_vec();
    let (source, mut d) = delivery("zendesk", "application/json", body);
    let ts = iso(now_ms);
    let sig = zendesk_signature(&secret("zendesk", "signing_secret")?, &ts, &d.body);
    d.headers
        .push(("x-zendesk-webhook-signature-timestamp".into(), ts));
    d.headers.push(("x-zendesk-webhook-signature".into(), sig));
    out.push((source, d));
    Ok(out)
}

/// A persona token the demo hands out.
pub struct Persona {
    /// What they are: `supervisor`, `coach`, `agent`, `mentor`, `protégé`.
    pub persona: &'static str,
    /// Their name.
    pub name: String,
    /// Their bearer token.
    pub token: String,
}

/// Fresh persona tokens for the demo people (each start revokes the ones
/// the previous start printed): the supervisor and the coach (staff
/// people, scoped to their team and their agents), an agent the coach
/// coaches, a mentor and a protégé.
pub async fn personas(tokens: &Tokens, records: &Records) -> anyhow::Result<Vec<Persona>> {
    use crate::auth::NewToken;
    use crate::model::Role;
    const ACTOR: &str = "demo";
    for t in tokens.list()? {
        if t.name.starts_with("demo-") {
            tokens.revoke(ACTOR, &t.id).await?;
        }
    }
    let staff = crate::records::every(Filter::default(), |f| records.people.staff(f))?;
    let agents = crate::records::every(Filter::default(), |f| records.people.agents(f))?;
    let staff_id = |name: &str| staff.iter().find(|p| p.name == name).map(|p| p.id.clone());
    let agent_id = |a: usize| {
        agents
            .iter()
            .find(|x| x.name == AGENTS[a].1)
            .map(|x| x.id.clone())
    };
    let wanted = [
        (
            "supervisor",
            Role::Supervisor,
            SUPERVISOR,
            None,
            staff_id(SUPERVISOR),
        ),
        ("coach", Role::Coach, COACH, None, staff_id(COACH)),
        (
            "agent",
            Role::Agent,
            AGENTS[COACHED_AGENT].1,
            agent_id(COACHED_AGENT),
            None,
        ),
        (
            "mentor",
            Role::Agent,
            AGENTS[MENTOR].1,
            agent_id(MENTOR),
            None,
        ),
        (
            "protégé",
            Role::Agent,
            AGENTS[PROTEGE].1,
            agent_id(PROTEGE),
            None,
        ),
    ];
    let mut out = Vec::new();
    for (persona, role, name, agent_id, staff_id) in wanted {
        if agent_id.is_none() && staff_id.is_none() {
            anyhow::bail!("the demo person {name} is missing from this data directory");
        }
        let (token, _) = tokens
            .create(
                ACTOR,
                NewToken {
                    name: format!("demo-{persona}"),
                    role: Some(role),
                    agent_id,
                    staff_id,
                    ..NewToken::default()
                },
            )
            .await?;
        out.push(Persona {
            persona,
            name: name.into(),
            token,
        });
    }
    Ok(out)
}

/// Load the demo data set unless the store already has interactions.
pub async fn load(ingest: &Ingest, records: &Records) -> anyhow::Result<Option<Summary>> {
    let any = records.contacts.interactions(Filter {
        limit: Some(1),
        ..Filter::default()
    })?;
    if !any.items.is_empty() {
        return Ok(None);
    }
    let config = config()?;
    prepare(records).await?;
    let mut summary = Summary::default();
    for (source, d) in deliveries(crate::clock::now_ms(), &config)? {
        summary.deliveries += 1;
        let report = match ingest.deliver(&source, d).await {
            Ok(r) => r,
            Err(
                IngestError::Refused { report, .. } | IngestError::AdapterFailed { report, .. },
            ) => *report,
            Err(e) => return Err(anyhow::anyhow!("demo delivery to {source}: {e}")),
        };
        summary.accepted += report.accepted;
        summary.duplicates += report.duplicates;
        summary.rejected += report.rejected;
        summary.agents += report.agents_created;
        summary.scored += report.scored;
        summary.alerts += report.alerts.len();
        summary.recognitions += report.recognitions;
    }
    vendor_samples_team(records).await?;
    coached_last_week(records).await?;
    Ok(Some(summary))
}

/// Run the mentoring match once, as a supervisor would from the console
/// (the same service `POST /v1/mentoring/match` calls, committed): on first
/// sign-in the protégé already has a shortlist with its reasons and cost.
/// Returns how many protégés were offered mentors.
pub async fn first_match(mentoring: &crate::mentoring::Mentoring) -> anyhow::Result<usize> {
    let report = mentoring
        .run_match(
            crate::model::MatchRequest {
                proteges: Vec::new(),
                from: None,
                commit: true,
            },
            &Default::default(),
            &crate::model::Scope::All,
        )
        .await
        .context("demo mentoring match")?;
    Ok(report.matched)
}

/// Jordan's one-to-one with Femi two days ago, in coaching order, which
/// Femi has not acknowledged yet: the agent persona's console has a
/// session to acknowledge and an action plan to move, and Jordan a
/// follow-up coming due.
async fn coached_last_week(records: &Records) -> anyhow::Result<()> {
    const DAY: i64 = 86_400_000;
    let staff = crate::records::every(Filter::default(), |f| records.people.staff(f))?;
    let agents = crate::records::every(Filter::default(), |f| records.people.agents(f))?;
    let (Some(coach), Some(agent)) = (
        staff.iter().find(|p| p.name == COACH),
        agents.iter().find(|a| a.name == AGENTS[COACHED_AGENT].1),
    ) else {
        anyhow::bail!("the demo coach or agent is missing");
    };
    let now = crate::clock::now_ms();
    let session: crate::model::CoachingSession = serde_json::from_value(json!({
        "kind": "one-to-one",
        "coach_id": coach.id,
        "agent_id": agent.id,
        "scheduled_at": now - 2 * DAY,
        "duration_minutes": 25,
        "targets_reviewed": ["QA below the team's 85% target", "CSAT below 4.2 on cancellations"],
        "behaviours": ["Skips the introduction when the queue is long", "Moves to the retention offer before hearing the reason"],
        "root_causes": ["Unsure of the retention script's order", "Feels pressure from the queue display"],
        "action_items": [
            {"description": "Role-play two cancellation calls with Jordan", "owner_id": agent.id, "due": now + 3 * DAY, "status": "open"},
            {"description": "Listen to two recognised calls on cancellations", "owner_id": agent.id, "due": now + 5 * DAY, "status": "in-progress"}
        ],
        "follow_up_at": now + 5 * DAY,
    }))?;
    records
        .coaching
        .create_session_by(session, Some(&coach.id))
        .await?;
    Ok(())
}

/// The published fixtures name agents of their own (`Agent, "Dave"`,
/// Zendesk's `135`): the agents they created join a team of their own,
/// "Vendor samples", under a second supervisor, so every demo agent has a
/// team and Morgan's team holds the eight demo agents only. Their names
/// stay as the vendors sent them.
async fn vendor_samples_team(records: &Records) -> anyhow::Result<()> {
    use crate::model::{Staff, Team};
    let lead = records
        .people
        .create_staff(Staff {
            id: String::new(),
            name: "Riley Chen".into(),
            email: Some("riley.chen@example.com".into()),
            title: Some("supervisor".into()),
            created_at: 0,
        })
        .await?;
    let team = records
        .people
        .create_team(Team {
            id: String::new(),
            name: "Vendor samples".into(),
            supervisor_id: Some(lead.id.clone()),
            targets: Default::default(),
            created_at: 0,
        })
        .await?;
    let agents = crate::records::every(Filter::default(), |f| records.people.agents(f))?;
    for mut a in agents.into_iter().filter(|a| a.team_id.is_none()) {
        a.team_id = Some(team.id.clone());
        a.supervisor_id = Some(lead.id.clone());
        let id = a.id.clone();
        records.people.update_agent(&id, a).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates_and_the_published_twilio_vector() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_714_564_800_000), "2024-05-01T12:00:00Z");
        assert_eq!(iso(1_709_164_800_000), "2024-02-29T00:00:00Z");
        // reference-figures.md: twilio-python's test vector.
        let body = b"CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212&Caller=%2B14158675309";
        assert_eq!(
            twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", body),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
    }

    #[test]
    fn the_demo_config_parses_and_every_delivery_builds() {
        let config = config().unwrap();
        assert!(config.sources.contains_key("connect"));
        let d = deliveries(1_714_564_800_000, &config).unwrap();
        assert!(d.len() > 50, "{}", d.len());
        for (source, _) in &d {
            assert!(config.sources.contains_key(source), "{source}");
        }
    }
}
