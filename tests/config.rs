//! The configuration language: defaults, every key, errors, lenient parsing, percent-decoding,
//! versions, round trips and robustness against arbitrary text.

use nalgebra::DMatrix;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use sgd_playground::config::{
    key_spec, Config, DataConfig, GeneratedData, MatrixSpec, NoiseConfig, OptimizerConfig, KEYS,
    MAX_TEXT_BYTES,
};
use sgd_playground::error::FieldError;
use sgd_playground::model::{Noise, Optimizer, RegressionData, MAX_DATASET_SIZE, MAX_DIMENSION};

fn parse(text: &str) -> Config {
    match Config::parse(text) {
        Ok(config) => config,
        Err(errors) => panic!("'{text}' should parse, got:\n{errors}"),
    }
}

fn parse_errors(text: &str) -> Vec<FieldError> {
    match Config::parse(text) {
        Ok(config) => panic!("'{text}' should be rejected, got {config:?}"),
        Err(errors) => errors.0,
    }
}

fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

// ---------------------------------------------------------------- defaults

#[test]
fn empty_text_gives_the_documented_defaults() {
    let config = parse("");
    assert_eq!(config, Config::default());
    assert_eq!(
        config.optimizer,
        OptimizerConfig::Sgd { learning_rate: 0.5 }
    );
    assert_eq!(
        config.noise,
        NoiseConfig::Gaussian {
            hessian: MatrixSpec::Scalar(1.0),
            covariance: MatrixSpec::Scalar(1.0),
        }
    );
    assert_eq!(config.to_text(), "v=1");
    assert_eq!(parse("v=1"), config);
}

#[test]
fn option_defaults_depend_only_on_the_chosen_options() {
    assert_eq!(
        parse("opt=sgdm").optimizer,
        OptimizerConfig::Momentum {
            learning_rate: 0.5,
            momentum: 0.9
        }
    );
    assert_eq!(
        parse("opt=qhm").optimizer,
        OptimizerConfig::QuasiHyperbolic {
            learning_rate: 0.5,
            momentum: 0.9,
            nu: 0.7
        }
    );
    assert_eq!(
        parse("opt=precond").optimizer,
        OptimizerConfig::Preconditioned {
            preconditioner: MatrixSpec::Scalar(0.5),
            momentum: 0.9
        }
    );
    assert_eq!(
        parse("noise=batch").noise,
        NoiseConfig::Minibatch {
            data: DataConfig::Generated(GeneratedData {
                dataset_size: 1000,
                seed: 0,
                input_variances: vec![1.0],
                true_weights: None,
                label_variance: 1.0,
            }),
            batch_size: 100,
            with_replacement: true,
        }
    );
    assert_eq!(
        parse("opt=ngd&noise=fisher").noise,
        NoiseConfig::Fisher {
            hessian: MatrixSpec::Scalar(1.0),
            dataset_size: 1000,
            batch_size: 100,
        }
    );
}

#[test]
fn the_table_documents_every_default_the_parser_uses() {
    // Writing each documented default explicitly changes nothing: the canonical text omits it.
    let cases = [
        ("", "lr=0.5"),
        ("opt=qhm", "mu=0.9&nu=0.7"),
        ("opt=precond", "P=0.5"),
        ("", "noise=gauss&K=1&C=1"),
        (
            "noise=batch",
            "S=100&replace=1&N=1000&data_seed=0&x_var=1&label_var=1",
        ),
        ("opt=ngd&noise=fisher", "N=1000&S=100"),
    ];
    for (options, defaults) in cases {
        let explicit = parse(&format!("{options}&{defaults}"));
        assert_eq!(explicit, parse(options), "{defaults}");
        for pair in defaults.split('&') {
            let (key, value) = pair.split_once('=').expect("a pair");
            assert_eq!(key_spec(key).expect("a key").default, value, "{key}");
        }
    }
}

// ---------------------------------------------------------------- every key

