//! Score evaluations through the reference scorer plugin, in-process.
//!
//! Opens a complete host (store, runtime, reference plugins) in a temporary
//! directory, reads the MaestroQA sample form and evaluation from
//! `data/invoke-reference-scorer.json`, and prints the scorecard the plugin
//! computes (70%: 3/3 at 10%, 5/10 at 30%, 4/5 at 50%, 1/2 at 10%).
//!
//! `cargo run -p sidecoach-examples --example score_a_form`

use sidecoach::App;
use sidecoach::config::Config;
use sidecoach::model::{EvaluationEvent, Form};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = Config {
        data_dir: dir.path().join("data"),
        admin_token: Some("example".into()),
        ..Config::default()
    };
    let app = App::open(config).await?;

    let input = sidecoach_examples::read_sample("invoke-reference-scorer.json")?;
    let form: Form = serde_json::from_value(input["form"].clone())?;
    let evaluations: Vec<EvaluationEvent> = serde_json::from_value(input["evaluations"].clone())?;

    let report = app
        .services
        .plugins
        .score("reference-scorer", form, evaluations)
        .await
        .map_err(|failed| anyhow::anyhow!("{}", failed.error))?;
    for result in &report.output {
        match result {
            Ok(card) => println!(
                "{}: {:.2}% ({:?}) — sections {:?}",
                card.evaluation_external_id,
                card.score,
                card.outcome,
                card.sections
                    .iter()
                    .map(|s| (s.section_id.as_str(), s.percent))
                    .collect::<Vec<_>>()
            ),
            Err(e) => println!("error: {} ({:?})", e.message, e.code),
        }
    }
    println!(
        "reference-scorer {} took {:.2} ms and {} fuel",
        report.plugin_version,
        report.duration.as_secs_f64() * 1e3,
        report.fuel_consumed.unwrap_or(0)
    );
    Ok(())
}
