//! The playground's page logic, natively: golden links keep opening the same configuration,
//! links round-trip, bad values are reported by key and never lose the good ones, every control
//! edits its key, and the text alternative and hover read-out come from the drawn data.

use plotters::prelude::{IntoDrawingArea, SVGBackend};
use proptest::prelude::*;
use sgd_playground::config::{Config, FIGURE_IDS, KEYS};
use sgd_playground::experiments::Experiment;
use sgd_playground::figures::{draw_wrapped, FigureStyle, PlotFrame};
use sgd_playground::playground::describe::{describe, nearest, table, MAX_TABLE_ROWS};
use sgd_playground::playground::{
    controls, link_query, open, paper_config, read_query, with_value, Widget, BROWSER_LIMITS,
    PAGE_KEYS,
};

const GOLDEN: &str = include_str!("../fixtures/golden_urls.txt");

/// What the page opens for a URL query: (canonical text, notices).
fn opened(query: &str) -> (String, Vec<String>) {
    let request = read_query(query);
    let opened = open(&request.config_text);
    let mut notices: Vec<String> = request.problems.iter().map(ToString::to_string).collect();
    notices.extend(opened.notices);
    (opened.config.to_text(), notices)
}

#[test]
fn golden_links_open_the_same_configuration() {
    let mut lines = Vec::new();
    let mut mismatches = Vec::new();
    for line in GOLDEN.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            lines.push(line.to_string());
            continue;
        }
        let mut fields = line.split('\t');
        let query = fields.next().unwrap_or_default();
        let (text, notices) = opened(query);
        lines.push(format!("{query}\t{text}\t{}", notices.len()));
        match (fields.next(), fields.next()) {
            (Some(expected), Some(count)) => {
                if expected != text || count != notices.len().to_string() {
                    mismatches.push(format!(
                        "{query}: expected {expected} ({count} notices), got {text} ({} notices: {notices:?})",
                        notices.len()
                    ));
                }
            }
            _ => mismatches.push(format!("{query}: no expectation stored")),
        }
    }
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/golden_urls.txt"
        );
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
        return;
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn every_golden_link_builds_its_figure() {
    for line in GOLDEN
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let query = line.split('\t').next().unwrap();
        let config = open(&read_query(query).config_text).config;
        let notices = opened(query).1;
        if config.figure.is_some() && (notices.is_empty() || Experiment::new(&config).is_ok()) {
            let experiment = Experiment::new(&config).unwrap_or_else(|e| panic!("{query}: {e:?}"));
            assert!(!experiment.theory().panels.is_empty(), "{query}");
            assert!(
                config.check_simulation_size(1, &BROWSER_LIMITS).is_ok(),
                "{query}"
            );
        }
    }
}

#[test]
fn paper_figures_fit_the_browser_limits_and_open_without_notices() {
    for id in FIGURE_IDS {
        let (text, notices) = opened(&format!("?fig={id}"));
        assert_eq!(text, format!("v=1&fig={id}"));
        assert!(notices.is_empty(), "fig {id}: {notices:?}");
    }
}

#[test]
fn links_round_trip_with_the_page_keys() {
    let request = read_query("?fig=3&K=2,0.5;0.5,1&lrs=0.5,0.8&embed=1&ctl=lrs,K&theme=light");
    let config = open(&request.config_text).config;
    let query = link_query(&config, &request.options);
    assert_eq!(
        query,
        "v=1&fig=3&lrs=0.5,0.8&K=2,0.5;0.5,1&embed=1&ctl=lrs,K&theme=light"
    );
    let again = read_query(&query);
    assert_eq!(again.options, request.options);
    assert_eq!(open(&again.config_text).config, config);
}