#[test]
fn every_key_is_read_and_written() {
    // (text, canonical text): the first is parsed; the canonical text must come back.
    let cases = [
        ("v=1", "v=1"),
        ("opt=nesterov", "v=1&opt=nesterov"),
        ("opt=dnm&lr=1.25", "v=1&opt=dnm&lr=1.25"),
        ("opt=ngd&mu=0", "v=1&opt=ngd&mu=0"),
        ("opt=qhm&nu=1&mu=0.5", "v=1&opt=qhm&mu=0.5&nu=1"),
        ("opt=precond&P=1,2", "v=1&opt=precond&P=1,2"),
        (
            "noise=gauss&K=2,0.5;0.5,1&C=0.25",
            "v=1&K=2,0.5;0.5,1&C=0.25",
        ),
        (
            "noise=batch&S=7&replace=0&N=20&data_seed=9&x_var=1,0.5&w_star=2,-1&label_var=0",
            "v=1&noise=batch&S=7&replace=0&N=20&data_seed=9&x_var=1,0.5&w_star=2,-1&label_var=0",
        ),
        (
            "noise=batch&X=1,2;3,4.5;5,6&y=1,2,3",
            "v=1&noise=batch&X=1,2;3,4.5;5,6&y=1,2,3",
        ),
        (
            "opt=ngd&noise=fisher&N=50&S=5&K=3",
            "v=1&opt=ngd&noise=fisher&K=3&S=5&N=50",
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (text, canonical) in cases {
        let config = parse(text);
        assert_eq!(config.to_text(), canonical, "{text}");
        for pair in text.split('&') {
            seen.insert(pair.split_once('=').expect("a pair").0.to_string());
        }
    }
    for spec in KEYS {
        assert!(seen.contains(spec.key), "key {} is not exercised", spec.key);
    }
}

#[test]
fn values_land_in_the_right_fields() {
    let config = parse("opt=qhm&lr=0.3&mu=0.6&nu=0.2&K=2,1&C=0.1,0.2");
    assert_eq!(
        config.optimizer,
        OptimizerConfig::QuasiHyperbolic {
            learning_rate: 0.3,
            momentum: 0.6,
            nu: 0.2
        }
    );
    assert_eq!(
        config.noise,
        NoiseConfig::Gaussian {
            hessian: MatrixSpec::Diagonal(vec![2.0, 1.0]),
            covariance: MatrixSpec::Diagonal(vec![0.1, 0.2]),
        }
    );
    let config = parse("noise=batch&X=1,0;0,1;1,1&y=1,2,3.5&S=2&replace=0");
    assert_eq!(
        config.noise,
        NoiseConfig::Minibatch {
            data: DataConfig::Given {
                inputs: DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0]),
                targets: vec![1.0, 2.0, 3.5],
            },
            batch_size: 2,
            with_replacement: false,
        }
    );
}

#[test]
fn names_ignore_case_and_spaces_do_not_matter() {
    assert_eq!(parse(" opt = SGDM & lr = 1.5 "), parse("opt=sgdm&lr=1.5"));
    assert_eq!(parse("K = 2 , 0.5 ; 0.5 , 1"), parse("K=2,0.5;0.5,1"));
    assert_eq!(
        parse("replace=false&noise=batch"),
        parse("replace=0&noise=batch")
    );
}

// ---------------------------------------------------------------- model

#[test]
fn matrices_follow_their_three_forms() {
    let problem = parse("K=2,0.5;0.5,1&C=0.5")
        .to_problem()
        .expect("a valid model");
    let Noise::Gaussian { covariance } = problem.noise() else {
        panic!("gaussian noise expected");
    };
    assert_eq!(
        *covariance,
        DMatrix::from_row_slice(2, 2, &[0.5, 0.0, 0.0, 0.5])
    );
    assert_eq!(
        *problem.hessian(),
        DMatrix::from_row_slice(2, 2, &[2.0, 0.5, 0.5, 1.0])
    );

    let problem = parse("opt=precond&P=1,3&K=4,5&mu=0.2")
        .to_problem()
        .expect("a valid model");
    assert_eq!(
        *problem.optimizer(),
        Optimizer::Preconditioned {
            preconditioner: DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 3.0]),
            momentum: 0.2
        }
    );
    assert_eq!(
        *problem.hessian(),
        DMatrix::from_row_slice(2, 2, &[4.0, 0.0, 0.0, 5.0])
    );
}

#[test]
fn generated_data_is_the_models_generator_with_the_documented_defaults() {
    let problem = parse("noise=batch&opt=sgdm")
        .to_problem()
        .expect("a valid model");
    let direct = RegressionData::generate(1000, 0, &[1.0], &[1.0], 1.0).expect("valid data");
    let Noise::Minibatch(batch) = problem.noise() else {
        panic!("minibatch noise expected");
    };
    assert_eq!(batch.data, direct);
    assert_eq!(batch.batch_size, 100);
    assert!(batch.with_replacement);
}

