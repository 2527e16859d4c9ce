//! The web console in a real browser: Debian's chromium, headless, driven
//! through chromedriver (WebDriver) against the real host started with the
//! demo data. Each persona's main flow is clicked through the page as a
//! person would, checked on the page and through the API, and saved as a
//! screenshot in `target/console-screenshots/<flow>.png`.
//!
//! chromedriver and chromium come from apt (`.ci/run` installs them); when
//! they are missing these tests fail, saying so, rather than skip.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::util::{ADMIN, Host};

/// How long a page may take to show what a step waits for.
const WAIT: Duration = Duration::from_secs(30);

/// A headless chromium behind its own chromedriver, on a free port.
struct Browser {
    driver: Child,
    client: Option<Client>,
}

/// The first of these paths that exists, else what `PATH` finds.
fn program(candidates: &[&str], name: &str) -> Option<PathBuf> {
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .find(|p| p.exists())
            })
        })
}

impl Browser {
    async fn start() -> Browser {
        let driver = program(&["/usr/bin/chromedriver"], "chromedriver").expect(
            "chromedriver is missing: the console's browser tests need Debian's chromium and \
             chromium-driver (apt-get install chromium chromium-driver; .ci/run does this)",
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut browser = Browser {
            driver: child,
            client: None,
        };
        let mut caps = serde_json::Map::new();
        let mut chrome = json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu",
            "--window-size=1280,800", "--disable-dev-shm-usage"]});
        if let Some(bin) = program(&["/usr/bin/chromium"], "chromium") {
            chrome["binary"] = json!(bin);
        }
        caps.insert("goog:chromeOptions".into(), chrome);
        let deadline = Instant::now() + WAIT;
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("chromedriver did not open a chromium session: {e}"),
            }
        };
        browser.client = Some(client);
        browser
    }

    fn c(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    /// Poll `script` (a JS expression) until it is truthy; returns its value.
    async fn until(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self
                .c()
                .execute(&format!("return ({script});"), vec![])
                .await
                .unwrap_or(Value::Null);
            if !(v.is_null() || v == false || v == "" || v == 0) {
                return v;
            }
            if Instant::now() > deadline {
                let body = self
                    .c()
                    .execute("return document.body.innerText", vec![])
                    .await
                    .unwrap_or_default();
                panic!("the page never showed {what}; it shows:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Run `script` (statements; `return` gives the value) in the page.
    async fn js(&self, script: &str) -> Value {
        self.c()
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}: {script}"))
    }

    async fn click(&self, css: &str) {
        self.c()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    async fn type_into(&self, css: &str, text: &str) {
        self.c()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .send_keys(text)
            .await
            .unwrap();
    }

    /// Open the console and sign in through its form as `token`.
    async fn sign_in(&self, host: &Host, token: &str, name: &str) {
        self.c().goto(&format!("{}/", host.url)).await.unwrap();
        self.until("the sign-in form", "document.querySelector('#token')")
            .await;
        self.type_into("#token", token).await;
        self.click("#signin-form button").await;
        self.until(
            &format!("{name} signed in"),
            &format!("document.querySelector('#who').textContent.includes({name:?})"),
        )
        .await;
    }

    async fn sign_out(&self) {
        self.click("#signout").await;
        self.until(
            "the sign-in form again",
            "!document.querySelector('#signin').classList.contains('hidden')",
        )
        .await;
    }

    async fn go(&self, hash: &str) {
        self.js(&format!("location.hash = {hash:?};")).await;
    }

    /// Save a screenshot as `target/console-screenshots/<flow>.png`.
    async fn screenshot(&self, flow: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{flow}.png"));
        std::fs::write(&path, self.c().screenshot().await.unwrap()).unwrap();
        println!("screenshot: {}", path.display());
        path
    }

    /// End the browser session and chromedriver.
    async fn finish(mut self) {
        if let Some(c) = self.client.take() {
            let _ = c.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The demo persona's token, as the demo printed it.
fn persona(host: &Host, which: &str) -> String {
    host.banner
        .iter()
        .find(|l| l.trim_start().starts_with(&format!("{which} ")))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("the demo printed no {which}: {:?}", host.banner))
        .to_string()
}

#[tokio::test]
async fn a_supervisor_acknowledges_an_alert_and_coaches_it_in_a_micro_coaching_session() {
    let host = Host::demo();
    let b = Browser::start().await;
    b.sign_in(&host, &persona(&host, "supervisor"), "Morgan Reyes")
        .await;
    let first = b
        .until(
            "open alerts",
            "document.querySelector('#alerts li.alert')?.dataset.alert",
        )
        .await;
    let id = first.as_str().unwrap().to_string();
    b.until(
        "the live feed connected",
        "document.querySelector('#live').textContent.startsWith('Live')",
    )
    .await;
    let shown = b
        .until("a countdown, an agent name and topic focus", &format!(
            "(() => {{ const li = document.querySelector('[data-alert=\"{id}\"]'); const t = document.body.innerText; \
              return li && /coach within|past coach-by/.test(li.innerText) && t.includes('Topic focus') && t.includes('Not coached this week') && li.innerText }})()"
        ))
        .await;
    assert!(
        !shown.as_str().unwrap().contains("01M"),
        "names, not ids: {shown}"
    );

    // Page weight and time to first render, with the demo data: reload the
    // signed-in supervisor page and read the browser's own timings.
    b.c().refresh().await.unwrap();
    b.until(
        "the reloaded page",
        "performance.getEntriesByName('sidecoach:rendered:today').length",
    )
    .await;
    let m = b.js("const nav = performance.getEntriesByType('navigation')[0]; \
             const res = performance.getEntriesByType('resource'); \
             const fcp = performance.getEntriesByName('first-contentful-paint')[0]; \
             const all = [nav, ...res]; \
             return { transferred: all.reduce((s, e) => s + e.transferSize, 0), \
                      encoded: all.reduce((s, e) => s + e.encodedBodySize, 0), requests: all.length, \
                      fcp: fcp ? fcp.startTime : null, \
                      rendered: performance.getEntriesByName('sidecoach:rendered:today')[0].startTime };").await;
    println!(
        "supervisor page with the demo data: {} bytes transferred ({} bytes of bodies, {} requests), first contentful paint {} ms, alerts and panels rendered at {} ms",
        m["transferred"], m["encoded"], m["requests"], m["fcp"], m["rendered"]
    );
    assert!(
        m["encoded"].as_f64().unwrap() < 300_000.0,
        "page weight {m}"
    );
    b.screenshot("supervisor-today").await;

    // Acknowledge the alert: it stays, marked acknowledged.
    b.click(&format!("[data-alert=\"{id}\"] button")).await;
    b.until(
        "the alert acknowledged",
        &format!(
            "document.querySelector('[data-alert=\"{id}\"]')?.innerText.includes('acknowledged')"
        ),
    )
    .await;
    let api = host.admin();
    assert_eq!(
        api.get(&format!("/v1/alerts/{id}")).await.json["state"],
        "acknowledged"
    );

    // Coach it now: the micro-coaching form opens from the alert.
    b.click(&format!("[data-alert=\"{id}\"] a.button")).await;
    b.until("the micro-coaching form", "document.querySelector('#session-form') && document.querySelector('#f-figures').textContent.includes('target')").await;
    assert_eq!(
        b.js("return document.querySelector('#f-kind').value").await,
        "micro-coaching"
    );
    b.type_into("#f-behaviours", "Skipped the introduction on a busy queue")
        .await;
    b.type_into(
        "#f-causes",
        "Unsure the introduction is needed when the customer is in a hurry",
    )
    .await;
    b.type_into(
        ".ai-desc",
        "Open every call with name and company for a week",
    )
    .await;
    b.screenshot("supervisor-micro-coaching").await;
    b.click("#session-form button.primary").await;
    b.until("back on today without the coached alert", &format!(
        "location.hash === '#/today' && document.querySelector('#alerts') && !document.querySelector('[data-alert=\"{id}\"]')"
    )).await;
    let alert = api.get(&format!("/v1/alerts/{id}")).await.json;
    assert_eq!(alert["state"], "coached", "{alert}");
    let session = api
        .get(&format!(
            "/v1/sessions/{}",
            alert["session_id"].as_str().unwrap()
        ))
        .await
        .json;
    assert_eq!(session["kind"], "micro-coaching", "{session}");
    assert_eq!(session["alert_ids"][0], id.as_str());
    assert_eq!(
        session["action_items"][0]["description"],
        "Open every call with name and company for a week"
    );
    b.finish().await;
}

#[tokio::test]
async fn an_alert_raised_by_an_ingest_while_the_page_is_open_appears_live() {
    let host = Host::demo();
    let b = Browser::start().await;
    b.sign_in(&host, &persona(&host, "supervisor"), "Morgan Reyes")
        .await;
    b.until(
        "the live feed connected",
        "document.querySelector('#live')?.textContent.startsWith('Live')",
    )
    .await;
    let before = b
        .until(
            "alerts",
            "document.querySelectorAll('#alerts li.alert').length",
        )
        .await;

    // Qualtrics delivers a CSAT of 1 on one of Dev Patel's Connect
    // contacts, through the vendor ingest as in production.
    let api = host.admin();
    let agents = api.get("/v1/agents?limit=1000").await.json;
    let dev = agents["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Dev Patel")
        .unwrap()
        .clone();
    let connect_user = dev["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find_map(|i| i.strip_prefix("amazon-connect:"))
        .unwrap_or_else(|| panic!("Dev Patel has a Connect identity: {dev}"))
        .to_string();
    let contacts = api
        .get(&format!(
            "/v1/interactions?agent={}&limit=1",
            dev["id"].as_str().unwrap()
        ))
        .await
        .json;
    let contact = contacts["items"][0]["external_id"].clone();
    let export: Value = serde_json::from_slice(include_bytes!(
        "data/vendors/qualtrics_response-export.json"
    ))
    .unwrap();
    let mut response = export["responses"][0].clone();
    response["responseId"] = json!("R_liveAlert01");
    response["values"]["QID1"] = json!({"choiceId": "1", "choiceText": "1"});
    response["values"]["QID2"] = json!({"textEntry": "Nobody explained the charge."});
    response["embeddedData"] = json!({"agentId": connect_user, "interactionId": contact});
    let body = serde_json::to_vec(&json!({ "responses": [response] })).unwrap();
    let r = api
        .post_raw("/v1/ingest/qualtrics", "application/json", &[], &body)
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    assert!(r.json["accepted"].as_u64() >= Some(1), "{}", r.text);

    let shown = b.until("the new alert, without a reload", "(() => { const li = document.querySelector('#alerts li.alert.new'); return li && li.innerText.includes('Dev Patel') && li.innerText.includes('R_liveAlert01') && li.innerText })()").await;
    assert!(
        shown
            .as_str()
            .unwrap()
            .contains("Nobody explained the charge."),
        "{shown}"
    );
    let after = b
        .js("return document.querySelectorAll('#alerts li.alert').length")
        .await;
    assert_eq!(after.as_u64().unwrap(), before.as_u64().unwrap() + 1);
    b.screenshot("supervisor-live-alert").await;
    b.finish().await;
}

#[tokio::test]
async fn an_agent_acknowledges_a_session_with_a_comment() {
    let host = Host::demo();
    let b = Browser::start().await;
    b.sign_in(&host, &persona(&host, "agent"), "Femi Adeyemi")
        .await;
    b.until("the session to acknowledge and the charts", "document.querySelector('[data-session] textarea') && document.querySelectorAll('svg.chart').length === 2").await;
    b.type_into("[data-session] textarea", "Thanks, the role-play helped.")
        .await;
    b.screenshot("agent-session-to-acknowledge").await;
    let id = b
        .js("return document.querySelector('[data-session]').dataset.session")
        .await;
    b.click("[data-session] button.primary").await;
    b.until("the acknowledgement", "document.querySelector('.ack-done')")
        .await;
    let session = host
        .admin()
        .get(&format!("/v1/sessions/{}", id.as_str().unwrap()))
        .await
        .json;
    assert!(session["acknowledged_at"].is_number(), "{session}");
    assert_eq!(session["agent_comment"], "Thanks, the role-play helped.");
    b.screenshot("agent-session-acknowledged").await;
    b.finish().await;
}

#[tokio::test]
async fn a_protege_picks_a_mentor_from_the_shortlist_and_the_mentor_reports_progress() {
    let host = Host::demo();
    let b = Browser::start().await;
    // The supervisor runs the match from the mentoring page…
    b.sign_in(&host, &persona(&host, "supervisor"), "Morgan Reyes")
        .await;
    b.go("#/mentoring").await;
    b.until(
        "the match button",
        "document.querySelector('#view .card button.primary')",
    )
    .await;
    b.click("#view .card button.primary").await;
    b.until(
        "the match report",
        "document.querySelector('#match-report').textContent.includes('matched')",
    )
    .await;
    b.sign_out().await;
    // …then the protégé chooses from their shortlist.
    b.sign_in(&host, &persona(&host, "protégé"), "Chloé Martin")
        .await;
    b.go("#/mentoring").await;
    let n = b
        .until(
            "the shortlist",
            "document.querySelectorAll('#shortlist .offer').length",
        )
        .await;
    assert!(n.as_u64().unwrap() >= 2, "a shortlist of two or three: {n}");
    let text = b
        .js("return document.querySelector('#shortlist').innerText")
        .await;
    let text = text.as_str().unwrap();
    assert!(
        text.contains("recommended") && text.contains("lowers the team’s match score"),
        "reasons and cost: {text}"
    );
    b.screenshot("protege-shortlist").await;
    let chosen = b
        .js("const o = document.querySelectorAll('#shortlist .offer')[1]; return o.dataset.pairing")
        .await;
    b.click("#shortlist .offer:nth-of-type(2) button").await;
    b.until(
        "the chosen mentor",
        "document.querySelector('#shortlist .chosen')",
    )
    .await;
    let pairing = host.admin().get("/v1/pairings?limit=100").await.json;
    let p = pairing["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == chosen)
        .unwrap()
        .clone();
    assert_eq!(p["state"], "accepted", "{p}");
    b.screenshot("protege-chose-mentor").await;
    b.sign_out().await;

    // The chosen mentor (an agent, signed in with a token of their own)
    // files a progress report on the mentee from the same page.
    let mentor_id = p["mentor_id"].as_str().unwrap();
    let mentor_name = p["mentor_name"].as_str().unwrap();
    let token = host
        .admin()
        .post(
            "/v1/tokens",
            &serde_json::json!({"name": "mentor", "role": "agent", "agent_id": mentor_id}),
        )
        .await;
    assert_eq!(token.status, 201, "{}", token.text);
    b.sign_in(&host, token.json["token"].as_str().unwrap(), mentor_name)
        .await;
    b.go("#/mentoring").await;
    let form = format!("form[data-report='{}']", p["id"].as_str().unwrap());
    b.until(
        "the mentee's report form",
        &format!("document.querySelector(\"{form}\")"),
    )
    .await;
    for (field, text) in [
        ("doing_well", "Confirms the refund policy before closing."),
        (
            "to_improve",
            "Long holds while searching the knowledge base.",
        ),
        ("next_focus", "Knowledge-base shortcuts."),
    ] {
        b.type_into(&format!("{form} [data-field={field}]"), text)
            .await;
    }
    b.click(&format!("{form} button[type=submit]")).await;
    b.until(
        "the report sent",
        "document.body.innerText.includes('Report sent to the supervisor')",
    )
    .await;
    let protege = p["protege_id"].as_str().unwrap();
    let view = host
        .admin()
        .get(&format!("/v1/agents/{protege}/mentoring"))
        .await;
    assert_eq!(view.status, 200, "{}", view.text);
    let reports = view.json["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 1, "{}", view.text);
    assert_eq!(
        reports[0]["doing_well"],
        "Confirms the refund policy before closing."
    );
    assert_eq!(reports[0]["mentor_id"], mentor_id, "{}", view.text);
    b.screenshot("mentor-progress-report").await;
    b.sign_out().await;

    // The protégé's supervisor reads it on the protégé's page.
    b.sign_in(&host, &persona(&host, "supervisor"), "Morgan Reyes")
        .await;
    b.go(&format!("#/agent/{protege}")).await;
    b.until(
        "the latest progress report",
        "document.querySelector('#view .report') && document.querySelector('#view .report').innerText.includes('Knowledge-base shortcuts')",
    )
    .await;
    b.finish().await;
}

#[tokio::test]
async fn an_operator_replays_a_dead_letter() {
    use base64::Engine as _;
    let host = Host::demo();
    // The demo's Contact Lens analysis that arrived without its contact id:
    // the adapter asks for the file's S3 key, which the payload names.
    let letters = host.admin().get("/v1/dead-letters?limit=100").await.json;
    let letter = letters["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["source"] == "connect" && d["state"] == "open")
        .unwrap_or_else(|| panic!("the demo has a Connect dead letter: {letters}"))
        .clone();
    let id = letter["id"].as_str().unwrap().to_string();
    let body = base64::engine::general_purpose::STANDARD
        .decode(letter["body_base64"].as_str().unwrap())
        .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    let key = body["CustomerMetadata"]["InputS3Uri"]
        .as_str()
        .unwrap()
        .strip_prefix("s3://demo-connect/")
        .unwrap()
        .to_string();

    let b = Browser::start().await;
    b.sign_in(&host, ADMIN, "bootstrap").await;
    b.go("#/operator").await;
    b.until("plugins and dead letters", "document.querySelectorAll('#dead-letters > li').length && document.body.innerText.includes('reference-scorer')").await;
    let reasons = b
        .until(
            "the dead letter's reasons",
            &format!("document.querySelector('[data-dead-letter=\"{id}\"]')?.innerText"),
        )
        .await;
    assert!(
        reasons.as_str().unwrap().contains("object_key"),
        "the reason says what to send: {reasons}"
    );
    // The operator reads the payload, then replays with the key set.
    b.click(&format!("[data-dead-letter=\"{id}\"] details summary"))
        .await;
    b.type_into(
        &format!("[data-dead-letter=\"{id}\"] .fix-name"),
        "object_key",
    )
    .await;
    b.type_into(&format!("[data-dead-letter=\"{id}\"] .fix-value"), &key)
        .await;
    b.click(&format!("[data-dead-letter=\"{id}\"] button"))
        .await;
    let result = b
        .until(
            "the replay's outcome",
            &format!(
                "document.querySelector('[data-dead-letter=\"{id}\"] .replay-result').textContent"
            ),
        )
        .await;
    assert!(
        result.as_str().unwrap().starts_with("Replayed: resolved"),
        "{result}"
    );
    let dl = host
        .admin()
        .get(&format!("/v1/dead-letters/{id}"))
        .await
        .json;
    assert_eq!(dl["replays"], 1, "{dl}");
    assert_eq!(dl["state"], "resolved", "{dl}");
    b.screenshot("operator-dead-letter-replayed").await;
    b.finish().await;
}

/// The demo agent named `name`'s id.
async fn agent_id(host: &Host, name: &str) -> String {
    let agents = host.admin().get("/v1/agents?limit=1000").await.json;
    agents["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no agent {name}: {agents}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_supervisor_plans_a_week_of_one_to_ones_and_commits_it() {
    let host = Host::demo();
    let before = host.admin().get("/v1/sessions?limit=1000").await.json["items"]
        .as_array()
        .unwrap()
        .len();
    let b = Browser::start().await;
    b.sign_in(&host, &persona(&host, "supervisor"), "Morgan Reyes")
        .await;
    b.go("#/schedule").await;
    b.until(
        "the plan form with the team's agents",
        "document.querySelectorAll('#view fieldset input[type=checkbox]').length >= 2",
    )
    .await;
    b.click("#view form button.primary").await;
    let placed = b
        .until(
            "the plan: service level chart, placed and unplaced",
            "(() => { const p = document.querySelector('#plan'); return p && p.querySelector('svg.chart rect.after') && p.innerText.includes('Not placed') && p.querySelectorAll('.card')[1].querySelectorAll('li').length })()",
        )
        .await
        .as_u64()
        .unwrap();
    let text = b
        .js("return document.querySelector('#plan').innerText")
        .await;
    assert!(
        text.as_str().unwrap().contains("answered in"),
        "the target is stated: {text}"
    );
    b.js("document.querySelector('#plan').scrollIntoView();")
        .await;
    b.screenshot("schedule-plan").await;
    b.click("#plan .card button.primary").await;
    let booked = b
        .until(
            "the commit",
            "document.querySelector('#toast').textContent.includes('booked') && document.querySelector('#toast').textContent",
        )
        .await;
    assert_eq!(
        booked.as_str().unwrap(),
        format!("{placed} sessions booked.")
    );
    let after = host.admin().get("/v1/sessions?limit=1000").await.json["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        after,
        before + placed as usize,
        "each placed session booked"
    );
    b.finish().await;
}

#[tokio::test]
async fn a_coach_records_an_observed_session_with_observers_notes() {
    let host = Host::demo();
    let dev = agent_id(&host, "Dev Patel").await;
    let femi = agent_id(&host, "Femi Adeyemi").await;
    let b = Browser::start().await;
    b.sign_in(&host, &persona(&host, "supervisor"), "Morgan Reyes")
        .await;
    b.go(&format!("#/session/new?kind=observed&agent={dev}"))
        .await;
    b.until(
        "the session form with the agent's figures",
        "document.querySelector('#f-figures')?.textContent.startsWith('Now:')",
    )
    .await;
    b.js(&format!(
                "const o = [...document.querySelectorAll('#f-observers option')].find((o) => o.value === {femi:?}); o.selected = true;"
            )).await;
    b.type_into("#f-targets", "QA 80%").await;
    b.type_into(
        "#f-behaviours",
        "Skips the identity check on repeat callers",
    )
    .await;
    b.type_into("#f-causes", "Believes repeat callers are verified")
        .await;
    b.type_into("#f-obsnotes", "Verify before discussing the account")
        .await;
    b.type_into(
        ".ai-desc",
        "Read the verification script aloud on every call",
    )
    .await;
    b.screenshot("coach-observed-session").await;
    b.click("#session-form button.primary").await;
    b.until(
        "the agent's page after saving",
        &format!("location.hash === '#/agent/{dev}'"),
    )
    .await;
    let sessions = host
        .admin()
        .get(&format!("/v1/sessions?agent={dev}&limit=100"))
        .await
        .json;
    let s = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "observed")
        .unwrap_or_else(|| panic!("the observed session is stored: {sessions}"))
        .clone();
    assert_eq!(s["observers"], json!([femi]), "{s}");
    assert_eq!(
        s["observer_notes"][0]["note"], "Verify before discussing the account",
        "{s}"
    );
    assert_eq!(
        s["behaviours"],
        json!(["Skips the identity check on repeat callers"]),
        "{s}"
    );
    assert_eq!(s["action_items"][0]["owner_id"], json!(dev), "{s}");
    b.finish().await;
}

#[tokio::test]
async fn the_supervisor_page_works_on_a_narrow_screen_from_the_keyboard() {
    let host = Host::demo();
    let b = Browser::start().await;
    b.c().set_window_size(390, 844).await.unwrap();
    b.sign_in(&host, &persona(&host, "supervisor"), "Morgan Reyes")
        .await;
    let id = b
        .until(
            "open alerts",
            "document.querySelector('#alerts li.alert')?.dataset.alert",
        )
        .await;
    let id = id.as_str().unwrap().to_string();
    let overflow = b
        .js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert!(
        overflow.as_i64().unwrap() <= 0,
        "nothing wider than the screen: {overflow} px"
    );
    b.screenshot("supervisor-narrow").await;
    // From the top of the page, Tab reaches the first alert's acknowledge
    // button, and Enter presses it.
    b.js("document.activeElement.blur(); window.scrollTo(0, 0);")
        .await;
    let target = format!("[data-alert=\"{id}\"] button");
    let mut reached = false;
    for _ in 0..80 {
        b.c()
            .active_element()
            .await
            .unwrap()
            .send_keys("\u{E004}")
            .await
            .unwrap();
        let on = b
            .js(&format!(
                "return document.activeElement === document.querySelector({target:?})"
            ))
            .await;
        if on == true {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab reaches the alert's acknowledge button");
    let ring = b.js("const s = getComputedStyle(document.activeElement); return s.outlineStyle !== 'none' && s.outlineWidth !== '0px'").await;
    assert_eq!(ring, true, "the focused control shows a focus ring");
    b.c()
        .active_element()
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .unwrap();
    b.until(
        "the alert acknowledged from the keyboard",
        &format!(
            "document.querySelector('[data-alert=\"{id}\"]')?.innerText.includes('acknowledged')"
        ),
    )
    .await;
    let alert = host.admin().get(&format!("/v1/alerts/{id}")).await.json;
    assert_eq!(alert["state"], "acknowledged", "{alert}");
    b.finish().await;
}