#[test]
fn the_workers_page_key_is_read_kept_and_checked() {
    let request = read_query("?fig=2a&workers=3&C=2");
    assert_eq!(request.options.workers, Some(3));
    assert_eq!(request.config_text, "fig=2a&C=2");
    assert!(request.problems.is_empty());
    let config = open(&request.config_text).config;
    assert_eq!(
        link_query(&config, &request.options),
        "v=1&fig=2a&C=2&workers=3"
    );
    assert_eq!(read_query("?workers=0").options.workers, Some(0));
    assert_eq!(read_query("?fig=2a").options.workers, None);
    for bad in ["17", "-1", "two", "", "1e1"] {
        let request = read_query(&format!("?fig=2a&workers={bad}"));
        assert_eq!(request.options.workers, None, "{bad}");
        assert_eq!(request.problems.len(), 1, "{bad}");
        let problem = request.problems[0].to_string();
        assert!(
            problem.starts_with(&format!("workers: invalid value '{bad}'"))
                && problem.contains("[0, 16]"),
            "{problem}"
        );
    }
    // The default: one worker per reported core, 1 to 8.
    assert_eq!(sgd_playground::playground::default_workers(2.0), 2);
    assert_eq!(sgd_playground::playground::default_workers(64.0), 8);
    assert_eq!(sgd_playground::playground::default_workers(0.0), 1);
    assert_eq!(sgd_playground::playground::default_workers(f64::NAN), 1);
}

#[test]
fn a_newer_link_warns_and_reads_what_it_knows() {
    let (text, notices) = opened("?v=2&fig=2a&C=3");
    assert_eq!(text, "v=1&fig=2a&C=3");
    assert_eq!(notices.len(), 1);
    assert!(
        notices[0].starts_with("v: invalid value '2'"),
        "{}",
        notices[0]
    );
}

#[test]
fn every_control_edits_its_key() {
    for id in FIGURE_IDS {
        let config = paper_config(id).unwrap();
        let all = controls(&config);
        assert!(!all.is_empty(), "fig {id} has no control");
        for control in &all {
            // Its own value is accepted and changes nothing.
            let same = with_value(&config, control.key, &control.value)
                .unwrap_or_else(|e| panic!("fig {id} {}: {e:?}", control.key));
            assert_eq!(same, config, "fig {id} {}", control.key);
            assert_eq!(
                control.default.as_deref(),
                Some(control.value.as_str()),
                "fig {id} {}",
                control.key
            );
            // Garbage is refused with an error naming the key.
            let error = with_value(&config, control.key, "#garbage#").unwrap_err();
            assert!(
                error.0.iter().any(|e| e.field == control.key),
                "fig {id} {}: {error:?}",
                control.key
            );
            if let Widget::Slider { min, max, .. } = control.widget {
                assert!(min < max);
            }
        }
    }
}

#[test]
fn sliders_show_the_paper_values() {
    // A slider's span holds the paper's value of its key, and positions map to valid numbers.
    for id in FIGURE_IDS {
        let config = paper_config(id).unwrap();
        for control in controls(&config) {
            if let Widget::Slider { min, max, log } = control.widget {
                let value: f64 = control.value.parse().unwrap();
                assert!(
                    (min..=max).contains(&value),
                    "fig {id}: {}={value} outside [{min}, {max}]",
                    control.key
                );
                let position =
                    sgd_playground::playground::controls::slider_position(value, min, max, log);
                let back =
                    sgd_playground::playground::controls::slider_value(position, min, max, log);
                assert!(
                    (back - value).abs() <= 0.01 * (max - min).max(value),
                    "fig {id}: {} {value} → {back}",
                    control.key
                );
            }
        }
    }
}

