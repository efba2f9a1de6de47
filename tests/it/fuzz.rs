//! Fuzzing as part of the test suite: arbitrary and mutated configuration texts (golden links,
//! README examples, hostile links and every input that ever failed, `tests/fixtures/fuzz_corpus.txt`)
//! go through everything a link or a command line reaches: parse (strict and lenient), the page's
//! `open` (which must bring any text within the browser's budget), validation, the exact theory, a
//! bounded slice of simulation, drawing (SVG) and export (CSV), and the CLI's `solve`. Nothing may
//! panic, every notice and error is one line with nothing invisible in it, and everything the
//! page would run fits `Budget::BROWSER`.
//!
//! CI runs a few hundred seeded inputs (seconds). The long campaign is the ignored test:
//! `FUZZ_INPUTS=1000000 cargo test --release --test it fuzz:: -- --ignored --nocapture` (seed with
//! `FUZZ_SEED`); it prints the inputs run, the crashes and the slowest input.
//!
//! Native only, like the CLI it drives (and the corpus file it reads).

use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use sgd_playground::config::{Config, KEYS};
use sgd_playground::cost::{Budget, Cost};
use sgd_playground::error::is_unsafe_to_echo;
use sgd_playground::experiments::Experiment;
use sgd_playground::figures::{to_csv, to_svg, FigureStyle};
use sgd_playground::playground::{open, read_query, MAX_NOTICES};

/// The hostile links of issue 12 and their classes.
const HOSTILE: &[&str] = &[
    "fig=explorer&K=1&C=1,0;0,1",
    "fig=explorer&C=1,0,0;0,1,0;0,0,1",
    "fig=explorer&K=1,2,3&C=1,0.5;0.5,1",
    "fig=explorer&K=3&C=1,0.5;0.5,1",
    "fig=explorer&opt=precond&methods=precond&P=1,0;0,1&K=1",
    "fig=explorer&P=1,2,3",
    "fig=escape&K=1&C=1,0;0,1",
    "fig=newton&C=1,0,0;0,1,0;0,0,1",
    "fig=bayes&K=1,2,3,4,5,6",
    "fig=3&C=1,0,0;0,1,0;0,0,1",
    "K=1&C=1,0;0,1",
    "K=1,2&P=1,0,0;0,1,0;0,0,1&opt=precond",
    "K=1,2&start=1,2,3&particles=10&steps=10",
    "noise=batch&X=1,2;3,4;5,6&y=1,2",
    "noise=batch&X=1,2;3,4;5,6&y=1,2,3,4",
    "noise=batch&N=100000&x_var=1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1",
    "noise=batch&N=1000000&x_var=1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1",
    "fig=2b&S=1000000&N=1000000",
    "fig=2b&S=1000000&N=1000000&particles=10000",
    "noise=batch&S=1000000&N=1000000&particles=1000&steps=1000",
    "fig=2a&particles=10000000&steps=100000",
    "fig=3&particles=10000000&steps=1&lrs=0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8",
    "fig=phase&lrk_max=1e308&res=10",
    "fig=phase&res=400&noise=batch&N=1000000",
    "fig=explorer&particles=10000000",
    "fig=4&particles=10000000&N=1000000&S=999999",
    "fig=6b&particles=10000000&points=200",
    "lr=1%0A2",
    "lr=1%0D2",
    "lr=%E2%80%AE1",
    "%E2%80%AEa=1",
    "a%0Ab=1",
    "fig=2a&%00=1",
    "K=1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0",
    "opt=ngd&fisher=ensemble&noise=fisher&K=1,2,3&particles=1000000&steps=10",
    "landscape=doublewell&particles=10000000&steps=1000000",
];

