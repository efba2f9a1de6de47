//! The playground page's logic, free of the browser: what a URL asks for, what each figure's form
//! shows, how an edit changes the configuration, and the text a figure is read out as. The `web`
//! layer only turns this into DOM elements and events, so everything here is tested natively.
//!
//! - **URL** ([`read_query`], [`open`]): the query is the configuration text of the CLI plus four
//!   page keys ([`PAGE_KEYS`]: `embed`, `ctl`, `theme`, `workers`) that only the page reads. Opening never
//!   fails: every invalid or unknown value is reported by key with the default used instead, every
//!   valid key is kept, and a simulation larger than a browser tab's [`BROWSER_LIMITS`] falls back
//!   to the figure's default size with the limit in the message.
//! - **Links** ([`link_query`]): `v=1`, then only the values that differ from the defaults (the
//!   canonical [`Config::to_text`]), then the page keys in use.
//! - **Forms** ([`controls`](mod@controls)): one control per key the figure reads.
//! - **Text** ([`describe`]): the text alternative, the data table and the hover read-out.

pub mod controls;
pub mod describe;
pub mod solution;

use crate::config::{
    default_text, key_spec, percent_decode, shorten, Config, SimulationLimits, FIGURE_IDS,
};
use crate::error::{FieldError, FieldErrors};

pub use controls::{controls, Control, Widget};

/// Keys of the URL that the page reads and the configuration language does not: `embed=1` (one
/// figure in a minimal frame), `ctl=lr,mu` (the controls an embedded figure shows), `theme=light`
/// or `dark` (instead of the system's `prefers-color-scheme`), `workers=N` (the simulations' Web
/// Workers; `0` runs them on the page's own thread, in slices).
pub const PAGE_KEYS: &[&str] = &["embed", "ctl", "theme", "workers"];

/// The most Web Workers `workers=` asks for.
pub const MAX_WORKERS: usize = 16;

/// The Web Workers a page runs when its link does not say: one per logical core the browser
/// reports (`navigator.hardwareConcurrency`), at least 1 and at most 8 (more would mostly add
/// memory: the page's largest figures have 8–40 ensembles).
pub fn default_workers(hardware_concurrency: f64) -> usize {
    if hardware_concurrency.is_finite() {
        hardware_concurrency.clamp(1.0, 8.0) as usize
    } else {
        1
    }
}

/// The browser's caps on one figure's simulation: 10¹⁰ particle-steps (a few minutes of a
/// laptop's wasm at 7·10⁷ per second; the paper's own runs are at most 8·10⁹, Fig. 6(b), whose
/// escape ensembles stop once every particle escaped, long before) and 256 MiB of particle state.
/// The run is sliced per animation frame, so even the largest never blocks the page.
pub const BROWSER_LIMITS: SimulationLimits = SimulationLimits {
    max_particle_steps: 10_000_000_000,
    max_state_bytes: 256 << 20,
};

/// The colour theme the page uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ThemeChoice {
    /// Follow the system (`prefers-color-scheme`).
    #[default]
    Auto,
    /// Light, whatever the system says.
    Light,
    /// Dark, whatever the system says.
    Dark,
}

impl ThemeChoice {
    /// The value of `theme` (`auto` is not written).
    pub fn name(self) -> &'static str {
        match self {
            ThemeChoice::Auto => "auto",
            ThemeChoice::Light => "light",
            ThemeChoice::Dark => "dark",
        }
    }
}

/// How the page shows itself (the page keys of the URL).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PageOptions {
    /// `embed=1`: one figure, a minimal frame.
    pub embed: bool,
    /// `ctl=…`: the keys whose controls an embedded figure shows (`None`: none given; in embed
    /// mode that shows no control).
    pub controls: Option<Vec<String>>,
    /// `theme=…`.
    pub theme: ThemeChoice,
    /// `workers=N`: how many Web Workers run the simulations (`None`: [`default_workers`]; `0`:
    /// none, the page's own thread in slices).
    pub workers: Option<usize>,
}