#[test]
fn the_text_alternative_carries_the_key_numbers() {
    let config = Config::parse("fig=2a&points=4&particles=300&steps=300").unwrap();
    let experiment = Experiment::new(&config).unwrap();
    let mut run = experiment.simulation();
    while !run.is_done() {
        run.advance(1_000_000);
    }
    let data = experiment.figure(&run);
    let text = describe(&data);
    // The simulated point of largest λ is (2/k)·4/5 = 1.6: its value with its standard error,
    // and the two theories at the same λ: Var = λσ²/(k(2 − λk)) = 4 and λσ²/(2k) = 0.8.
    assert!(text.contains("at λ = 1.6"), "{text}");
    assert!(text.contains(" ± "), "{text}");
    assert!(text.contains("(Cor. 1) 4"), "{text}");
    assert!(text.contains("0.8"), "{text}");
    let (header, rows, total) = table(&data, Some(MAX_TABLE_ROWS));
    assert_eq!(header.len(), 6);
    assert_eq!(rows.len(), total.min(MAX_TABLE_ROWS));
    assert!(total > MAX_TABLE_ROWS, "{total}");
    // The 4 simulated points (with their standard errors) come first, then the theory.
    for row in &rows[..4] {
        assert_eq!(row[2], "simulation", "{row:?}");
        assert!(!row[5].is_empty(), "{row:?}");
    }
    assert!(rows[4..].iter().all(|row| row[5].is_empty()));
    // Without a limit, every row.
    let (_, all, _) = table(&data, None);
    assert_eq!(all.len(), total);
    let csv = sgd_playground::figures::to_csv(&data);
    assert_eq!(
        csv.lines().filter(|l| l.contains(",simulation,")).count(),
        4
    );
}

#[test]
fn hover_finds_the_nearest_drawn_point() {
    let config = Config::parse("fig=2a").unwrap();
    let data = Experiment::new(&config).unwrap().theory();
    let mut svg = String::new();
    let mut frames: Vec<PlotFrame> = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 500)).into_drawing_area();
        draw_wrapped(&data, &root, &FigureStyle::default(), 1, &mut frames).unwrap();
        root.present().unwrap();
    }
    assert_eq!(frames.len(), 1);
    let frame = frames[0];
    // The continuous-time curve at λ = 1: Var = λσ²/(2k) = 0.5.
    let pixel = frame.pixel_of((1.0, 0.5)).unwrap();
    assert!(frame.contains(pixel));
    let back = frame.data_at(pixel);
    assert!(
        (back.0 - 1.0).abs() < 1e-9 && (back.1 - 0.5).abs() < 1e-9,
        "{back:?}"
    );
    let readout = nearest(&data, &frames, (pixel.0 + 2.0, pixel.1), 20.0).unwrap();
    assert!(readout.series.contains("continuous"), "{readout:?}");
    assert!(
        (readout.x - 1.0).abs() < 0.05 && (readout.y - 0.5).abs() < 0.05,
        "{readout:?}"
    );
    assert!(readout.text.contains("λ = "), "{}", readout.text);
    // Outside every frame: nothing.
    assert!(nearest(&data, &frames, (1.0, 1.0), 20.0).is_none());
}

#[test]
fn hovering_a_heatmap_reads_out_the_cell_under_the_pointer() {
    let data = Experiment::new(&Config::parse("fig=phase&res=50").unwrap())
        .unwrap()
        .theory();
    let mut svg = String::new();
    let mut frames: Vec<PlotFrame> = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 500)).into_drawing_area();
        draw_wrapped(&data, &root, &FigureStyle::default(), 1, &mut frames).unwrap();
        root.present().unwrap();
    }
    let frame = frames[0];
    // A stable cell far from every curve and point: λk = 0.5, μ = 0.8.
    let pixel = frame.pixel_of((0.5, 0.8)).unwrap();
    let readout = nearest(&data, &frames, pixel, 10.0).unwrap();
    let expected = 2.0 * 1.8 / (2.0 * 1.8 - readout.x); // Corollary 2 at the cell centre
    assert!((readout.x - 0.5).abs() < 4.5 / 50.0, "{readout:?}");
    assert!(
        (10f64.powf(readout.y) - expected).abs() < 0.05 * expected,
        "{readout:?}"
    );
    assert!(
        readout.text.contains("log₁₀(L / L_c) = "),
        "{}",
        readout.text
    );
    // A diverged cell says so.
    let pixel = frame.pixel_of((4.3, 0.1)).unwrap();
    let readout = nearest(&data, &frames, pixel, 10.0).unwrap();
    assert!(readout.text.ends_with("diverges"), "{}", readout.text);
}