/// Values a mutation puts in place of a value.
const VALUES: &[&str] = &[
    "",
    "0",
    "-1",
    "1",
    "2",
    "3",
    "0.5",
    "1.9",
    "1e308",
    "-1e308",
    "1e-308",
    "inf",
    "nan",
    "NaN",
    "1e400",
    "10000000",
    "1000000",
    "999999",
    "4294967297",
    "18446744073709551616",
    "1,2",
    "1,2,3",
    "1,0;0,1",
    "1,0.5;0.5,1",
    "3,1;1,2",
    "1,0,0;0,1,0;0,0,1",
    "1,2;3",
    "1;2",
    ";",
    ",",
    ",,",
    "1,0.1",
    "0,0",
    "-1,1",
    "1,1e308",
    "%0A",
    "%0D",
    "%E2%80%AE",
    "%00",
    "%FF",
    "%",
    "%%",
    "&",
    "=",
    "==",
    "stationary",
    "zero",
    "sgd",
    "sgdm",
    "qhm",
    "nesterov",
    "precond",
    "dnm",
    "ngd",
    "batch",
    "gauss",
    "fisher",
    "doublewell",
    "quadratic",
    "exact",
    "ensemble",
    "none",
    "all",
    "1b",
    "2a",
    "2b",
    "3",
    "4",
    "5a",
    "5b",
    "5c",
    "5d",
    "6a",
    "6b",
    "phase",
    "bayes",
    "escape",
    "newton",
    "explorer",
    "printed",
    "corrected",
    "eq28",
    "half",
    "0.999999",
    "1.0000001",
];

/// Every configuration key, a few unknown ones and the page keys.
fn keys() -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = KEYS.iter().map(|spec| spec.key).collect();
    keys.extend(["a", "embed", "ctl", "theme", "", "K ", "Lr", "%E2%80%AE"]);
    keys
}

/// The seed texts: golden links, README examples, hostile links, the failure corpus.
fn seeds() -> Vec<String> {
    let mut seeds: Vec<String> = HOSTILE.iter().map(|s| s.to_string()).collect();
    let golden = include_str!("../fixtures/golden_urls.txt");
    seeds.extend(
        golden
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .filter_map(|line| line.split('\t').next())
            .map(|query| read_query(query).config_text),
    );
    seeds.extend(corpus());
    let readme = include_str!("../../README.md");
    // The command examples: the first quoted text after `sgd-playground <command> ` on a line
    // (quotes counted per line, so an apostrophe in the prose cannot shift them).
    for line in readme.lines() {
        let Some((_, command)) = line.split_once("sgd-playground ") else {
            continue;
        };
        if let Some(quoted) = command.split('\'').nth(1) {
            if quoted.contains('=') && !quoted.contains(' ') && quoted.len() < 400 {
                seeds.push(quoted.to_string());
            }
        }
    }
    seeds.extend(
        readme
            .split(['(', ')', ' ', '`', '<', '>'])
            .filter_map(|word| {
                word.split_once('?')
                    .filter(|(_, q)| q.contains('='))
                    .map(|(_, q)| read_query(q).config_text)
            }),
    );
    seeds.sort();
    seeds.dedup();
    seeds
}