#[test]
fn model_errors_name_configuration_keys() {
    let errors = parse("K=1,2;2,1")
        .to_problem()
        .expect_err("K is indefinite");
    assert_eq!(fields(&errors.0), ["K"]);
    let errors = parse("K=1,2&C=1,2,3")
        .to_problem()
        .expect_err("C has 3 entries");
    assert_eq!(fields(&errors.0), ["C"]);
    assert!(
        errors.0[0].allowed.contains("2 diagonal entries"),
        "{}",
        errors.0[0]
    );
    let errors = parse("opt=precond&K=1,2&P=1,2,3")
        .to_problem()
        .expect_err("P has 3 entries");
    assert_eq!(fields(&errors.0), ["P"]);
    let errors = parse("noise=fisher&N=10&S=20&opt=ngd")
        .to_problem()
        .expect_err("S > N");
    assert_eq!(fields(&errors.0), ["S"]);
    let errors = parse("noise=fisher")
        .to_problem()
        .expect_err("fisher needs ngd");
    assert_eq!(fields(&errors.0), ["noise"]);
    let errors = parse("noise=batch&x_var=1,1&w_star=1")
        .to_problem()
        .expect_err("w_star too short");
    assert_eq!(fields(&errors.0), ["w_star"]);
    let errors = parse("noise=batch&X=1,2;2,4&y=1,2")
        .to_problem()
        .expect_err("XᵀX singular");
    assert_eq!(fields(&errors.0), ["X"]);
    let errors = parse("noise=batch&X=1;2&y=1,2,3")
        .to_problem()
        .expect_err("y too long");
    assert_eq!(fields(&errors.0), ["y"]);
}

// ---------------------------------------------------------------- errors

#[test]
fn an_invalid_value_names_key_value_and_allowed_range() {
    let errors = parse_errors("lr=-1");
    assert_eq!(errors, [FieldError::new("lr", "-1", "a finite number > 0")]);
    assert_eq!(
        errors[0].to_string(),
        "lr: invalid value '-1'; allowed: a finite number > 0"
    );
    let cases = [
        ("lr=0", "lr"),
        ("lr=inf", "lr"),
        ("lr=NaN", "lr"),
        ("lr=abc", "lr"),
        ("lr=", "lr"),
        ("opt=sgdm&mu=1", "mu"),
        ("opt=sgdm&mu=-0.1", "mu"),
        ("opt=qhm&nu=1.5", "nu"),
        ("opt=adam", "opt"),
        ("noise=uniform", "noise"),
        ("K=1,2;3", "K"),
        ("K=1,2,3;4,5,6", "K"),
        ("K=1,,2", "K"),
        ("K=1;", "K"),
        ("C=x", "C"),
        ("noise=batch&S=0", "S"),
        ("noise=batch&S=1.5", "S"),
        ("noise=batch&S=1000001", "S"),
        ("noise=batch&N=0", "N"),
        ("noise=batch&replace=2", "replace"),
        ("noise=batch&data_seed=-1", "data_seed"),
        ("noise=batch&data_seed=18446744073709551616", "data_seed"),
        ("noise=batch&x_var=1,0", "x_var"),
        ("noise=batch&w_star=1,inf", "w_star"),
        ("noise=batch&label_var=-1", "label_var"),
        ("noise=batch&X=1,2;3&y=1,2", "X"),
        ("noise=batch&X=1;2&y=1,a", "y"),
        ("v=0", "v"),
        ("v=one", "v"),
    ];
    for (text, key) in cases {
        let errors = parse_errors(text);
        assert_eq!(fields(&errors), [key], "{text}");
        let value = text.rsplit_once(&format!("{key}=")).map_or("", |(_, v)| v);
        let value = value.split('&').next().unwrap_or("");
        assert_eq!(errors[0].value, value, "{text}");
        let allowed = &key_spec(key).expect("a key").allowed;
        assert!(
            errors[0].allowed.starts_with(allowed),
            "{text}: {}",
            errors[0]
        );
    }
}