#[test]
fn wrapped_panels_keep_their_indices_and_rows() {
    let data = Experiment::new(&Config::parse("fig=3").unwrap())
        .unwrap()
        .theory();
    let mut svg = String::new();
    let mut frames = Vec::new();
    {
        let root = SVGBackend::with_string(&mut svg, (400, 1200)).into_drawing_area();
        draw_wrapped(&data, &root, &FigureStyle::default(), 2, &mut frames).unwrap();
        root.present().unwrap();
    }
    let panels: Vec<usize> = frames.iter().map(|f| f.panel).collect();
    assert_eq!(panels, [0, 1, 2, 3, 4]);
    assert!(frames[2].top > frames[0].bottom, "row 2 below row 1");
    assert!(frames[4].top > frames[2].bottom, "row 3 below row 2");
}

#[test]
fn a_wrapped_figure_keeps_every_series_in_its_legend_and_its_colours() {
    // fig=newton: panel (a) and (b) have different series; wrapped one per row, the legend (on
    // the last row) must still list panel (a)'s, with the colours of the unwrapped figure.
    let data = Experiment::new(&Config::parse("fig=newton").unwrap())
        .unwrap()
        .theory();
    let only_in_first: Vec<String> = data.panels[0]
        .curves
        .iter()
        .filter(|c| data.panels[1].curves.iter().all(|d| d.label != c.label))
        .map(|c| c.label.clone())
        .collect();
    assert!(!only_in_first.is_empty());
    let draw = |columns: usize, size: (u32, u32)| {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
            draw_wrapped(
                &data,
                &root,
                &FigureStyle::default(),
                columns,
                &mut Vec::new(),
            )
            .unwrap();
            root.present().unwrap();
        }
        svg
    };
    let wrapped = draw(1, (600, 1400));
    let whole = draw(2, (1400, 700));
    for label in &only_in_first {
        // Legend text may be shortened to fit; its start is always there.
        let start: String = label.chars().take(12).collect();
        let escaped = start
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(
            wrapped.contains(&escaped),
            "{label} missing from the wrapped legend"
        );
    }
    let colours = |svg: &str| {
        let mut found: Vec<String> = svg
            .match_indices("stroke=\"#")
            .map(|(i, _)| svg[i + 8..i + 15].to_string())
            .collect();
        found.sort();
        found.dedup();
        found
    };
    assert_eq!(
        colours(&wrapped),
        colours(&whole),
        "the same series colours"
    );
}