/// Every input that ever failed (one per line, as configuration text).
fn corpus() -> Vec<String> {
    include_str!("../fixtures/fuzz_corpus.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(String::from)
        .collect()
}

/// One item of `items`.
fn pick(rng: &mut Xoshiro256PlusPlus, items: &[&'static str]) -> &'static str {
    items[rng.random_range(0..items.len())]
}

/// One mutated or arbitrary text.
fn generate(rng: &mut Xoshiro256PlusPlus, seeds: &[String], keys: &[&'static str]) -> String {
    if rng.random_range(0..10) == 0 {
        // Arbitrary pairs.
        let count = rng.random_range(0..8);
        return (0..count)
            .map(|_| format!("{}={}", pick(rng, keys), pick(rng, VALUES)))
            .collect::<Vec<_>>()
            .join("&");
    }
    let seed = &seeds[rng.random_range(0..seeds.len())];
    let mut pairs: Vec<String> = seed.split('&').map(String::from).collect();
    for _ in 0..rng.random_range(1..5) {
        match rng.random_range(0..7) {
            0 if !pairs.is_empty() => {
                let at = rng.random_range(0..pairs.len());
                let key = pairs[at].split('=').next().unwrap_or("").to_string();
                pairs[at] = format!("{key}={}", pick(rng, VALUES));
            }
            1 => pairs.push(format!("{}={}", pick(rng, keys), pick(rng, VALUES))),
            2 if !pairs.is_empty() => {
                let at = rng.random_range(0..pairs.len());
                pairs.remove(at);
            }
            3 if !pairs.is_empty() => {
                let at = rng.random_range(0..pairs.len());
                pairs.push(pairs[at].clone());
            }
            4 if !pairs.is_empty() => {
                // A byte flipped somewhere (kept UTF-8).
                let at = rng.random_range(0..pairs.len());
                let mut chars: Vec<char> = pairs[at].chars().collect();
                if !chars.is_empty() {
                    let i = rng.random_range(0..chars.len());
                    chars[i] = pick(
                        rng,
                        &["0", "9", ",", ";", "=", "-", ".", "e", "\n", "\u{202e}"],
                    )
                    .chars()
                    .next()
                    .unwrap_or('0');
                }
                pairs[at] = chars.into_iter().collect();
            }
            5 => {
                let key = pick(
                    rng,
                    &["particles", "steps", "points", "S", "N", "res", "lrs"],
                );
                let value = pick(rng, &["10000000", "1000000", "100000", "200", "400", "1"]);
                pairs.push(format!("{key}={value}"));
            }
            _ => {
                let key = pick(rng, &["K", "C", "P", "start", "x_var", "X", "y"]);
                let value = pick(
                    rng,
                    &[
                        "1",
                        "1,2",
                        "1,2,3",
                        "1,0;0,1",
                        "2,1;1,2",
                        "1,0,0;0,1,0;0,0,1",
                        "1,2;3,4;5,6",
                    ],
                );
                pairs.push(format!("{key}={value}"));
            }
        }
    }
    pairs.join("&")
}

/// What one input did.
#[derive(Default)]
struct Outcome {
    elapsed: Duration,
    drew: bool,
}

fn assert_one_line(text: &str, input: &str) {
    assert!(
        !text.chars().any(is_unsafe_to_echo),
        "a message with a control or invisible character for input {input:?}: {text:?}"
    );
}

/// Runs one input through every stage; panics (with the input) on any broken promise.
fn exercise(input: &str, draw: bool) -> Outcome {
    let started = Instant::now();
    let mut outcome = Outcome::default();
    // Strict parse: errors are one line each.
    if let Err(problems) = Config::parse(input) {
        for problem in problems.iter() {
            assert_one_line(&problem.to_string(), input);
        }
    }
    // The page: open never fails, brings everything within the tab's budget, notices are capped
    // and one line each.
    let opened = open(input);
    assert!(opened.notices.len() <= MAX_NOTICES, "{input:?}");
    for notice in &opened.notices {
        assert_one_line(notice, input);
    }
    let config = opened.config;
    let mut cost = Cost::of(&config);
    if config.figure.is_none() {
        cost.simulation = 0;
        cost.piece = 0;
    }
    if let Err(problem) = cost.check(&Budget::BROWSER) {
        panic!("open({input:?}) left work beyond the browser's budget: {problem}");
    }
    match &config.figure {
        Some(_) => {
            if let Ok(experiment) = Experiment::new(&config) {
                // As the page runs it: expensive theory parts piece by piece (a few here).
                let experiment = experiment.progressive();
                for _ in 0..3 {
                    if !experiment.refine_theory() {
                        break;
                    }
                }
                let theory = experiment.theory();
                let mut run = experiment.simulation();
                // A bounded slice of simulation: at most a few pieces.
                for _ in 0..3 {
                    if run.is_done() {
                        break;
                    }
                    run.advance(50_000);
                }
                let data = experiment.figure(&run);
                for panel in &data.panels {
                    for scatter in &panel.scatters {
                        assert!(
                            scatter.points.len()
                                <= sgd_playground::experiments::data::MAX_DRAWN_POINTS
                        );
                    }
                }
                if draw {
                    let style = FigureStyle::light();
                    to_svg(&theory, 600, 300, &style).expect("the theory draws");
                    to_svg(&data, 600, 300, &style).expect("the figure draws");
                    let csv = to_csv(&data);
                    assert!(
                        !csv.contains(",inf") && !csv.contains(",NaN"),
                        "a non-finite number in the CSV of {input:?}"
                    );
                    outcome.drew = true;
                }
            }
        }
        None => {
            if let Ok(problem) = config.to_problem() {
                let _ = sgd_playground::solver::stationary(&problem);
            }
        }
    }
    outcome.elapsed = started.elapsed();
    outcome
}

/// The CLI answers a text with exit 0 or 2 and one line per problem. (An exact solve that is
/// allowed but long, above 10⁹ units, e.g. the minibatch theory of D = 32 and N = 10⁵, is left
/// out to keep the test quick; refusals are always checked.)
fn exercise_cli(input: &str) {
    if let Ok(config) = Config::parse(input) {
        let theory = Cost::of(&config).theory;
        if theory > 1_000_000_000 && theory <= Budget::NATIVE.theory {
            return;
        }
    }
    let args: Vec<String> = ["sgd-playground", "solve", input]
        .map(String::from)
        .to_vec();
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = sgd_playground::cli::run(&args, &mut stdout, &mut stderr);
    assert!(code == 0 || code == 2, "exit {code} for {input:?}");
    let stderr = String::from_utf8_lossy(&stderr);
    for line in stderr.lines().filter(|line| line.starts_with("error: ")) {
        assert_one_line(line, input);
    }
}

/// What a campaign found.
struct Campaign {
    inputs: u64,
    drawn: u64,
    slowest: Duration,
    slowest_input: String,
    /// Inputs that broke a promise (a panic inside `exercise`), with the message.
    crashes: Vec<String>,
}

/// Runs `count` generated inputs from `seed`, drawing and running the CLI on every
/// `draw_every`-th; a broken promise is caught and recorded, and the campaign goes on.
fn campaign(count: u64, seed: u64, draw_every: u64) -> Campaign {
    let seeds = seeds();
    let keys = keys();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut found = Campaign {
        inputs: 0,
        drawn: 0,
        slowest: Duration::ZERO,
        slowest_input: String::new(),
        crashes: Vec::new(),
    };
    for index in 0..count {
        let input = generate(&mut rng, &seeds, &keys);
        let draw = index % draw_every == 0;
        let result = std::panic::catch_unwind(|| {
            let outcome = exercise(&input, draw);
            if draw {
                exercise_cli(&input);
            }
            outcome
        });
        found.inputs += 1;
        match result {
            Ok(outcome) => {
                found.drawn += u64::from(outcome.drew);
                if outcome.elapsed > found.slowest {
                    found.slowest = outcome.elapsed;
                    found.slowest_input = input;
                }
            }
            Err(_) => found.crashes.push(input),
        }
    }
    found
}

#[test]
fn hostile_links_and_the_corpus_are_answered() {
    for input in HOSTILE.iter().map(|s| s.to_string()).chain(corpus()) {
        exercise(&input, true);
        exercise_cli(&input);
    }
}

#[test]
fn shapes_are_checked_before_arithmetic() {
    for input in [
        "fig=explorer&K=1&C=1,0;0,1",
        "fig=explorer&C=1,0,0;0,1,0;0,0,1",
        "fig=explorer&K=1,2,3&C=1,0.5;0.5,1",
    ] {
        let config = Config::parse(input).expect("parses");
        let error = Experiment::new(&config).expect_err("sizes differ");
        let text = error.to_string();
        assert!(text.starts_with("C: invalid value"), "{text}");
        assert!(text.contains("the size of K, which is"), "{text}");
    }
}

#[test]
fn seeded_mutations_never_break_a_promise() {
    let found = campaign(300, 12, 4);
    assert_eq!(found.inputs, 300);
    assert!(
        found.crashes.is_empty(),
        "failing inputs: {:?}",
        found.crashes
    );
    assert!(
        found.drawn > 20,
        "only {} inputs drew a figure",
        found.drawn
    );
    println!(
        "300 inputs, {} drawn; slowest {:?}: {}",
        found.drawn, found.slowest, found.slowest_input
    );
}

/// The long campaign, outside CI.
#[test]
#[ignore = "long: FUZZ_INPUTS=1000000 cargo test --release --test it fuzz:: -- --ignored --nocapture"]
fn long_campaign() {
    let count = std::env::var("FUZZ_INPUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let started = Instant::now();
    let found = campaign(count, seed, 50);
    println!(
        "fuzz campaign: {} inputs (seed {seed}), {} drawn and exported, {} crashes, {:.0} s; \
         slowest input {:?}: {}",
        found.inputs,
        found.drawn,
        found.crashes.len(),
        started.elapsed().as_secs_f64(),
        found.slowest,
        found.slowest_input
    );
    for crash in &found.crashes {
        println!("crash: {crash}");
    }
    assert!(
        found.crashes.is_empty(),
        "add these to tests/fixtures/fuzz_corpus.txt"
    );
}