#[test]
fn matrix_errors_say_what_is_wrong() {
    let detail = |text: &str| parse_errors(text)[0].allowed.clone();
    assert!(detail("K=1,2;3").ends_with("(row 2 has 1 entry, row 1 has 2 entries)"));
    assert!(detail("K=1,2,3;4,5,6").ends_with("(2 rows of 3 entries: not square)"));
    assert!(detail("K=1,x").ends_with("('x' in row 1 is not a finite number)"));
    assert!(detail("K=").ends_with("(the value is empty)"));
}

#[test]
fn every_problem_is_listed_in_text_order() {
    let errors = parse_errors("lr=-1&colour=red&opt=sgd&opt=sgdm&K=0,1;1&nu=0.5&bare");
    assert_eq!(fields(&errors), ["lr", "colour", "opt", "K", "bare", "nu"]);
    // The repeated key: its value and the first one.
    assert_eq!(errors[2].value, "sgdm");
    assert!(
        errors[2].allowed.contains("already given as 'sgd'"),
        "{}",
        errors[2]
    );
    // A pair without '='.
    assert_eq!(
        errors[4].allowed,
        "key=value pairs separated by & or new lines"
    );
    // A key the options do not use: says with which options, and when it is used.
    assert_eq!(errors[5].value, "0.5");
    assert_eq!(
        errors[5].allowed,
        "no nu with opt=sgd and noise=gauss (nu is used when opt=qhm)"
    );
}

#[test]
fn keys_not_used_by_the_options_are_errors() {
    let cases = [
        ("nu=0.5", "nu"),
        ("mu=0.5", "mu"),
        ("opt=precond&lr=1", "lr"),
        ("P=1", "P"),
        ("S=10", "S"),
        ("X=1&y=1", "X"),
        ("noise=batch&K=1", "K"),
        ("noise=batch&C=1", "C"),
        ("noise=batch&X=1;2&y=1,2&N=2", "N"),
        ("noise=batch&X=1;2&y=1,2&x_var=2", "x_var"),
        ("opt=ngd&noise=fisher&replace=0", "replace"),
        ("opt=ngd&noise=fisher&C=1", "C"),
    ];
    for (text, key) in cases {
        let errors = parse_errors(text);
        assert!(fields(&errors).contains(&key), "{text}: {errors:?}");
        let error = errors.iter().find(|e| e.field == key).expect("listed");
        assert!(
            error.allowed.starts_with(&format!("no {key} with opt=")),
            "{error}"
        );
    }
    // With X given, the generated-data keys are not used, and the message says why.
    let errors = parse_errors("noise=batch&X=1;2&y=1,2&N=2");
    assert!(errors[0].allowed.contains("with X given"), "{}", errors[0]);
}

#[test]
fn an_unreadable_option_does_not_cause_guesses_about_other_keys() {
    // opt=adam is invalid; whether mu is used is unknown, so mu is not reported.
    assert_eq!(fields(&parse_errors("opt=adam&mu=0.5")), ["opt"]);
    assert_eq!(fields(&parse_errors("noise=batch&X=1;x&y=1,2")), ["X"]);
}

#[test]
fn data_must_come_with_its_targets() {
    assert_eq!(fields(&parse_errors("noise=batch&X=1;2")), ["X"]);
    assert_eq!(fields(&parse_errors("noise=batch&y=1,2")), ["y"]);
}

#[test]
fn unknown_keys_list_the_keys_and_suggest_one() {
    let errors = parse_errors("k=2&lambda=0.1");
    assert_eq!(fields(&errors), ["k", "lambda"]);
    assert_eq!(errors[0].value, "k=2");
    assert!(
        errors[0].allowed.contains("(did you mean K?)"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].allowed.contains("(did you mean lr?)"),
        "{}",
        errors[1]
    );
    for spec in KEYS {
        assert!(
            errors[0].allowed.contains(spec.key),
            "{} not listed",
            spec.key
        );
    }
}