/// A URL query split into the page's own keys and the configuration text.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PageRequest {
    /// The page keys.
    pub options: PageOptions,
    /// The rest of the query: configuration text, still percent-encoded as in the URL.
    pub config_text: String,
    /// Invalid page-key values (the default is used instead).
    pub problems: Vec<FieldError>,
}

/// Splits a URL query (with or without its leading `?`) into the page keys and the configuration
/// text. Never fails; an invalid page-key value is reported and its default used.
///
/// # Example
/// ```
/// use sgd_playground::playground::{read_query, ThemeChoice};
/// let request = read_query("?fig=2a&embed=1&ctl=lr,C&theme=dark&seed=7");
/// assert!(request.options.embed);
/// assert_eq!(request.options.controls, Some(vec!["lr".to_string(), "C".to_string()]));
/// assert_eq!(request.options.theme, ThemeChoice::Dark);
/// assert_eq!(request.config_text, "fig=2a&seed=7");
/// ```
pub fn read_query(query: &str) -> PageRequest {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut request = PageRequest::default();
    let mut config_pairs = Vec::new();
    let mut seen = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if !PAGE_KEYS.contains(&key) {
            config_pairs.push(pair);
            continue;
        }
        if seen.contains(&key) {
            request.problems.push(FieldError::new(
                key,
                shorten(value),
                "at most once (the first is used)",
            ));
            continue;
        }
        seen.push(key);
        // Malformed UTF-8 is kept as its lossy text (then reported as an invalid value).
        let value = percent_decode(value).unwrap_or_else(|lossy| lossy);
        match key {
            "embed" => match value.as_str() {
                "1" => request.options.embed = true,
                "0" => request.options.embed = false,
                _ => request
                    .problems
                    .push(FieldError::new("embed", shorten(&value), "0 or 1")),
            },
            "ctl" => {
                let keys: Vec<String> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|key| !key.is_empty())
                    .map(String::from)
                    .collect();
                let unknown: Vec<&String> = keys
                    .iter()
                    .filter(|key| key_spec(key).is_none() || matches!(key.as_str(), "v" | "fig"))
                    .collect();
                if !unknown.is_empty() {
                    let names: Vec<&str> = unknown.iter().map(|key| key.as_str()).collect();
                    request.problems.push(FieldError::new(
                        "ctl",
                        shorten(&names.join(",")),
                        "configuration keys of the figure separated by , (e.g. ctl=lr,mu); the \
                         others are shown",
                    ));
                }
                request.options.controls = Some(
                    keys.into_iter()
                        .filter(|key| {
                            key_spec(key).is_some() && !matches!(key.as_str(), "v" | "fig")
                        })
                        .collect(),
                );
            }
            "workers" => match value.parse::<usize>() {
                Ok(workers) if workers <= MAX_WORKERS => request.options.workers = Some(workers),
                _ => request.problems.push(FieldError::new(
                    "workers",
                    shorten(&value),
                    "an integer in [0, 16] (0: no Web Workers, the simulation runs on the page's \
                     thread)",
                )),
            },
            _ => match value.to_ascii_lowercase().as_str() {
                "auto" => request.options.theme = ThemeChoice::Auto,
                "light" => request.options.theme = ThemeChoice::Light,
                "dark" => request.options.theme = ThemeChoice::Dark,
                _ => request.problems.push(FieldError::new(
                    "theme",
                    shorten(&value),
                    "one of auto, light, dark",
                )),
            },
        }
    }
    request.config_text = config_pairs.join("&");
    request
}