/// The link percent-decoded (keys are reported decoded).
fn decoded(link: &str) -> String {
    let bytes = link.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok())
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A golden link with one character inserted, deleted or replaced.
fn mutated_link() -> impl Strategy<Value = String> {
    let links: Vec<String> = GOLDEN
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .collect();
    (
        proptest::sample::select(links),
        any::<prop::sample::Index>(),
        0u8..3,
        proptest::sample::select(vec![
            '=', '&', ',', ';', '-', '1', '0', '.', 'e', '%', 'x', ' ', 'λ', '<',
        ]),
    )
        .prop_map(|(link, at, how, c)| {
            let mut chars: Vec<char> = link.chars().collect();
            let i = at.index(chars.len() + 1);
            match how {
                0 => chars.insert(i, c),
                1 if i < chars.len() => {
                    chars.remove(i);
                }
                _ if i < chars.len() => chars[i] = c,
                _ => chars.push(c),
            }
            chars.into_iter().collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn mutated_links_open_and_every_notice_names_a_key(link in mutated_link()) {
        let request = read_query(&link);
        let opened = open(&request.config_text);
        for problem in &request.problems {
            prop_assert!(PAGE_KEYS.contains(&problem.field.as_str()), "{problem}");
        }
        for notice in &opened.notices {
            let key = notice.split(':').next().unwrap_or_default();
            prop_assert!(!key.is_empty(), "{notice}");
            // A key is echoed with its invisible characters escaped (`fig\u{1b}`).
            let decoded = decoded(&link);
            let named = decoded.contains(key)
                || sgd_playground::error::escape_text(&decoded).contains(key)
                || KEYS.iter().any(|s| s.key == key)
                || key == "(empty key)";
            prop_assert!(named, "{} in {}", notice, link);
        }
        // What opens is valid and fits a tab (unless a default itself conflicts with the kept
        // values, which a notice then says).
        prop_assert!(opened.config.validate().is_ok() || !opened.notices.is_empty());
        if opened.config.figure.is_some() && opened.config.validate().is_ok() {
            prop_assert!(opened.config.check_simulation_size(1, &BROWSER_LIMITS).is_ok());
            let query = link_query(&opened.config, &request.options);
            let again = open(&read_query(&query).config_text);
            prop_assert_eq!(again.config, opened.config);
            prop_assert!(again.notices.is_empty());
        }
    }

    #[test]
    fn arbitrary_queries_never_panic(query in ".{0,120}") {
        let request = read_query(&query);
        let _ = open(&request.config_text);
    }
}

#[test]
fn a_long_legend_on_a_narrow_page_gets_room() {
    use sgd_playground::playground::legend_height_estimate;
    let escape = Experiment::new(&Config::parse("fig=escape").unwrap())
        .unwrap()
        .theory();
    let phone = legend_height_estimate(&escape, 358.0);
    let desktop = legend_height_estimate(&escape, 900.0);
    // Nine long entries: one row each on a phone, fewer rows on a desktop.
    assert!(phone >= 9.0 * 17.0, "{phone}");
    assert!(desktop < phone, "{desktop} vs {phone}");
    let fig2a = Experiment::new(&Config::parse("fig=2a").unwrap())
        .unwrap()
        .theory();
    assert!(legend_height_estimate(&fig2a, 900.0) <= 2.0 * 17.0);
}

#[test]
fn an_embed_control_the_figure_does_not_have_is_reported() {
    let config = Config::parse("fig=5a").unwrap();
    let shown = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect::<Vec<String>>();
    assert_eq!(
        sgd_playground::playground::unknown_control_notice(
            &config,
            Some(&shown(&["lr_k", "mu_min"]))
        ),
        None
    );
    assert_eq!(
        sgd_playground::playground::unknown_control_notice(&config, None),
        None
    );
    let notice = sgd_playground::playground::unknown_control_notice(
        &config,
        Some(&shown(&["lr_k", "momentum", "<b>"])),
    )
    .expect("a notice");
    assert!(
        notice.starts_with("ctl: 'momentum', '<b>' are not a control of fig=5a"),
        "{notice}"
    );
    assert!(notice.contains("its controls are "), "{notice}");
    assert!(notice.contains("mu_min"), "{notice}");
}

#[test]
fn an_unknown_embed_control_is_named_with_invisible_characters_escaped() {
    // `ctl=` comes from the link: a bidi override or a newline in it is shown escaped, so the
    // notice stays one visible line.
    let config = sgd_playground::config::Config::parse("fig=5a").expect("valid");
    let shown = vec!["mu_min".to_string(), "x\u{202e}y\nz".to_string()];
    let notice = sgd_playground::playground::unknown_control_notice(&config, Some(&shown))
        .expect("one unknown control");
    assert!(notice.contains("'x\\u{202e}y\\nz'"), "{notice}");
    assert!(
        !notice.contains('\n') && !notice.contains('\u{202e}'),
        "{notice}"
    );
    assert!(!notice.contains("'mu_min'"), "{notice}");
}

/// Every key's page label, slider span and aliases live in its `KeySpec`: labels are words (not
/// the bare key, except where the key is the word), spans are proper (a logarithmic one positive),
/// a slider's paper default lies on it, and an alias is no key's name and names one key only.
#[test]
fn every_key_carries_a_label_a_proper_slider_span_and_unique_aliases() {
    let mut seen_aliases = std::collections::BTreeSet::new();
    for spec in KEYS {
        assert!(!spec.label.trim().is_empty(), "{}: empty label", spec.key);
        assert!(
            spec.label != spec.key || ["seed", "steps", "noise", "landscape"].contains(&spec.key),
            "{}: the label is the bare key",
            spec.key
        );
        if let Some(span) = spec.slider {
            assert!(span.min < span.max, "{}: slider {span:?}", spec.key);
            assert!(
                !span.log || span.min > 0.0,
                "{}: log slider {span:?}",
                spec.key
            );
            if let Ok(default) = spec.default.parse::<f64>() {
                assert!(
                    (span.min..=span.max).contains(&default),
                    "{}: default {default} off its slider {span:?}",
                    spec.key
                );
            }
        }
        for alias in spec.aliases {
            assert!(
                KEYS.iter()
                    .all(|other| !other.key.eq_ignore_ascii_case(alias)),
                "{}: alias {alias} is a key",
                spec.key
            );
            assert!(
                seen_aliases.insert(alias.to_ascii_lowercase()),
                "alias {alias} twice"
            );
        }
    }
    // An alias is suggested as its key.
    let error = Config::parse("learning_rate=0.5").expect_err("an alias is not a key");
    assert!(error.to_string().contains("did you mean lr?"), "{error}");
}

#[test]
fn a_legend_label_wider_than_a_phone_is_wrapped_not_cut() {
    // Fig. 3 on a 390 px phone, with a label as long as its simulation entry's: the legend
    // draws it in full on two or three lines (at 85% of the legend's size), never with "…".
    let mut data = Experiment::new(&Config::parse("fig=3").unwrap())
        .unwrap()
        .theory();
    let long =
        "simulation (2000 points per panel; title: % inside the discrete / continuous 3σ ellipse)";
    data.panels[0].curves[0].label = long.to_string();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (390, 900)).into_drawing_area();
        draw_wrapped(&data, &root, &FigureStyle::default(), 2, &mut Vec::new()).unwrap();
        root.present().unwrap();
    }
    assert!(!svg.contains('…'), "a legend label was cut");
    let texts: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter_map(|t| t.split('>').nth(1)?.split('<').next())
        .collect();
    let first = texts
        .iter()
        .position(|t| long.starts_with(t.trim()) && t.trim().len() > 10)
        .expect("the label's first line");
    let mut joined = texts[first].trim().to_string();
    for line in &texts[first + 1..] {
        if joined.len() >= long.len() {
            break;
        }
        joined = format!("{joined} {}", line.trim());
    }
    assert_eq!(joined, long, "the lines are the whole label");
    assert!(joined != texts[first].trim(), "the label is wrapped");
}

#[test]
fn a_long_axis_description_is_drawn_whole_on_two_lines() {
    // Sec. 6.2's panel (b) in a desktop card (892 px for two panels): its x description is
    // longer than the plot; it goes on two lines within the panel instead of ending in "…".
    let data = Experiment::new(&Config::parse("fig=escape").unwrap())
        .unwrap()
        .theory();
    let label = data.panels[1].x_label.trim().to_string();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (892, 520)).into_drawing_area();
        draw_wrapped(&data, &root, &FigureStyle::default(), 2, &mut Vec::new()).unwrap();
        root.present().unwrap();
    }
    assert!(!svg.contains('…'), "a label was cut");
    // The description's words all appear, in order, in the drawn text.
    let drawn: String = svg
        .split("<text")
        .skip(1)
        .filter_map(|t| t.split('>').nth(1)?.split('<').next())
        .collect::<Vec<_>>()
        .join(" ");
    let mut rest = drawn.as_str();
    for word in label
        .split(' ')
        .filter(|w| w.chars().all(|c| c.is_alphanumeric()))
    {
        let at = rest
            .find(word)
            .unwrap_or_else(|| panic!("{word:?} of {label:?} not drawn"));
        rest = &rest[at + word.len()..];
    }
}