#[test]
fn sizes_are_limited_with_messages_naming_the_limit() {
    let long = "a".repeat(MAX_TEXT_BYTES + 1);
    let errors = parse_errors(&long);
    assert_eq!(fields(&errors), ["config"]);
    assert!(errors[0].allowed.contains(&MAX_TEXT_BYTES.to_string()));

    let diagonal = vec!["1"; MAX_DIMENSION + 1].join(",");
    let errors = parse_errors(&format!("K={diagonal}"));
    assert!(
        errors[0]
            .allowed
            .contains(&format!("more than {MAX_DIMENSION} entries")),
        "{}",
        errors[0]
    );
    // The value in the message is shortened, not the whole 1 kB.
    assert!(errors[0].value.len() < 120, "{}", errors[0].value);

    let variances = vec!["1"; 33].join(",");
    let errors = parse_errors(&format!("noise=batch&x_var={variances}"));
    assert!(
        errors[0].allowed.contains("more than 32 numbers"),
        "{}",
        errors[0]
    );

    let errors = parse_errors(&format!("noise=batch&N={}", MAX_DATASET_SIZE + 1));
    assert!(
        errors[0].allowed.contains(&MAX_DATASET_SIZE.to_string()),
        "{}",
        errors[0]
    );
}

// ---------------------------------------------------------------- text forms

#[test]
fn files_have_lines_and_comments() {
    let file = "# a comment line\n\nopt=sgdm\r\n  # indented comment & lr=9\nlr=1.5&mu=0.5\n\n";
    assert_eq!(parse(file), parse("opt=sgdm&lr=1.5&mu=0.5"));
}

#[test]
fn a_pasted_url_query_is_percent_decoded() {
    let expected = parse("opt=sgdm&K=2,0.5;0.5,1&lr=1000");
    assert_eq!(parse("?opt=sgdm&K=2%2C0.5%3B0.5%2C1&lr=1e%2B3"), expected);
    assert_eq!(parse("?opt=sgdm&K=2%2C+0.5%3B+0.5%2C+1&lr=1e+3"), expected);
    assert_eq!(
        parse("https://example.org/sgd/?opt=sgdm&K=2,0.5;0.5,1&lr=1e3"),
        expected
    );
    assert_eq!(parse("%6Fpt=sgdm&K=2,0.5;0.5,1&lr=1000"), expected);
    let errors = parse_errors("lr=%FF");
    assert_eq!(errors[0].allowed, "percent-encoded UTF-8 text");
}

#[test]
fn a_newer_version_is_an_error_when_strict_and_a_warning_when_lenient() {
    let errors = parse_errors("v=2&lr=1.5&future_key=3");
    assert_eq!(fields(&errors), ["v"]);
    assert!(errors[0].allowed.contains("newer version"), "{}", errors[0]);

    let (config, problems) = Config::parse_lenient("v=2&lr=1.5&future_key=3");
    assert_eq!(config, parse("lr=1.5"));
    assert_eq!(fields(&problems), ["v", "future_key"]);
    assert!(
        problems[0].allowed.contains("newer version"),
        "{}",
        problems[0]
    );
}

// ---------------------------------------------------------------- lenient

#[test]
fn lenient_parsing_keeps_every_valid_key() {
    let (config, problems) = Config::parse_lenient("opt=sgdm&lr=-1&mu=0.5&colour=red&K=2,1&C=0.5");
    assert_eq!(config, parse("opt=sgdm&mu=0.5&K=2,1&C=0.5"));
    assert_eq!(fields(&problems), ["lr", "colour"]);
    // Strict parsing reports the same problems.
    assert_eq!(
        Config::parse("opt=sgdm&lr=-1&mu=0.5&colour=red&K=2,1&C=0.5")
            .err()
            .map(|e| e.0),
        Some(problems)
    );
}

#[test]
fn lenient_parsing_agrees_with_strict_parsing_on_valid_text() {
    for text in [
        "",
        "opt=qhm&nu=0.1&K=3,1",
        "noise=batch&x_var=1,0.2&S=3",
        "opt=ngd&noise=fisher&S=3",
    ] {
        assert_eq!(Config::parse_lenient(text), (parse(text), vec![]), "{text}");
    }
}

#[test]
fn lenient_parsing_keeps_the_first_of_repeated_keys() {
    let (config, problems) = Config::parse_lenient("lr=0.25&lr=0.75");
    assert_eq!(config, parse("lr=0.25"));
    assert_eq!(problems.len(), 1);
    assert_eq!(
        (problems[0].field.as_str(), problems[0].value.as_str()),
        ("lr", "0.75")
    );
}