/// The configuration text of what a user pastes: a whole link (`https://…/?fig=2a&C=2#x`), a
/// query (`?fig=2a`) or configuration text; the page keys ([`PAGE_KEYS`]) are dropped. Text with
/// line breaks (a configuration file) is returned as it is. The command line reads its input
/// through this, so a copied link works there too.
///
/// # Example
/// ```
/// use sgd_playground::playground::config_text_of;
/// assert_eq!(config_text_of("https://example.org/sgd/?fig=2a&C=2&embed=1#top"), "fig=2a&C=2");
/// assert_eq!(config_text_of("?v=1&fig=3&theme=dark"), "v=1&fig=3");
/// assert_eq!(config_text_of("lr=1.5"), "lr=1.5");
/// ```
pub fn config_text_of(input: &str) -> String {
    let trimmed = input.trim();
    if trimmed.contains('\n') {
        return input.to_string();
    }
    let query = if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
        let without_fragment = trimmed.split('#').next().unwrap_or_default();
        without_fragment
            .split_once('?')
            .map_or("", |(_, query)| query)
    } else {
        trimmed
    };
    read_query(query).config_text
}

/// A configuration opened from a URL, with everything that had to be changed to open it.
#[derive(Clone, Debug, PartialEq)]
pub struct Opened {
    /// The configuration shown.
    pub config: Config,
    /// One message per problem, naming the key, the value, the default used and what is allowed.
    pub notices: Vec<String>,
}

/// Opens configuration text the way the page does: [`Config::parse_lenient`] (every valid key
/// kept, every invalid one reset to its default and reported), then the browser's
/// [`BROWSER_LIMITS`]: a figure whose simulation exceeds them gets its default `particles`,
/// `steps` and `points` back, with the limit stated. Never fails.
///
/// # Example
/// ```
/// use sgd_playground::playground::open;
/// let opened = open("fig=2a&C=-1&lr_k=2&seed=9");
/// assert_eq!(opened.config.to_text(), "v=1&fig=2a&seed=9");
/// assert_eq!(opened.notices.len(), 2); // C invalid, lr_k not read by fig=2a
/// let c = opened.notices.iter().find(|n| n.starts_with("C: invalid value '-1'")).unwrap();
/// assert!(c.ends_with("; the default 1 is used"));
/// ```
pub fn open(config_text: &str) -> Opened {
    let (mut config, problems) =
        Config::parse_lenient_within(config_text, &crate::cost::Budget::BROWSER);
    let figure = config.figure.as_ref().map(|figure| figure.id());
    let mut notices: Vec<String> = merge_problems(&problems)
        .into_iter()
        .map(|(problem, count)| with_count(notice(problem, figure), count))
        .collect();
    if let Some(figure_id) = figure {
        if let Err(too_large) = config.check_simulation_size(1, &BROWSER_LIMITS) {
            let reduced = without_keys(&config, SIMULATION_SIZE_KEYS);
            if let Ok(smaller) = Config::parse(&reduced) {
                config = smaller;
                notices.push(format!(
                    "{too_large} (this browser tab's limit); the default particles, steps and \
                     points of fig={figure_id} are used"
                ));
            }
        }
    }
    // The cost model (crate::cost): each key named by a refusal takes its default (all the
    // simulation's size keys at once), until what is left fits; the rest of the link is kept.
    for _ in 0..8 {
        let Err(too_large) = check_browser_cost(&config) else {
            break;
        };
        let keys: &[&str] = if SIMULATION_SIZE_KEYS.contains(&too_large.field.as_str()) {
            SIMULATION_SIZE_KEYS
        } else {
            &[too_large.field.as_str()]
        };
        let reduced = without_keys(&config, keys);
        let (smaller, _) = Config::parse_lenient_within(&reduced, &crate::cost::Budget::BROWSER);
        let unchanged = smaller.same_as(&config);
        config = if unchanged {
            // Nothing left to lower: the figure (or the solver) as the paper has it.
            let fallback = figure.map_or(String::new(), |id| format!("fig={id}"));
            Config::parse(&fallback).unwrap_or_default()
        } else {
            smaller
        };
        let used = if unchanged {
            match figure {
                Some(id) => format!("fig={id} with its default settings is shown"),
                None => "the default settings are used".to_string(),
            }
        } else {
            format!("the default {} is used", keys.join(", "))
        };
        notices.push(format!("{too_large}; {used}"));
        if unchanged {
            break;
        }
    }
    Opened {
        config,
        notices: cap_notices(notices),
    }
}

