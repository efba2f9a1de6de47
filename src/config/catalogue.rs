//! The figure catalogue: every figure of the playground with what the language and the page say
//! about it (its `fig` value, its name in the table of contents, the template of its formula,
//! the control an embed shows, whether its model is one-dimensional, its defaults), in one place.
//! [`FIGURE_IDS`] is derived from it.

/// One figure of the playground.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FigureEntry {
    /// The value of `fig`.
    pub id: &'static str,
    /// Its name in the page's table of contents and in links (`Fig. 2a`, `Phase diagram`).
    pub short_name: &'static str,
    /// The id of `www/index.html`'s `<template>` with its formula (MathML), if it has one (the
    /// panels beyond the paper's figures say it all in their caption).
    pub formula_template: Option<&'static str>,
    /// The control an embed code shows by default: the figure's main knob.
    pub embed_controls: &'static str,
    /// Its K and C are one number each: the page offers sliders for the curvature k and the
    /// noise variance σ².
    pub scalar_model: bool,
    /// Its defaults where they differ from the key's [`KeySpec::default`](super::KeySpec::default)
    /// (or, for fig=6a and 6b, its double-well default): (key, default).
    pub defaults: &'static [(&'static str, &'static str)],
}

/// Every figure, in the order of the paper and then the panels beyond it.
pub const FIGURES: [FigureEntry; 18] = [
    FigureEntry {
        id: "1b",
        short_name: "Fig. 1b",
        formula_template: Some("formula-1b"),
        embed_controls: "lrs",
        scalar_model: true,
        defaults: &[("lrs", "1.25,1.5,1.75"), ("start", "1"), ("steps", "20")],
    },
    FigureEntry {
        id: "2a",
        short_name: "Fig. 2a",
        formula_template: Some("formula-2a"),
        embed_controls: "C",
        scalar_model: true,
        defaults: &[("particles", "10000")],
    },
    FigureEntry {
        id: "2b",
        short_name: "Fig. 2b",
        formula_template: Some("formula-2b"),
        embed_controls: "S",
        scalar_model: false,
        defaults: &[
            ("particles", "100"),
            ("steps", "2000"),
            ("burnin", "500"),
            ("points", "20"),
        ],
    },
    FigureEntry {
        id: "3",
        short_name: "Fig. 3",
        formula_template: Some("formula-3"),
        embed_controls: "lrs",
        scalar_model: false,
        defaults: &[
            ("K", "1,0.1"),
            ("lrs", "0.1,0.5,1,1.5,1.9"),
            ("particles", "2000"),
            ("steps", "5000"),
        ],
    },
    FigureEntry {
        id: "4",
        short_name: "Fig. 4",
        formula_template: Some("formula-4"),
        embed_controls: "lrs",
        scalar_model: false,
        defaults: &[
            ("x_var", "1,0.1"),
            ("lrs", "0.1,0.4,0.7,0.9"),
            ("particles", "2000"),
            ("steps", "600"),
        ],
    },
    FigureEntry {
        id: "5a",
        short_name: "Fig. 5a",
        formula_template: Some("formula-5a"),
        embed_controls: "lr_k",
        scalar_model: true,
        defaults: &[
            ("lr_k", "2.75"),
            ("mu_min", "0.38"),
            ("steps", "6000"),
            ("burnin", "2000"),
        ],
    },
    FigureEntry {
        id: "5b",
        short_name: "Fig. 5b",
        formula_template: Some("formula-5a"),
        embed_controls: "lr_k",
        scalar_model: true,
        defaults: &[("steps", "6000"), ("burnin", "2000")],
    },
    FigureEntry {
        id: "5c",
        short_name: "Fig. 5c",
        formula_template: Some("formula-5a"),
        embed_controls: "lr_k",
        scalar_model: false,
        defaults: &[
            ("lr_k", "2.75"),
            ("mu_min", "0.38"),
            ("particles", "100"),
            ("steps", "4000"),
            ("burnin", "2000"),
            ("points", "20"),
        ],
    },
    FigureEntry {
        id: "5d",
        short_name: "Fig. 5d",
        formula_template: Some("formula-5a"),
        embed_controls: "lr_k",
        scalar_model: false,
        defaults: &[
            ("particles", "100"),
            ("steps", "4000"),
            ("burnin", "2000"),
            ("points", "20"),
        ],
    },
    FigureEntry {
        id: "6a",
        short_name: "Fig. 6a",
        formula_template: Some("formula-6a"),
        embed_controls: "r",
        scalar_model: false,
        defaults: &[],
    },
    FigureEntry {
        id: "6b",
        short_name: "Fig. 6b",
        formula_template: Some("formula-6b"),
        embed_controls: "S",
        scalar_model: false,
        defaults: &[("steps", "1000000"), ("points", "8")],
    },
    FigureEntry {
        id: "phase",
        short_name: "Phase diagram",
        formula_template: Some("formula-phase"),
        embed_controls: "mu",
        scalar_model: false,
        defaults: &[
            ("opt", "sgdm"),
            ("lr_k", "2.75"),
            ("mu", "0.5"),
            ("S", "10"),
        ],
    },
    FigureEntry {
        id: "bayes",
        short_name: "Bayes-optimal λ",
        formula_template: Some("formula-bayes"),
        embed_controls: "S",
        scalar_model: false,
        defaults: &[("K", "1,0.1")],
    },
    FigureEntry {
        id: "escape",
        short_name: "Escape efficiency",
        formula_template: Some("formula-escape"),
        embed_controls: "lr",
        scalar_model: false,
        defaults: &[
            ("K", "1,0.1"),
            ("C", "1,0.1"),
            ("lr", "1"),
            ("steps", "30"),
            ("points", "10"),
            ("particles", "2000"),
        ],
    },
    FigureEntry {
        id: "newton",
        short_name: "Second-order methods",
        formula_template: None,
        embed_controls: "angle",
        scalar_model: false,
        defaults: &[("K", "1,0.1"), ("angle", "30"), ("mu", "0")],
    },
    FigureEntry {
        id: "schedule",
        short_name: "Learning-rate schedules",
        formula_template: None,
        embed_controls: "lr",
        scalar_model: false,
        defaults: &[
            ("opt", "sgdm"),
            ("lr", "0.5"),
            ("K", "powerlaw:20,1,1"),
            ("C", "0.01"),
            ("start", "1"),
            ("milestones", "150,225"),
            ("decay", "0.02"),
            ("gamma", "0.1"),
            ("warmup", "30"),
            ("steps", "300"),
            ("points", "6"),
            ("particles", "1000"),
        ],
    },
    FigureEntry {
        id: "adam",
        short_name: "Adam, AdamW, RMSprop",
        formula_template: None,
        embed_controls: "lr",
        scalar_model: false,
        defaults: &[
            ("opt", "adam"),
            ("lr", "0.1"),
            ("K", "1,0.1"),
            ("angle", "30"),
            ("C", "1,0.1"),
            ("lrk_max", "10"),
            ("points", "5"),
            ("particles", "200"),
            ("steps", "20000"),
        ],
    },
    FigureEntry {
        id: "explorer",
        short_name: "Table 1 live",
        formula_template: None,
        embed_controls: "lr",
        scalar_model: false,
        defaults: &[("K", "1,0.1"), ("angle", "30"), ("particles", "2000")],
    },
];

/// The figures a configuration can draw (values of `fig`), in the catalogue's order.
pub const FIGURE_IDS: &[&str] = &figure_ids();

const fn figure_ids() -> [&'static str; FIGURES.len()] {
    let mut ids = [""; FIGURES.len()];
    let mut i = 0;
    while i < FIGURES.len() {
        ids[i] = FIGURES[i].id;
        i += 1;
    }
    ids
}

/// The catalogue's entry of figure `id`.
pub fn figure_entry(id: &str) -> Option<&'static FigureEntry> {
    FIGURES.iter().find(|entry| entry.id == id)
}