#[test]
fn lenient_parsing_resets_keys_the_model_rejects() {
    // K indefinite: K falls back to 1 and C (a multiple of I) still fits.
    let (config, problems) = Config::parse_lenient("K=1,2;2,1&C=0.5&lr=1.5");
    assert_eq!(config, parse("C=0.5&lr=1.5"));
    assert_eq!(fields(&problems), ["K"]);
    config.to_problem().expect("a valid model");

    // C of the wrong size.
    let (config, problems) = Config::parse_lenient("K=2,1&C=1,2,3");
    assert_eq!(config, parse("K=2,1"));
    assert_eq!(fields(&problems), ["C"]);

    // Fisher noise needs opt=ngd: noise is reset, then N and S are unused.
    let (config, problems) = Config::parse_lenient("noise=fisher&N=50&S=10&lr=0.1");
    assert_eq!(config, parse("lr=0.1"));
    assert_eq!(fields(&problems), ["noise", "N", "S"]);

    // X without y: X is dropped, the data is generated.
    let (config, problems) = Config::parse_lenient("noise=batch&X=1;2");
    assert_eq!(config, parse("noise=batch"));
    assert_eq!(fields(&problems), ["X"]);
}

#[test]
fn lenient_parsing_reports_what_it_cannot_fix() {
    // The default S = 100 exceeds N = 50 without replacement; only S's default is at fault.
    let (config, problems) = Config::parse_lenient("noise=batch&replace=0&N=50");
    assert_eq!(fields(&problems), ["S"]);
    assert_eq!(config, batch_without_replacement(50));
    assert!(config.to_problem().is_err());
}

fn batch_without_replacement(dataset_size: usize) -> Config {
    Config {
        optimizer: OptimizerConfig::Sgd { learning_rate: 0.5 },
        noise: NoiseConfig::Minibatch {
            data: DataConfig::Generated(GeneratedData {
                dataset_size,
                seed: 0,
                input_variances: vec![1.0],
                true_weights: None,
                label_variance: 1.0,
            }),
            batch_size: 100,
            with_replacement: false,
        },
    }
}

#[test]
fn lenient_parsing_of_oversized_text_gives_the_defaults() {
    let (config, problems) = Config::parse_lenient(&"lr=1&".repeat(MAX_TEXT_BYTES / 4));
    assert_eq!(config, Config::default());
    assert_eq!(fields(&problems), ["config"]);
}

// ---------------------------------------------------------------- properties

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |x| x.is_finite()),
        -10.0..10.0f64,
        (-5i32..5).prop_map(f64::from),
    ]
}

fn positive() -> impl Strategy<Value = f64> {
    finite()
        .prop_map(f64::abs)
        .prop_filter("positive", |x| *x > 0.0)
}

fn unit_half_open() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), 0.0..1.0f64, Just(1.0 - f64::EPSILON / 2.0)]
}

fn unit_closed() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64]
}

fn matrix_spec() -> impl Strategy<Value = MatrixSpec> {
    prop_oneof![
        finite().prop_map(MatrixSpec::Scalar),
        vec(finite(), 2..6).prop_map(MatrixSpec::Diagonal),
        (2usize..5).prop_flat_map(|d| {
            vec(finite(), d * d)
                .prop_map(move |entries| MatrixSpec::Full(DMatrix::from_row_slice(d, d, &entries)))
        }),
    ]
}

fn optimizer() -> impl Strategy<Value = OptimizerConfig> {
    prop_oneof![
        positive().prop_map(|learning_rate| OptimizerConfig::Sgd { learning_rate }),
        (positive(), unit_half_open()).prop_map(|(learning_rate, momentum)| {
            OptimizerConfig::Momentum {
                learning_rate,
                momentum,
            }
        }),
        (positive(), unit_half_open(), unit_closed()).prop_map(|(learning_rate, momentum, nu)| {
            OptimizerConfig::QuasiHyperbolic {
                learning_rate,
                momentum,
                nu,
            }
        }),
        (positive(), unit_half_open()).prop_map(|(learning_rate, momentum)| {
            OptimizerConfig::Nesterov {
                learning_rate,
                momentum,
            }
        }),
        (matrix_spec(), unit_half_open()).prop_map(|(preconditioner, momentum)| {
            OptimizerConfig::Preconditioned {
                preconditioner,
                momentum,
            }
        }),
        (positive(), unit_half_open()).prop_map(|(learning_rate, momentum)| {
            OptimizerConfig::DampedNewton {
                learning_rate,
                momentum,
            }
        }),
        (positive(), unit_half_open()).prop_map(|(learning_rate, momentum)| {
            OptimizerConfig::NaturalGradient {
                learning_rate,
                momentum,
            }
        }),
    ]
}