/// The keys of a figure's simulation size, reset together when a run is too large for a tab.
const SIMULATION_SIZE_KEYS: &[&str] = &["particles", "steps", "points", "burnin"];

/// Most items an alert lists; the rest are counted in a last item ([`cap_notices`]).
pub const MAX_NOTICES: usize = 12;

/// Checks `config` against the page's limit ([`crate::cost::Budget::BROWSER`]): for a figure, its
/// theory, simulation and largest piece; without one (the exact-solver panel), the theory.
///
/// # Errors
/// A [`FieldError`] naming the key to lower and the limit.
pub fn check_browser_cost(config: &Config) -> Result<(), FieldError> {
    let cost = crate::cost::Cost::of(config);
    if config.figure.is_none() {
        // The page only solves a landscape exactly; it does not simulate it.
        return cost.check_theory(&crate::cost::Budget::BROWSER);
    }
    cost.check(&crate::cost::Budget::BROWSER)
}

/// Identical problems once each, with how often they occurred, in the order first seen.
pub fn merge_problems(problems: &[FieldError]) -> Vec<(&FieldError, usize)> {
    let mut index: std::collections::HashMap<&FieldError, usize> = std::collections::HashMap::new();
    let mut merged: Vec<(&FieldError, usize)> = Vec::new();
    for problem in problems {
        match index.get(problem) {
            Some(&at) => merged[at].1 += 1,
            None => {
                index.insert(problem, merged.len());
                merged.push((problem, 1));
            }
        }
    }
    merged
}

/// `text`, with ` (×count)` when the same problem occurred more than once.
fn with_count(text: String, count: usize) -> String {
    if count > 1 {
        format!("{text} (×{count})")
    } else {
        text
    }
}

/// Notices as an alert lists them: identical ones merged (`… (×20000)`), at most
/// [`MAX_NOTICES`] items, the last saying how many more there are.
///
/// # Example
/// ```
/// use sgd_playground::playground::{cap_notices, MAX_NOTICES};
/// let many: Vec<String> = (0..30).map(|i| format!("problem {}", i % 20)).collect();
/// let shown = cap_notices(many);
/// assert_eq!(shown.len(), MAX_NOTICES);
/// assert_eq!(shown[0], "problem 0 (×2)");
/// assert_eq!(shown[MAX_NOTICES - 1], "… and 9 more problems");
/// ```
pub fn cap_notices(notices: Vec<String>) -> Vec<String> {
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for notice in &notices {
        let count = counts.entry(notice.as_str()).or_insert(0);
        if *count == 0 {
            order.push(notice.as_str());
        }
        *count += 1;
    }
    let mut shown: Vec<String> = order
        .iter()
        .take(if order.len() > MAX_NOTICES {
            MAX_NOTICES - 1
        } else {
            MAX_NOTICES
        })
        .map(|notice| with_count((*notice).to_string(), counts[notice]))
        .collect();
    if order.len() > MAX_NOTICES {
        let more = order.len() - (MAX_NOTICES - 1);
        shown.push(format!("… and {more} more problems"));
    }
    shown
}

