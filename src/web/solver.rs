//! The page's exact-solver panel: shown for a link without `fig` (e.g. `?lr=1.5` or
//! `?opt=sgdm&mu=0.5&K=2,0;0,1`), it solves the configuration's landscape exactly and prints Σ.

use std::rc::Weak;

use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlInputElement};

use super::app::App;
use super::dom::{cast, child, Listener};
use crate::config::Config;
use crate::playground::describe::readable;
use crate::solver;

/// The solver panel.
pub struct SolverPanel {
    config: Config,
    input: HtmlInputElement,
    output: Element,
    error: Element,
    _listener: Listener,
}

impl SolverPanel {
    /// Builds the panel into `parent` and solves `config`.
    pub fn new(
        app: &Weak<App>,
        parent: &Element,
        config: &Config,
        from_link: bool,
    ) -> Result<Self, JsValue> {
        let section = child(parent, "section", "card solver", "")?;
        section.set_id("solver");
        section.set_attribute("aria-labelledby", "solver-title")?;
        let heading = child(&section, "h2", "card-title", "Exact solver")?;
        heading.set_id("solver-title");
        child(
            &section,
            "p",
            "caption",
            "The stationary covariance Σ of any optimizer on L(w) = wᵀKw/2 with gradient noise C, \
             exactly (the same as `sgd-playground solve`). Edit the configuration text, e.g. \
             opt=sgdm&mu=0.5&lr=1.5&K=2,0;0,1&C=1.",
        )?;
        let label = child(&section, "label", "", "Configuration")?;
        label.set_attribute("for", "solver-config")?;
        let input: HtmlInputElement = cast(child(&section, "input", "text wide", "")?)?;
        input.set_id("solver-config");
        input.set_type("text");
        input.set_attribute("spellcheck", "false")?;
        input.set_attribute("autocomplete", "off")?;
        input.set_attribute("aria-describedby", "solver-error")?;
        input.set_value(&config.to_text());
        let error = child(&section, "p", "field-error", "")?;
        error.set_id("solver-error");
        error.set_attribute("hidden", "")?;
        let output = child(&section, "pre", "solution", "")?;
        output.set_attribute("aria-live", "polite")?;
        let app = app.clone();
        let input_ref = input.clone();
        let listener = Listener::new(&input, "input", move |_| {
            if let Some(app) = app.upgrade() {
                app.solver_input(&input_ref.value());
            }
        })?;
        let panel = Self {
            config: config.clone(),
            input,
            output,
            error,
            _listener: listener,
        };
        panel.show();
        if !from_link {
            section.set_attribute("hidden", "")?;
        }
        Ok(panel)
    }

    /// The configuration solved.
    pub fn config(&self) -> Config {
        self.config.clone()
    }

    /// New configuration text typed: solved when valid, the errors listed when not.
    pub fn set_text(&mut self, text: &str) -> bool {
        // The cost is checked first: nothing larger than this tab's budget is ever solved.
        let parsed = Config::parse(text).and_then(|config| {
            crate::playground::check_browser_cost(&config)?;
            config.to_problem().map(|_| config)
        });
        match parsed {
            Ok(config) => {
                self.config = config;
                let _ = self.error.set_attribute("hidden", "");
                let _ = self.input.remove_attribute("aria-invalid");
                self.show();
                true
            }
            Err(problems) => {
                let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
                self.error.set_text_content(Some(&text.join("\n")));
                let _ = self.error.remove_attribute("hidden");
                let _ = self.input.set_attribute("aria-invalid", "true");
                false
            }
        }
    }

    fn show(&self) {
        self.output
            .set_text_content(Some(&solution_text(&self.config)));
    }
}

/// The exact result of a landscape configuration, as text.
pub fn solution_text(config: &Config) -> String {
    let problem = match config.to_problem() {
        Ok(problem) => problem,
        Err(problems) => {
            let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return text.join("\n");
        }
    };
    match solver::stationary(&problem) {
        Ok(stationary) => {
            let sigma = &stationary.sigma;
            let mut text = String::new();
            if sigma.nrows() == 1 {
                text.push_str(&format!(
                    "stationary Var[w] = {}\n",
                    readable(sigma[(0, 0)])
                ));
            }
            text.push_str("Σ =\n");
            for i in 0..sigma.nrows().min(12) {
                let row: Vec<String> = (0..sigma.ncols().min(12))
                    .map(|j| format!("{:>11}", readable(sigma[(i, j)])))
                    .collect();
                text.push_str(&format!("  {}\n", row.join(" ")));
            }
            if sigma.nrows() > 12 {
                text.push_str(&format!(
                    "  … ({}×{}; the CLI prints all of it)\n",
                    sigma.nrows(),
                    sigma.ncols()
                ));
            }
            text
        }
        Err(divergence) => format!("diverges: {divergence}"),
    }
}