fn data() -> impl Strategy<Value = DataConfig> {
    let given = (1usize..5, 1usize..4).prop_flat_map(|(n, d)| {
        (vec(finite(), n * d), vec(finite(), n)).prop_map(move |(inputs, targets)| {
            DataConfig::Given {
                inputs: DMatrix::from_row_slice(n, d, &inputs),
                targets,
            }
        })
    });
    let generated = (
        1..=MAX_DATASET_SIZE,
        any::<u64>(),
        vec(positive(), 1..=32),
        option::of(vec(finite(), 1..=32)),
        prop_oneof![positive(), Just(0.0)],
    )
        .prop_map(
            |(dataset_size, seed, input_variances, true_weights, label_variance)| {
                DataConfig::Generated(GeneratedData {
                    dataset_size,
                    seed,
                    input_variances,
                    true_weights,
                    label_variance,
                })
            },
        );
    prop_oneof![given, generated]
}

fn noise() -> impl Strategy<Value = NoiseConfig> {
    prop_oneof![
        (matrix_spec(), matrix_spec()).prop_map(|(hessian, covariance)| NoiseConfig::Gaussian {
            hessian,
            covariance
        }),
        (data(), 1..=MAX_DATASET_SIZE, any::<bool>()).prop_map(
            |(data, batch_size, with_replacement)| {
                NoiseConfig::Minibatch {
                    data,
                    batch_size,
                    with_replacement,
                }
            }
        ),
        (matrix_spec(), 1..=MAX_DATASET_SIZE, 1..=MAX_DATASET_SIZE).prop_map(
            |(hessian, dataset_size, batch_size)| {
                NoiseConfig::Fisher {
                    hessian,
                    dataset_size,
                    batch_size,
                }
            }
        ),
    ]
}

fn config() -> impl Strategy<Value = Config> {
    (optimizer(), noise()).prop_map(|(optimizer, noise)| Config { optimizer, noise })
}

/// Text built from real keys and plausible or hostile values: reaches deeper than random bytes.
fn key_value_text() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        proptest::sample::select(KEYS.iter().map(|spec| spec.key).collect::<Vec<_>>())
            .prop_map(String::from),
        "[a-zA-Z_%?#]{0,4}",
    ];
    let value = prop_oneof![
        "[-+0-9.,;eE%]{0,16}",
        "(sgd|sgdm|qhm|nesterov|precond|dnm|ngd|gauss|batch|fisher|inf|NaN|0|1|2)",
        "[0-9]{1,3}(,[0-9]{1,3}){0,3}(;[0-9]{1,3}(,[0-9]{1,3}){0,3}){0,3}",
        ".{0,12}",
    ];
    vec((key, value, "[&\n]"), 0..12).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(key, value, separator)| format!("{key}={value}{separator}"))
            .collect()
    })
}

proptest! {
    #[test]
    fn canonical_text_round_trips(config in config()) {
        let text = config.to_text();
        let parsed = Config::parse(&text);
        prop_assert_eq!(parsed.as_ref(), Ok(&config), "text: {}", text);
        // The canonical text is a fixed point, bit for bit (−0 included).
        if let Ok(parsed) = parsed {
            prop_assert_eq!(parsed.to_text(), text);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let strict = Config::parse(&text);
        let (_, problems) = Config::parse_lenient(&text);
        // Whatever strict parsing rejects, lenient parsing reports.
        if strict.is_err() {
            prop_assert!(!problems.is_empty());
        }
    }

    #[test]
    fn key_value_text_never_panics(text in key_value_text()) {
        let strict = Config::parse(&text);
        let (lenient, problems) = Config::parse_lenient(&text);
        match strict {
            // Valid text whose model builds: lenient parsing agrees and reports nothing.
            Ok(config) if config.to_problem().is_ok() => {
                prop_assert_eq!(lenient, config);
                prop_assert!(problems.is_empty(), "{:?}", problems);
            }
            _ => prop_assert!(!problems.is_empty()),
        }
    }
}