/// The notices of an embed's `ctl=` keys that the figure has no control for (a key it does not
/// read, or not a key at all): one sentence naming them and the controls it does have. Nothing
/// when every key is a control (or no `ctl` was given).
pub fn unknown_control_notice(config: &Config, shown: Option<&[String]>) -> Option<String> {
    let shown = shown?;
    let known: Vec<&'static str> = controls(config).iter().map(|c| c.key).collect();
    let unknown: Vec<&str> = shown
        .iter()
        .map(String::as_str)
        .filter(|key| !known.contains(key))
        .collect();
    if unknown.is_empty() {
        return None;
    }
    let figure = config.figure.as_ref().map_or("the solver", |f| f.id());
    let listed: Vec<String> = unknown
        .iter()
        .map(|key| format!("'{}'", crate::error::escape_text(&shorten(key))))
        .collect();
    Some(format!(
        "ctl: {} {} not a control of fig={figure}, so {} not shown; its controls are {}",
        listed.join(", "),
        if unknown.len() == 1 { "is" } else { "are" },
        if unknown.len() == 1 {
            "it is"
        } else {
            "they are"
        },
        known.join(", ")
    ))
}

/// A problem as the page states it: the error, then what is used instead.
fn notice(problem: &FieldError, figure: Option<&str>) -> String {
    let instead = match key_spec(&problem.field) {
        None if PAGE_KEYS.contains(&problem.field.as_str()) => "its default is used".to_string(),
        None => "it is ignored".to_string(),
        Some(_) if problem.field == "v" => "the keys this version knows are read".to_string(),
        Some(_) => match default_text(figure, &problem.field) {
            Some(default) if default == problem.value => {
                "that is the default, which does not fit the other values: change this value \
                 or the others"
                    .to_string()
            }
            Some(default) => format!("the default {default} is used"),
            None => "it is left out".to_string(),
        },
    };
    format!("{problem}; {instead}")
}

/// A page-key problem as the page states it.
pub fn page_notice(problem: &FieldError) -> String {
    notice(problem, None)
}

