//! `appctl up`: the whole backend running locally, the project applied to it.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::{FileArg, GlobalArgs, database};
use crate::ops::{self, up::WatchReporter};
use crate::output::Output;
use crate::plan::{Step, Summary};
use crate::stack::reconcile::Action;
use crate::stack::up::{self, PullPolicy, UpListener, UpOptions, UpReport};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Pull {
    /// Only images the engine does not have
    Missing,
    /// Every image, for the newest build of each tag
    Always,
    /// None; a missing image is an error
    Never,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub file: FileArg,
    /// When to pull images
    #[arg(long, value_enum, default_value = "missing", env = "APPCTL_PULL")]
    pub pull: Pull,
    /// Apply schema changes that drop tables, columns or data in the local db
    #[arg(long)]
    pub allow_destructive: bool,
    /// Keep running: when a function's files, appctl.yaml or .env change, apply just that change
    #[arg(long)]
    pub watch: bool,
}

struct Terminal {
    output: Output,
    bars: MultiProgress,
    pulls: HashMap<String, ProgressBar>,
}

impl UpListener for Terminal {
    fn pulling(&mut self, image: &str, done: u64, total: u64) {
        let bars = &self.bars;
        let bar = self.pulls.entry(image.to_string()).or_insert_with(|| {
            let bar = bars.add(ProgressBar::new(total));
            bar.set_style(
                ProgressStyle::with_template("{msg:40} {bar:30} {bytes}/{total_bytes}")
                    .expect("a valid template"),
            );
            bar.set_message(format!("pulling {image}"));
            bar
        });
        bar.set_length(total);
        bar.set_position(done);
    }

    fn pulled(&mut self, image: &str) {
        if let Some(bar) = self.pulls.remove(image) {
            bar.finish_and_clear();
        }
        self.output.status(format!("Pulled {image}"));
    }

    fn service(&mut self, name: &str, action: &Action) {
        let what = match action {
            Action::Keep { .. } => return,
            Action::Start { .. } => "starting",
            Action::Create => "creating",
            Action::Replace { .. } => "replacing (its spec changed)",
        };
        self.output.status(format!("  {name:<20} {what}"));
    }

    fn healthy(&mut self, name: &str, after: Duration) {
        self.output.detail(format!(
            "  {name:<20} healthy after {:.1} s",
            after.as_secs_f64()
        ));
    }

    fn removed(&mut self, name: &str) {
        self.output
            .status(format!("  {name:<20} removed (no longer in the stack)"));
    }

    fn schema_step(&mut self, step: &Step) {
        self.output
            .detail(format!("  db: {} {}", step.action.symbol(), step.object));
    }
}

pub fn run(args: UpArgs, global: &GlobalArgs, output: Output) -> anyhow::Result<ExitCode> {
    let project = database::load_project(global, &args.file, output)?;
    let options = UpOptions {
        pull: match args.pull {
            Pull::Missing => PullPolicy::Missing,
            Pull::Always => PullPolicy::Always,
            Pull::Never => PullPolicy::Never,
        },
        allow_destructive: args.allow_destructive,
    };
    let bars = MultiProgress::with_draw_target(if output.interactive && !output.quiet {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let mut listener = Terminal {
        output,
        bars,
        pulls: HashMap::new(),
    };
    output.status(format!("Starting the stack of {}...", project.file.project));
    let runtime = database::runtime()?;
    let report = runtime.block_on(up::up(&project, &options, &mut listener))?;
    if output.json {
        println!("{}", serde_json::to_string_pretty(&UpJson::of(&report))?);
    } else {
        output.status(summary(&report));
    }
    if args.watch {
        let reload = || database::load_project(global, &args.file, output);
        ops::up::watch(project, reload, &options, &mut listener, &runtime);
    }
    Ok(ExitCode::SUCCESS)
}

impl WatchReporter for Terminal {
    fn watching(&mut self) {
        self.output.status(
            "Watching appctl.yaml, .env and the functions' files; Ctrl-C stops watching (the stack stays up).",
        );
    }

    fn reload_failed(&mut self, error: &anyhow::Error) {
        eprintln!("error: {error:#}\n(still watching; the stack was left as it was)");
    }

    fn applied(&mut self, report: &UpReport) {
        let changed: Vec<&str> = report
            .actions
            .iter()
            .filter(|(_, a)| !matches!(a, Action::Keep { .. }))
            .map(|(name, _)| name.as_str())
            .collect();
        let schema = report.schema.as_ref().map(|p| p.summary());
        if self.output.json {
            let line = WatchJson {
                restarted: &changed,
                removed: &report.removed,
                schema,
            };
            match serde_json::to_string(&line) {
                Ok(line) => println!("{line}"),
                Err(error) => eprintln!("error: {error:#}\n(still watching)"),
            }
        } else {
            self.output.status(format!(
                "Change applied: {} restarted{}.",
                if changed.is_empty() {
                    "nothing".to_string()
                } else {
                    changed.join(", ")
                },
                match schema {
                    Some(s) if s.create + s.change + s.drop > 0 => format!(
                        "; database: {} created, {} changed, {} dropped",
                        s.create, s.change, s.drop
                    ),
                    _ => String::new(),
                }
            ));
        }
    }

    fn failed(&mut self, error: &anyhow::Error) {
        eprintln!("error: {error:#}\n(still watching)");
    }
}

/// `appctl up --json`: what happened to each service and the schema, and where things are.
#[derive(Serialize)]
struct UpJson<'a> {
    project: &'a str,
    services: Vec<ServiceJson<'a>>,
    removed: &'a [String],
    containers_untouched: bool,
    schema: Option<Summary>,
    urls: UrlsJson,
}

/// What `up` did to one service.
#[derive(Serialize)]
struct ServiceJson<'a> {
    service: &'a str,
    action: &'static str,
}