/// The canonical text of `config` without the given keys (so they take their defaults).
fn without_keys(config: &Config, keys: &[&str]) -> String {
    config
        .to_text()
        .split('&')
        .filter(|pair| {
            let key = pair.split_once('=').map_or(*pair, |(key, _)| key);
            !keys.contains(&key)
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The query of a link to `config` with the page options (without the leading `?`): the
/// canonical configuration text ([`Config::to_text`]: `v=1`, then only non-default values), then
/// `embed`, `ctl`, `theme` when they are not their defaults. Values are percent-encoded where the
/// query needs it.
///
/// # Example
/// ```
/// use sgd_playground::config::Config;
/// use sgd_playground::playground::{link_query, PageOptions, ThemeChoice};
/// let config = Config::parse("fig=3&K=2,0.5").unwrap();
/// let options = PageOptions { theme: ThemeChoice::Dark, ..PageOptions::default() };
/// assert_eq!(link_query(&config, &options), "v=1&fig=3&K=2,0.5&theme=dark");
/// ```
pub fn link_query(config: &Config, options: &PageOptions) -> String {
    let mut query = config
        .to_text()
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) => format!("{key}={}", encode(value)),
            None => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&");
    if options.embed {
        query.push_str("&embed=1");
    }
    if let Some(keys) = &options.controls {
        if !keys.is_empty() {
            query.push_str("&ctl=");
            query.push_str(&keys.join(","));
        }
    }
    if options.theme != ThemeChoice::Auto {
        query.push_str("&theme=");
        query.push_str(options.theme.name());
    }
    if let Some(workers) = options.workers {
        query.push_str("&workers=");
        query.push_str(&workers.to_string());
    }
    query
}

/// `config` with `key` set to the text `raw` (as typed in a form), checked strictly: the error
/// names the key, the value and what is allowed, and the configuration is then left unchanged.
///
/// # Errors
/// Every problem [`Config::parse`] and [`Config::validate`] find with the new value, plus
/// [`BROWSER_LIMITS`] for a figure's simulation size.
///
/// # Example
/// ```
/// use sgd_playground::config::Config;
/// use sgd_playground::playground::with_value;
/// let config = Config::parse("fig=2a").unwrap();
/// let edited = with_value(&config, "C", "2").unwrap();
/// assert_eq!(edited.to_text(), "v=1&fig=2a&C=2");
/// let error = with_value(&config, "C", "-2").unwrap_err();
/// assert_eq!(error.0[0].field, "C");
/// ```
pub fn with_value(config: &Config, key: &str, raw: &str) -> Result<Config, FieldErrors> {
    let mut text = without_keys(config, &[key]);
    text.push('&');
    text.push_str(key);
    text.push('=');
    text.push_str(&encode(raw.trim()));
    let edited = Config::parse(&text)?;
    // The cost first: validating builds the model, which must already fit.
    check_browser_cost(&edited)?;
    edited.validate()?;
    if edited.figure.is_some() {
        edited.check_simulation_size(1, &BROWSER_LIMITS)?;
    }
    Ok(edited)
}

/// The CSS height (px) a figure's legend strip needs at a canvas width: its distinct entries
/// packed into rows, about 6.2 px per character plus a 44 px sample, 17 px per row (the drawing's
/// legend font at a phone or laptop width). The page adds it to the panels' height so that a
/// long legend on a phone does not squash the plots.
pub fn legend_height_estimate(data: &crate::experiments::data::FigureData, css_width: f64) -> f64 {
    let mut labels: Vec<&str> = Vec::new();
    for panel in &data.panels {
        let names = panel
            .curves
            .iter()
            .map(|c| c.label.as_str())
            .chain(panel.points.iter().map(|p| p.label.as_str()))
            .chain(panel.scatters.iter().map(|s| s.label.as_str()))
            .chain(panel.shadings.iter().map(|s| s.label.as_str()));
        for name in names {
            if !name.trim().is_empty() && !labels.contains(&name) {
                labels.push(name);
            }
        }
    }
    let available = (css_width - 20.0).max(100.0);
    let mut rows = 0usize;
    let mut used = f64::INFINITY;
    for label in labels {
        let width = 44.0 + 6.2 * label.chars().count() as f64;
        // A label wider than the legend goes on rows of its own (figures::legend wraps it onto
        // up to three).
        if width > available {
            rows += ((width / available).ceil() as usize).clamp(2, 3);
            used = f64::INFINITY;
            continue;
        }
        if used + width > available {
            rows += 1;
            used = width;
        } else {
            used += width + 12.0;
        }
    }
    17.0 * rows as f64
}

/// A figure's short name for the table of contents and its card before the theory is drawn:
/// `Fig. 2a` for the paper's figures, a name for the panels beyond them.
pub fn short_name(figure: &str) -> String {
    crate::config::figure_entry(figure).map_or_else(
        || format!("Fig. {figure}"),
        |entry| entry.short_name.to_string(),
    )
}

/// The paper's configuration of a figure (every key at its default).
pub fn paper_config(figure: &str) -> Option<Config> {
    FIGURE_IDS
        .contains(&figure)
        .then(|| Config::parse(&format!("fig={figure}")).ok())
        .flatten()
}

/// Percent-encodes what a query value cannot hold literally; the encoder lives with the
/// configuration's text syntax, next to its decoder.
pub use crate::config::encode;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_keys_are_checked() {
        let request = read_query("embed=yes&theme=blue&ctl=lr,colour&embed=1");
        let fields: Vec<&str> = request.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["embed", "theme", "ctl", "embed"]);
        assert_eq!(request.options.controls, Some(vec!["lr".to_string()]));
        assert!(!request.options.embed);
    }

    #[test]
    fn a_run_too_large_for_a_tab_falls_back_to_the_default_size() {
        let opened = open("fig=2a&particles=10000000&steps=100000&seed=3");
        assert_eq!(opened.config.to_text(), "v=1&fig=2a&seed=3");
        assert_eq!(opened.notices.len(), 1);
        assert!(opened.notices[0].starts_with("particles: invalid value '10000000'"));
        assert!(opened.notices[0].contains("1e10"), "{}", opened.notices[0]);
    }
}