/// Where the stack answers; `null` for a disabled service. Never a secret.
#[derive(Serialize)]
struct UrlsJson {
    api: Option<String>,
    db: Option<String>,
}

/// `appctl up --watch --json`: one line per change applied.
#[derive(Serialize)]
struct WatchJson<'a> {
    restarted: &'a [&'a str],
    removed: &'a [String],
    schema: Option<Summary>,
}

impl<'a> UpJson<'a> {
    fn of(report: &'a UpReport) -> Self {
        let services = report
            .actions
            .iter()
            .map(|(name, action)| ServiceJson {
                service: name,
                action: match action {
                    Action::Keep { .. } => "kept",
                    Action::Start { .. } => "started",
                    Action::Create => "created",
                    Action::Replace { .. } => "replaced",
                },
            })
            .collect();
        UpJson {
            project: &report.stack.project,
            services,
            removed: &report.removed,
            containers_untouched: report.containers_untouched(),
            schema: report.schema.as_ref().map(|p| p.summary()),
            urls: UrlsJson::of(report),
        }
    }
}

impl UrlsJson {
    fn of(report: &UpReport) -> Self {
        let port = |name: &str| {
            report
                .stack
                .service(name)
                .and_then(|s| s.port)
                .map(|p| p.host)
        };
        UrlsJson {
            api: port("gateway").map(|p| format!("http://127.0.0.1:{p}")),
            db: port("db").map(|p| format!("postgres://postgres:***@127.0.0.1:{p}/postgres")),
        }
    }
}

/// What `up` prints at the end: where things are, never a secret but the anon key, which browsers
/// send anyway.
fn summary(report: &UpReport) -> String {
    let mut out = String::new();
    if report.containers_untouched() {
        out.push_str("Containers: all up to date, none touched.\n");
    }
    match &report.schema {
        Some(plan) if plan.steps.is_empty() => {
            out.push_str("Schema: the local db matches appctl.yaml.\n")
        }
        Some(plan) => {
            let s = plan.summary();
            out.push_str(&format!(
                "Schema: applied {} created, {} changed, {} dropped.\n",
                s.create, s.change, s.drop
            ));
        }
        None => out.push_str("Schema: not applied (the db service is disabled).\n"),
    }
    out.push_str(&format!("\nThe stack of {} is up.\n", report.stack.project));
    if let Some(p) = report.stack.service("gateway").and_then(|s| s.port) {
        out.push_str(&format!("  API          http://127.0.0.1:{}\n", p.host));
    }
    if let Some(p) = report.stack.service("db").and_then(|s| s.port) {
        out.push_str(&format!(
            "  Database     postgres://postgres:***@127.0.0.1:{}/postgres\n",
            p.host
        ));
    }
    out.push_str(&format!("  anon key     {}\n", report.secrets.anon_key));
    out.push_str(
        "  Secrets      the db password and the service key are in .appctl/secrets.json (never printed)\n",
    );
    out.push_str("  `appctl status` shows the services, `appctl logs` their output.");
    out
}
