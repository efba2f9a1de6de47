//! The configuration language: defaults (per landscape), every key, errors, lenient parsing,
//! percent-decoding, versions, simulation sizes, round trips and robustness against arbitrary
//! text; the figure keys (`fig` and the keys each figure reads).

use nalgebra::DMatrix;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use sgd_playground::schedule::Schedule;

use nalgebra::DVector;
use sgd_playground::config::{
    figure_default, key_spec, keys_markdown_table, Config, DataConfig, DecayFigureConfig,
    DoubleWellConfig, EnsembleConfig, Eq52Form, EscapeRateFigureConfig, FigureConfig,
    GeneratedData, LandscapeConfig, LearningRateSweepFigureConfig, LossConvention, MatrixSpec,
    MinibatchMomentumSweepFigureConfig, MinibatchScatterFigureConfig, MinibatchSweepFigureConfig,
    MomentumSweepFigureConfig, NoiseConfig, OptimizerConfig, QuadraticConfig,
    RegressionFigureConfig, SimulationConfig, SimulationLimits, SweepSimulation,
    WhiteNoiseScatterFigureConfig, FIGURE_IDS, KEYS, MAX_FIGURE_PANELS, MAX_FIGURE_POINTS,
    MAX_TEXT_BYTES,
};
use sgd_playground::error::FieldError;
use sgd_playground::model::{Noise, Optimizer, RegressionData, MAX_DATASET_SIZE, MAX_DIMENSION};
use sgd_playground::sim::{NaturalGradientFisher, Start, MAX_PARTICLES, MAX_PARTICLE_STEPS};

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

fn quadratic(config: &Config) -> &QuadraticConfig {
    config.quadratic().expect("the quadratic landscape")
}

fn optimizer_of(text: &str) -> OptimizerConfig {
    quadratic(&parse(text)).optimizer.clone()
}

fn noise_of(text: &str) -> NoiseConfig {
    quadratic(&parse(text)).noise.clone()
}

fn double_well(text: &str) -> DoubleWellConfig {
    match parse(text).landscape {
        LandscapeConfig::DoubleWell(well) => well,
        LandscapeConfig::Quadratic(_) => panic!("'{text}' should be the double well"),
    }
}

// ---------------------------------------------------------------- defaults

#[test]
fn empty_text_gives_the_documented_defaults() {
    let config = parse("");
    assert_eq!(config, Config::default());
    assert_eq!(
        quadratic(&config).optimizer,
        OptimizerConfig::Sgd { learning_rate: 0.5 }
    );
    assert_eq!(
        quadratic(&config).noise,
        NoiseConfig::Gaussian {
            hessian: MatrixSpec::Scalar(1.0),
            covariance: MatrixSpec::Scalar(1.0),
            hessian_noise: 0.0,
        }
    );
    assert_eq!(
        quadratic(&config).ensemble,
        EnsembleConfig {
            start: Start::Zero,
            burn_in: None,
            divergence_bound: 1e8,
            natural_gradient_fisher: NaturalGradientFisher::Exact,
        }
    );
    assert_eq!(
        config.simulation,
        SimulationConfig {
            particles: 1000,
            steps: 1000,
            seed: 0,
        }
    );
    assert_eq!(config.to_text(), "v=1");
    assert_eq!(parse("v=1"), config);
    assert_eq!(config.figure, None);
}

#[test]
fn option_defaults_depend_only_on_the_chosen_options() {
    assert_eq!(
        optimizer_of("opt=sgdm"),
        OptimizerConfig::Momentum {
            learning_rate: 0.5,
            momentum: 0.9
        }
    );
    assert_eq!(
        optimizer_of("opt=qhm"),
        OptimizerConfig::QuasiHyperbolic {
            learning_rate: 0.5,
            momentum: 0.9,
            nu: 0.7
        }
    );
    assert_eq!(
        optimizer_of("opt=precond"),
        OptimizerConfig::Preconditioned {
            preconditioner: MatrixSpec::Scalar(0.5),
            momentum: 0.9
        }
    );
    assert_eq!(
        noise_of("noise=batch"),
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
        noise_of("opt=ngd&noise=fisher"),
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
        ("opt=ngd", "fisher=exact"),
        (
            "",
            "landscape=quadratic&particles=1000&seed=0&start=zero&bound=1e8",
        ),
        ("landscape=doublewell", "opt=sgd&r=1&k_a=1&k_b=0.5&dL=1"),
        ("steps=1000", "schedule=constant&warmup=0&curve_points=200"),
        ("schedule=step&steps=90", "gamma=0.1"),
        ("schedule=cosine&steps=90", "lr_min=0"),
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
        (
            "fisher=ensemble&opt=ngd&start=stationary&burnin=10&bound=1e3&seed=7&particles=20&steps=30",
            "v=1&opt=ngd&particles=20&steps=30&burnin=10&seed=7&start=stationary&bound=1000&fisher=ensemble",
        ),
        ("start=1,-2.5&K=1,2", "v=1&K=1,2&start=1,-2.5"),
        (
            "landscape=doublewell&r=1.2&k_a=2&k_b=0.25&dL=0.5&lr=0.5&S=3",
            "v=1&landscape=doublewell&lr=0.5&S=3&r=1.2&k_a=2&k_b=0.25&dL=0.5",
        ),
        (
            "fig=1b&start=2&steps=30&lrs=1.1,1.9",
            "v=1&fig=1b&lrs=1.1,1.9&steps=30&start=2",
        ),
        (
            "points=5&fig=5c&lr_k=2&mu_max=0.9&mu_min=0.1&loss=half",
            "v=1&fig=5c&lr_k=2&mu_min=0.1&mu_max=0.9&loss=half&points=5",
        ),
        (
            "fig=6b&eq52_const=3&eq52=corrected&r_max=1.2&r_min=0.2",
            "v=1&fig=6b&r_min=0.2&r_max=1.2&eq52=corrected&eq52_const=3",
        ),
        (
            "res=50&fig=phase&lrk_max=6&opt=qhm&nu=0.4",
            "v=1&fig=phase&opt=qhm&lrk_max=6&res=50&nu=0.4",
        ),
        (
            "sim=sgd&methods=ngd,sgd&fig=explorer&a=0.2&angle=10",
            "v=1&fig=explorer&angle=10&a=0.2&methods=sgd,ngd&sim=sgd",
        ),
        (
            "dampening=0.1&wd=5e-4&opt=sgdm&wd_mode=decoupled",
            "v=1&opt=sgdm&wd=0.0005&wd_mode=decoupled&dampening=0.1",
        ),
        (
            "nesterov_form=lookahead&opt=nesterov",
            "v=1&opt=nesterov&nesterov_form=lookahead",
        ),
        (
            "fig=explorer&momentum_form=ema&wd=0.1",
            "v=1&fig=explorer&wd=0.1&momentum_form=ema",
        ),
        // `steps` given asks solve for a loss curve: written even at its default.
        ("steps=1000", "v=1&steps=1000"),
        (
            "warmup=10&milestones=50,80&schedule=step&gamma=0.5&opt=sgdm&curve_points=20",
            "v=1&opt=sgdm&steps=1000&schedule=step&milestones=50,80&gamma=0.5&warmup=10&curve_points=20",
        ),
        ("schedule=exp&gamma=0.99", "v=1&steps=1000&schedule=exp&gamma=0.99"),
        (
            "fig=schedule&schedules=cosine,warmup-step&K=mp:50,0.3,1&points=3",
            "v=1&fig=schedule&K=mp:50,0.3,1&points=3&schedules=cosine,warmup-step",
        ),
        ("schedule=cosine&lr_min=0.01", "v=1&steps=1000&schedule=cosine&lr_min=0.01"),
        (
            "schedule=inverse&decay=0.5&steps=100",
            "v=1&steps=100&schedule=inverse&decay=0.5",
        ),
        (
            "opt=adam&beta1=0.8&beta2=0.99&eps=1e-6&eps_mode=inside&wd=0.1&bias_correction=0",
            "v=1&opt=adam&beta1=0.8&beta2=0.99&eps=1e-6&eps_mode=inside&bias_correction=0&wd=0.1",
        ),
        // RMSprop's defaults are PyTorch's: μ = 0, β₂ = 0.99, no bias correction.
        ("opt=rmsprop&mu=0&beta2=0.99&bias_correction=0", "v=1&opt=rmsprop"),
        (
            "opt=rmsprop&centered=1&mu=0.9&beta2=0.999",
            "v=1&opt=rmsprop&mu=0.9&beta2=0.999&centered=1",
        ),
        (
            "fig=adam&beta2s=0.99,0.9999&opt=adamw",
            "v=1&fig=adam&opt=adamw&beta2s=0.99,0.9999",
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
        quadratic(&config).optimizer,
        OptimizerConfig::QuasiHyperbolic {
            learning_rate: 0.3,
            momentum: 0.6,
            nu: 0.2
        }
    );
    assert_eq!(
        quadratic(&config).noise,
        NoiseConfig::Gaussian {
            hessian: MatrixSpec::Diagonal(vec![2.0, 1.0]),
            covariance: MatrixSpec::Diagonal(vec![0.1, 0.2]),
            hessian_noise: 0.0,
        }
    );
    let config = parse("noise=batch&X=1,0;0,1;1,1&y=1,2,3.5&S=2&replace=0");
    assert_eq!(
        quadratic(&config).noise,
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
        ("opt=lamb", "opt"),
        ("opt=adam&beta1=1", "beta1"),
        ("opt=adam&beta2=1", "beta2"),
        ("opt=rmsprop&beta2=-0.1", "beta2"),
        ("opt=adamw&eps=0", "eps"),
        ("opt=adam&eps_mode=under", "eps_mode"),
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
        "no nu with opt=sgd and noise=gauss (nu is used when opt=qhm; fig=phase with opt=qhm, explorer; fig=schedule)"
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
    // opt=lamb is invalid; whether mu is used is unknown, so mu is not reported.
    assert_eq!(fields(&parse_errors("opt=lamb&mu=0.5")), ["opt"]);
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
    config.validate().expect("a valid model");

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
        landscape: LandscapeConfig::Quadratic(QuadraticConfig {
            optimizer: OptimizerConfig::Sgd { learning_rate: 0.5 },
            conventions: sgd_playground::model::Conventions::PAPER,
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
            ensemble: Config::default()
                .quadratic()
                .expect("quadratic by default")
                .ensemble
                .clone(),
            schedule: Schedule::CONSTANT,
            curve_points: None,
        }),
        simulation: Config::default().simulation,
        figure: None,
    }
}

#[test]
fn lenient_parsing_of_oversized_text_gives_the_defaults() {
    let (config, problems) = Config::parse_lenient(&"lr=1&".repeat(MAX_TEXT_BYTES / 4));
    assert_eq!(config, Config::default());
    assert_eq!(fields(&problems), ["config"]);
}

// ---------------------------------------------------------------- simulation keys

#[test]
fn simulation_keys_land_in_their_fields() {
    let config = parse(
        "particles=20&steps=300&seed=18446744073709551615&start=1,2&burnin=299&bound=5&K=1,1",
    );
    assert_eq!(
        config.simulation,
        SimulationConfig {
            particles: 20,
            steps: 300,
            seed: u64::MAX,
        }
    );
    assert_eq!(
        quadratic(&config).ensemble,
        EnsembleConfig {
            start: Start::Point(DVector::from_vec(vec![1.0, 2.0])),
            burn_in: Some(299),
            divergence_bound: 5.0,
            natural_gradient_fisher: NaturalGradientFisher::Exact,
        }
    );
    assert_eq!(
        quadratic(&parse("start=Stationary")).ensemble.start,
        Start::Stationary
    );
    assert_eq!(
        optimizer_of("opt=ngd&fisher=ensemble"),
        OptimizerConfig::NaturalGradient {
            learning_rate: 0.5,
            momentum: 0.9,
        }
    );
    // The Fisher's source is the simulation's setting, read with opt=ngd only.
    assert_eq!(
        quadratic(&parse("opt=ngd&fisher=ensemble"))
            .ensemble
            .natural_gradient_fisher,
        NaturalGradientFisher::Ensemble
    );
    assert!(Config::parse("opt=sgd&fisher=ensemble").is_err());
}

#[test]
fn the_ensemble_specification_follows_the_configuration() {
    let config =
        parse("opt=ngd&fisher=ensemble&particles=7&seed=3&start=0.5,1&burnin=2&bound=9&K=1,2");
    let problem = config.to_problem().expect("a valid model");
    let spec = config.ensemble_spec(&problem).expect("a valid ensemble");
    assert_eq!(spec.particles, 7);
    assert_eq!(spec.seed, 3);
    assert_eq!(spec.start, Start::Point(DVector::from_vec(vec![0.5, 1.0])));
    assert_eq!(spec.burn_in, Some(2));
    assert_eq!(spec.divergence_bound, 9.0);
    assert_eq!(
        spec.natural_gradient_fisher,
        NaturalGradientFisher::Ensemble
    );

    // A start point of the wrong size names start and D.
    let config = parse("start=1,2,3&K=1,2");
    let problem = config.to_problem().expect("a valid model");
    let errors = config
        .ensemble_spec(&problem)
        .expect_err("3 numbers for D = 2");
    assert_eq!(fields(&errors.0), ["start"]);
    assert_eq!(errors.0[0].value, "1,2,3");
    assert!(
        errors.0[0].allowed.contains("2 finite numbers"),
        "{}",
        errors.0[0]
    );
    assert_eq!(fields(&config.validate().expect_err("start").0), ["start"]);
}

#[test]
fn simulation_keys_are_checked() {
    let cases = [
        ("particles=0", "particles"),
        (&format!("particles={}", MAX_PARTICLES + 1), "particles"),
        ("particles=1.5", "particles"),
        ("steps=0", "steps"),
        (&format!("steps={}", MAX_PARTICLE_STEPS + 1), "steps"),
        ("steps=1e3", "steps"),
        ("seed=-1", "seed"),
        ("burnin=-1", "burnin"),
        ("start=origin", "start"),
        ("start=1,x", "start"),
        ("bound=0", "bound"),
        ("bound=inf", "bound"),
        ("opt=ngd&fisher=approximate", "fisher"),
        ("landscape=valley", "landscape"),
        ("landscape=doublewell&r=0", "r"),
        ("landscape=doublewell&k_a=-1", "k_a"),
        ("landscape=doublewell&k_b=0", "k_b"),
        ("landscape=doublewell&dL=nan", "dL"),
        ("landscape=doublewell&S=0", "S"),
    ];
    for (text, key) in cases {
        let errors = parse_errors(text);
        assert_eq!(fields(&errors), [key], "{text}");
        let allowed = &key_spec(key).expect("a key").allowed;
        assert!(
            errors[0].allowed.starts_with(allowed),
            "{text}: {}",
            errors[0]
        );
    }
}

#[test]
fn burn_in_must_leave_steps_to_average() {
    parse("burnin=999");
    parse("steps=10&burnin=0");
    let errors = parse_errors("steps=10&burnin=10");
    assert_eq!(fields(&errors), ["burnin"]);
    assert_eq!(errors[0].value, "10");
    assert!(errors[0].allowed.contains("steps = 10"), "{}", errors[0]);
    // An unreadable steps: no guess about burnin.
    assert_eq!(fields(&parse_errors("steps=x&burnin=5000")), ["steps"]);
    // Leniently, burnin is dropped and steps kept.
    let (config, problems) = Config::parse_lenient("steps=10&burnin=10");
    assert_eq!(config, parse("steps=10"));
    assert_eq!(fields(&problems), ["burnin"]);
}

#[test]
fn the_double_well_has_its_own_defaults() {
    let well = double_well("landscape=doublewell");
    assert_eq!(
        well,
        DoubleWellConfig {
            learning_rate: 1.0,
            loss_scale: 1.0,
            batch_size: 2,
            well_curvature: 1.0,
            barrier_curvature: 0.5,
            barrier_height: 1.0,
        }
    );
    assert_eq!(
        parse("landscape=doublewell").to_text(),
        "v=1&landscape=doublewell"
    );
    // The defaults of lr and S follow the landscape, in reading and in writing.
    assert_eq!(
        parse("landscape=doublewell&lr=1&S=2").to_text(),
        "v=1&landscape=doublewell"
    );
    assert_eq!(
        parse("landscape=doublewell&lr=0.5&S=100").to_text(),
        "v=1&landscape=doublewell&lr=0.5&S=100"
    );
    assert_eq!(parse("lr=1").to_text(), "v=1&lr=1");
    assert_eq!(parse("lr=0.5").to_text(), "v=1");
    assert_eq!(parse("noise=batch&S=2").to_text(), "v=1&noise=batch&S=2");
    for spec in KEYS {
        if let Some(default) = spec.double_well_default {
            assert!(
                spec.default_meaning.contains(default),
                "{}: {}",
                spec.key,
                spec.default_meaning
            );
        }
    }
    let dynamics = parse("landscape=doublewell&r=1.2")
        .to_escape_dynamics()
        .expect("a stable well");
    assert_eq!(dynamics.learning_rate, 1.0);
    assert_eq!(dynamics.loss_scale, 1.2);
    assert_eq!(dynamics.batch_size, 2.0);
    assert_eq!(dynamics.well.barrier_curvature, 0.5);
}

#[test]
fn the_double_well_uses_only_its_keys() {
    // Quadratic-only keys are not used with the double well.
    for key_value in [
        "K=2",
        "C=1",
        "noise=gauss",
        "mu=0.5",
        "start=zero",
        "burnin=5",
        "bound=10",
        "N=10",
    ] {
        let text = format!("landscape=doublewell&{key_value}");
        let errors = parse_errors(&text);
        let key = key_value.split('=').next().unwrap_or("");
        assert_eq!(fields(&errors), [key], "{text}");
        assert!(
            errors[0]
                .allowed
                .starts_with(&format!("no {key} with landscape=doublewell (")),
            "{}",
            errors[0]
        );
    }
    // The double well's keys are not used by the quadratic landscape.
    for key in ["r", "k_a", "k_b", "dL"] {
        let errors = parse_errors(&format!("{key}=1"));
        assert_eq!(fields(&errors), [key]);
        assert!(
            errors[0]
                .allowed
                .contains(&format!("({key} is used when landscape=doublewell; fig=6a")),
            "{}",
            errors[0]
        );
    }
    // Only plain SGD: opt=sgd may be written, nothing else.
    parse("landscape=doublewell&opt=sgd");
    let errors = parse_errors("landscape=doublewell&opt=sgdm");
    assert_eq!(fields(&errors), ["opt"]);
    assert!(errors[0]
        .allowed
        .starts_with("sgd with landscape=doublewell"));
    // fisher belongs to opt=ngd.
    let errors = parse_errors("fisher=exact");
    assert_eq!(fields(&errors), ["fisher"]);
    assert!(errors[0].allowed.contains("(fisher is used when opt=ngd)"));
    // The simulation's size and seed belong to every landscape.
    parse("landscape=doublewell&particles=10&steps=5&seed=1");
}

#[test]
fn the_double_well_is_simulated_not_solved() {
    let config = parse("landscape=doublewell");
    let errors = config.to_problem().expect_err("no quadratic model");
    assert_eq!(fields(&errors.0), ["landscape"]);
    config.validate().expect("a stable well");
    let errors = parse("").to_escape_dynamics().expect_err("no double well");
    assert_eq!(fields(&errors.0), ["landscape"]);
}

#[test]
fn the_loss_scale_must_keep_the_well_stable() {
    // λrk_a < 2: with λ = 1 and k_a = 1, r < 2.
    parse("landscape=doublewell&r=1.99")
        .validate()
        .expect("stable");
    let errors = parse("landscape=doublewell&r=2")
        .validate()
        .expect_err("λrk_a = 2");
    assert_eq!(fields(&errors.0), ["r"]);
    assert_eq!(errors.0[0].value, "2");
    assert!(
        errors.0[0]
            .allowed
            .starts_with(key_spec("r").expect("a key").allowed),
        "{}",
        errors.0[0]
    );
    assert!(
        errors.0[0].allowed.contains("2/(λk_a) = 2"),
        "{}",
        errors.0[0]
    );
    let errors = parse("landscape=doublewell&lr=2&k_a=2&r=0.5")
        .validate()
        .expect_err("λrk_a = 2");
    assert!(
        errors.0[0].allowed.contains("2/(λk_a) = 0.5"),
        "{}",
        errors.0[0]
    );

    // Leniently: r is reset to its default 1, which is stable with λ = 1.
    let (config, problems) = Config::parse_lenient("landscape=doublewell&r=3&particles=10&K=2");
    assert_eq!(config, parse("landscape=doublewell&particles=10"));
    assert_eq!(fields(&problems), ["K", "r"]);
}

#[test]
fn lenient_parsing_keeps_valid_simulation_keys() {
    let (config, problems) = Config::parse_lenient(
        "particles=0&steps=50&seed=4&start=1,2,3&burnin=60&bound=-1&K=1,1&fisher=exact",
    );
    assert_eq!(config, parse("steps=50&seed=4&K=1,1"));
    assert_eq!(
        fields(&problems),
        ["particles", "bound", "burnin", "fisher", "start"]
    );
    // A newer version: the simulation keys this version knows are still read.
    let (config, problems) = Config::parse_lenient("v=2&landscape=doublewell&r=1.5&particles=9");
    assert_eq!(config, parse("landscape=doublewell&r=1.5&particles=9"));
    assert_eq!(fields(&problems), ["v"]);
}

#[test]
fn simulation_sizes_are_limited_with_the_limit_in_the_message() {
    let limits = SimulationLimits::NATIVE;
    assert!(limits.max_particle_steps >= 1_000_000_000);
    parse("particles=100000&steps=1000000")
        .check_simulation_size(1, &limits)
        .expect("1e11 particle-steps are allowed");
    let error = parse("particles=100000&steps=1000001")
        .check_simulation_size(1, &limits)
        .expect_err("above 1e11");
    assert_eq!(error.field, "particles");
    assert_eq!(error.value, "100000");
    assert_eq!(
        error.allowed,
        "particles × steps × D ≤ 1e11 (here 100000 × 1000001 × 1 = 1.000001e11): fewer particles or \
         steps"
    );
    // D counts: the same run in 512 dimensions.
    let error = parse("particles=1000&steps=1000000")
        .check_simulation_size(512, &limits)
        .expect_err("5.12e11");
    assert!(error.allowed.contains("× 512 = 5.12e11"), "{error}");
    // Memory: D + D² time-average sums per particle with burnin.
    let error = parse("particles=2000&steps=2&burnin=1")
        .check_simulation_size(512, &limits)
        .expect_err("2 GB of sums");
    assert!(
        error.allowed.contains("particles with D = 512 and burnin"),
        "{error}"
    );
    parse("particles=2000&steps=2")
        .check_simulation_size(512, &limits)
        .expect("16 MB without burnin");
    // The double well has D = 1.
    parse("landscape=doublewell&particles=10000000&steps=10000")
        .check_simulation_size(1, &limits)
        .expect("1e11");
}

#[test]
fn the_markdown_table_has_a_row_per_key() {
    let table = keys_markdown_table();
    assert_eq!(table.lines().count(), KEYS.len() + 2);
    for spec in KEYS {
        assert!(
            table.contains(&format!("\n| `{}` | ", spec.key)),
            "{}",
            spec.key
        );
    }
    // Every row has exactly the six cells: the pipes inside the text are escaped.
    for line in table.lines() {
        let unescaped = line.replace("\\|", "");
        assert_eq!(unescaped.matches('|').count(), 7, "{line}");
    }
}

// ---------------------------------------------------------------- figures

fn figure(text: &str) -> FigureConfig {
    parse(text).figure.expect("a figure")
}

#[test]
fn every_figure_has_the_defaults_of_the_paper() {
    let sweep = |points, particles, steps| SweepSimulation {
        points,
        particles,
        steps,
        seed: 0,
    };
    let regression = |x_var: Vec<f64>| RegressionFigureConfig {
        data: DataConfig::Generated(GeneratedData {
            dataset_size: 1000,
            seed: 0,
            input_variances: x_var,
            true_weights: None,
            label_variance: 1.0,
        }),
        batch_size: 100,
        with_replacement: true,
        loss: LossConvention::Eq28,
    };
    assert_eq!(
        figure("fig=1b"),
        FigureConfig::Fig1b(DecayFigureConfig {
            curvature: 1.0,
            learning_rates: vec![1.25, 1.5, 1.75],
            start: 1.0,
            steps: 20,
        })
    );
    assert_eq!(
        figure("fig=2a"),
        FigureConfig::Fig2a(LearningRateSweepFigureConfig {
            curvature: 1.0,
            noise_variance: 1.0,
            start: 0.0,
            simulation: sweep(40, 10_000, 1000),
        })
    );
    assert_eq!(
        figure("fig=2b"),
        FigureConfig::Fig2b(MinibatchSweepFigureConfig {
            regression: regression(vec![1.0]),
            burn_in: 500,
            simulation: sweep(20, 100, 2000),
        })
    );
    assert_eq!(
        figure("fig=3"),
        FigureConfig::Fig3(WhiteNoiseScatterFigureConfig {
            hessian: MatrixSpec::Diagonal(vec![1.0, 0.1]),
            covariance: MatrixSpec::Scalar(1.0),
            learning_rates: vec![0.1, 0.5, 1.0, 1.5, 1.9],
            simulation: SimulationConfig {
                particles: 2000,
                steps: 5000,
                seed: 0,
            },
        })
    );
    assert_eq!(
        figure("fig=4"),
        FigureConfig::Fig4(MinibatchScatterFigureConfig {
            regression: regression(vec![1.0, 0.1]),
            learning_rates: vec![0.1, 0.4, 0.7, 0.9],
            simulation: SimulationConfig {
                particles: 2000,
                steps: 600,
                seed: 0,
            },
        })
    );
    let momentum = |lr_k, mu_min| MomentumSweepFigureConfig {
        curvature: 1.0,
        noise_variance: 1.0,
        learning_rate_times_curvature: lr_k,
        momentum_range: (mu_min, 0.99),
        burn_in: 2000,
        simulation: sweep(40, 1000, 6000),
    };
    assert_eq!(figure("fig=5a"), FigureConfig::Fig5a(momentum(2.75, 0.38)));
    assert_eq!(figure("fig=5b"), FigureConfig::Fig5b(momentum(1.0, 0.0)));
    let minibatch_momentum = |lr_k, mu_min| MinibatchMomentumSweepFigureConfig {
        regression: regression(vec![1.0]),
        learning_rate_times_curvature: lr_k,
        momentum_range: (mu_min, 0.99),
        burn_in: 2000,
        simulation: sweep(20, 100, 4000),
    };
    assert_eq!(
        figure("fig=5c"),
        FigureConfig::Fig5c(minibatch_momentum(2.75, 0.38))
    );
    assert_eq!(
        figure("fig=5d"),
        FigureConfig::Fig5d(minibatch_momentum(1.0, 0.0))
    );
    let well = DoubleWellConfig {
        learning_rate: 1.0,
        loss_scale: 1.0,
        batch_size: 2,
        well_curvature: 1.0,
        barrier_curvature: 0.5,
        barrier_height: 1.0,
    };
    assert_eq!(figure("fig=6a"), FigureConfig::Fig6a(well.clone()));
    assert_eq!(
        figure("fig=6b"),
        FigureConfig::Fig6b(EscapeRateFigureConfig {
            well,
            loss_scale_range: (0.1, 1.5),
            eq52: Eq52Form::Printed,
            eq52_constant: None,
            simulation: sweep(8, 1000, 1_000_000),
        })
    );
    // Writing a figure's documented defaults explicitly changes nothing.
    for id in FIGURE_IDS {
        let config = parse(&format!("fig={id}"));
        let read: Vec<&str> = config.used_values().iter().map(|(key, _)| *key).collect();
        let mut explicit = format!("fig={id}");
        for spec in KEYS {
            // (A default of a key the default configuration does not read, e.g. fig=phase's S,
            // which only noise=batch reads, would be an unused key.)
            if !read.contains(&spec.key) {
                continue;
            }
            if let Some(default) = figure_default(id, spec.key) {
                explicit.push_str(&format!("&{}={default}", spec.key));
            }
        }
        assert_eq!(parse(&explicit), config, "{explicit}");
        assert_eq!(config.to_text(), format!("v=1&fig={id}"));
    }
}

#[test]
fn a_figure_reads_only_its_keys() {
    let errors = parse_errors("fig=2a&lr=0.5&opt=sgdm&lrs=1&landscape=quadratic");
    assert_eq!(fields(&errors), ["lr", "opt", "lrs", "landscape"]);
    assert_eq!(
        errors[0].allowed,
        "no lr with fig=2a (lr is used when opt is not precond, or landscape=doublewell; fig=6a, 6b, escape, newton, explorer; fig=schedule; fig=adam (the marked λ))"
    );
    // Figure keys without a figure are not used either.
    let errors = parse_errors("lrs=0.1&points=3&eq52=corrected");
    assert_eq!(fields(&errors), ["lrs", "points", "eq52"]);
    assert!(errors[0].allowed.contains("lrs is used when fig=1b, 3, 4"));
    // An unreadable fig: no guesses about the other keys.
    let errors = parse_errors("fig=7&lrs=0.1");
    assert_eq!(fields(&errors), ["fig"]);
    assert!(errors[0]
        .allowed
        .contains("1b, 2a, 2b, 3, 4, 5a, 5b, 5c, 5d, 6a, 6b"));
}

#[test]
fn figure_keys_are_checked() {
    let cases = [
        (
            "fig=2a&K=1,2",
            "K",
            "one finite number > 0 (fig=2a is one-dimensional)",
        ),
        ("fig=5b&C=1;2", "C", "rows separated by ;"),
        (
            "fig=1b&start=stationary",
            "start",
            "zero or one finite number w₀",
        ),
        ("fig=1b&start=1,2", "start", "zero or one finite number w₀"),
        (
            "fig=5a&mu_min=0.5&mu_max=0.4",
            "mu_min",
            "a number below mu_max = 0.4",
        ),
        (
            "fig=5a&mu_max=0.2",
            "mu_max",
            "a number above mu_min = 0.38",
        ),
        ("fig=6b&r_min=2", "r_min", "a number below r_max = 1.5"),
        (
            "fig=5c&burnin=4000",
            "burnin",
            "an integer in [0, steps − 1]",
        ),
        ("fig=2a&points=0", "points", "an integer in [1, 200]"),
        (
            "fig=3&lrs=1,2,3,4,5,6,7,8,9",
            "lrs",
            "1 to 8 finite numbers > 0",
        ),
        ("fig=2b&loss=ln", "loss", "one of eq28, half"),
        ("fig=6b&eq52=fitted", "eq52", "one of printed, corrected"),
        ("fig=6b&eq52_const=0", "eq52_const", "a finite number > 0"),
    ];
    for (text, key, allowed) in cases {
        let errors = parse_errors(text);
        assert_eq!(fields(&errors), [key], "{text}");
        assert!(
            errors[0].allowed.contains(allowed),
            "{text}: {}",
            errors[0].allowed
        );
    }
    // What parsing cannot see, validation names.
    let model_cases = [
        ("fig=3&K=1", "K", "2×2"),
        ("fig=3&K=1,-1", "K", "positive definite"),
        ("fig=3&C=1,1,1", "C", "2x2"),
        ("fig=3&lrs=0.5,2", "lrs", "(0, 2)"),
        ("fig=4&x_var=1", "x_var", "2 inputs"),
        ("fig=4&lrs=1", "lrs", "the data's K with loss=eq28"),
        ("fig=5c&x_var=1,2", "x_var", "one input"),
        ("fig=2a&C=0", "C", "one finite number > 0"),
        ("fig=1b&K=-1", "K", "one finite number > 0"),
        ("fig=1b&lrs=2.5", "lrs", "(0, 2]"),
        ("fig=5d&lr_k=4", "lr_k", "(0, 3.98)"),
        ("fig=6a&r=2", "r", "2/(λk_a)"),
        ("fig=6b&r_max=2&lr=1", "r_max", "(0.1, 2)"),
        ("fig=2b&N=50&replace=0", "S", "N"),
    ];
    for (text, key, allowed) in model_cases {
        let errors = parse(text).validate().expect_err(text).0;
        assert_eq!(errors[0].field, key, "{text}: {errors:?}");
        assert!(
            errors[0].allowed.contains(allowed),
            "{text}: {}",
            errors[0].allowed
        );
    }
}

#[test]
fn a_figure_is_not_a_landscape() {
    let config = parse("fig=6b");
    assert_eq!(config.quadratic(), None);
    assert_eq!(config.to_problem().expect_err("a figure").0[0].field, "fig");
    assert_eq!(
        config.to_escape_dynamics().expect_err("a figure").0[0].field,
        "fig"
    );
    // The simulation size is the figure's: 8 escape ensembles of 1000 particles.
    let limits = SimulationLimits {
        max_particle_steps: 1_000_000_000,
        max_state_bytes: 1 << 30,
    };
    let error = config
        .check_simulation_size(1, &limits)
        .expect_err("8 × 1000 × 10⁶ steps");
    assert_eq!(error.field, "particles");
    assert!(error.allowed.contains("8e9"), "{}", error.allowed);
    assert!(parse("fig=6b&steps=100000")
        .check_simulation_size(1, &limits)
        .is_ok());
    assert!(parse("fig=1b")
        .check_simulation_size(1, &SimulationLimits::NATIVE)
        .is_ok());
}

#[test]
fn lenient_parsing_of_figures_keeps_every_valid_key() {
    let (config, problems) = Config::parse_lenient("fig=5a&mu_min=0.5&mu_max=0.4&points=3&lr=2");
    assert_eq!(fields(&problems), ["mu_min", "lr"]);
    // mu_max = 0.4 stays: the default mu_min = 0.38 is below it.
    assert_eq!(config.to_text(), "v=1&fig=5a&mu_max=0.4&points=3");
    let (config, problems) = Config::parse_lenient("fig=4&lrs=1.2&particles=30");
    assert_eq!(fields(&problems), ["lrs"]);
    assert_eq!(config.to_text(), "v=1&fig=4&particles=30");
    assert!(config.validate().is_ok());
}

#[test]
fn the_figure_limits_are_documented() {
    assert!(key_spec("lrs")
        .expect("known")
        .allowed
        .contains(&format!("1 to {MAX_FIGURE_PANELS}")));
    assert!(key_spec("points")
        .expect("known")
        .allowed
        .contains(&MAX_FIGURE_POINTS.to_string()));
    for id in FIGURE_IDS {
        assert!(key_spec("fig").expect("known").allowed.contains(id));
    }
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
        (
            matrix_spec(),
            matrix_spec(),
            prop_oneof![Just(0.0), 0.0..4.0]
        )
            .prop_map(
                |(hessian, covariance, hessian_noise)| NoiseConfig::Gaussian {
                    hessian,
                    covariance,
                    hessian_noise,
                }
            ),
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

fn start() -> impl Strategy<Value = Start> {
    prop_oneof![
        Just(Start::Zero),
        Just(Start::Stationary),
        vec(finite(), 1..6).prop_map(|point| Start::Point(DVector::from_vec(point))),
    ]
}

fn double_well_config() -> impl Strategy<Value = DoubleWellConfig> {
    (
        positive(),
        positive(),
        1..=MAX_DATASET_SIZE,
        positive(),
        positive(),
        positive(),
    )
        .prop_map(
            |(
                learning_rate,
                loss_scale,
                batch_size,
                well_curvature,
                barrier_curvature,
                barrier_height,
            )| DoubleWellConfig {
                learning_rate,
                loss_scale,
                batch_size,
                well_curvature,
                barrier_curvature,
                barrier_height,
            },
        )
}

fn simulation() -> impl Strategy<Value = SimulationConfig> {
    (
        prop_oneof![1..=MAX_PARTICLES, Just(1000)],
        prop_oneof![1..=MAX_PARTICLE_STEPS, Just(1000)],
        any::<u64>(),
    )
        .prop_map(|(particles, steps, seed)| SimulationConfig {
            particles,
            steps,
            seed,
        })
}

/// Valid configurations: every value in its range, and `burnin` below `steps`.
fn config() -> impl Strategy<Value = Config> {
    let quadratic = (
        optimizer(),
        noise(),
        start(),
        option::of(any::<u64>()),
        prop_oneof![positive(), Just(1e8)],
        any::<bool>(),
    );
    let landscape_and_burn_in = prop_oneof![
        quadratic.prop_map(
            |(optimizer, noise, start, burn_in, divergence_bound, coupled)| {
                // `fisher` is read with opt=ngd only.
                let ngd = matches!(optimizer, OptimizerConfig::NaturalGradient { .. });
                (
                    LandscapeConfig::Quadratic(QuadraticConfig {
                        optimizer,
                        conventions: sgd_playground::model::Conventions::PAPER,
                        noise,
                        ensemble: EnsembleConfig {
                            start,
                            burn_in: None,
                            divergence_bound,
                            natural_gradient_fisher: if ngd && coupled {
                                NaturalGradientFisher::Ensemble
                            } else {
                                NaturalGradientFisher::Exact
                            },
                        },
                        schedule: Schedule::CONSTANT,
                        curve_points: None,
                    }),
                    burn_in,
                )
            }
        ),
        double_well_config().prop_map(|well| (LandscapeConfig::DoubleWell(well), None)),
    ];
    (landscape_and_burn_in, simulation()).prop_map(|((mut landscape, burn_in), simulation)| {
        if let LandscapeConfig::Quadratic(quadratic) = &mut landscape {
            quadratic.ensemble.burn_in = burn_in.map(|burn_in| burn_in % simulation.steps);
            // `steps` written asks solve for a loss curve (of 200 points by default); a schedule
            // belongs to the scalar-λ optimizers with Gaussian or minibatch noise.
            let scalar = matches!(
                quadratic.optimizer.name(),
                "sgd" | "sgdm" | "qhm" | "nesterov"
            ) && !matches!(quadratic.noise, NoiseConfig::Fisher { .. });
            quadratic.curve_points = (scalar && simulation.steps != 1000).then_some(200);
        }
        Config {
            landscape,
            simulation,
            figure: None,
        }
    })
}

fn learning_rates() -> impl Strategy<Value = Vec<f64>> {
    vec(positive(), 1..=MAX_FIGURE_PANELS)
}

fn sweep() -> impl Strategy<Value = SweepSimulation> {
    (1..=MAX_FIGURE_POINTS, simulation()).prop_map(|(points, simulation)| SweepSimulation {
        points,
        particles: simulation.particles,
        steps: simulation.steps,
        seed: simulation.seed,
    })
}

fn regression() -> impl Strategy<Value = RegressionFigureConfig> {
    (data(), 1..=MAX_DATASET_SIZE, any::<bool>(), any::<bool>()).prop_map(
        |(data, batch_size, with_replacement, half)| RegressionFigureConfig {
            data,
            batch_size,
            with_replacement,
            loss: if half {
                LossConvention::Half
            } else {
                LossConvention::Eq28
            },
        },
    )
}

/// (low, high) with low < high, both in [0, 1).
fn momentum_range() -> impl Strategy<Value = (f64, f64)> {
    (unit_half_open(), unit_half_open())
        .prop_filter("an ordered range", |(a, b)| a != b)
        .prop_map(|(a, b)| (a.min(b), a.max(b)))
}

/// (low, high) with 0 < low < high.
fn positive_range() -> impl Strategy<Value = (f64, f64)> {
    (positive(), positive())
        .prop_filter("an ordered range", |(a, b)| a != b)
        .prop_map(|(a, b)| (a.min(b), a.max(b)))
}

/// Valid figure configurations (as parsing defines them; the model is not checked).
fn figure_config() -> impl Strategy<Value = FigureConfig> {
    let decay = (finite(), learning_rates(), finite(), 1..=MAX_PARTICLE_STEPS).prop_map(
        |(curvature, learning_rates, start, steps)| {
            FigureConfig::Fig1b(DecayFigureConfig {
                curvature,
                learning_rates,
                start,
                steps,
            })
        },
    );
    let white_sweep = (finite(), finite(), finite(), sweep()).prop_map(
        |(curvature, noise_variance, start, simulation)| {
            FigureConfig::Fig2a(LearningRateSweepFigureConfig {
                curvature,
                noise_variance,
                start,
                simulation,
            })
        },
    );
    let minibatch_sweep =
        (regression(), any::<u64>(), sweep()).prop_map(|(regression, burn_in, simulation)| {
            FigureConfig::Fig2b(MinibatchSweepFigureConfig {
                regression,
                burn_in: burn_in % simulation.steps,
                simulation,
            })
        });
    let white_scatter = (matrix_spec(), matrix_spec(), learning_rates(), simulation()).prop_map(
        |(hessian, covariance, learning_rates, simulation)| {
            FigureConfig::Fig3(WhiteNoiseScatterFigureConfig {
                hessian,
                covariance,
                learning_rates,
                simulation,
            })
        },
    );
    let minibatch_scatter = (regression(), learning_rates(), simulation()).prop_map(
        |(regression, learning_rates, simulation)| {
            FigureConfig::Fig4(MinibatchScatterFigureConfig {
                regression,
                learning_rates,
                simulation,
            })
        },
    );
    let momentum = (
        finite(),
        finite(),
        positive(),
        momentum_range(),
        any::<u64>(),
        sweep(),
        any::<bool>(),
    )
        .prop_map(
            |(curvature, noise_variance, lr_k, momentum_range, burn_in, simulation, b)| {
                let figure = MomentumSweepFigureConfig {
                    curvature,
                    noise_variance,
                    learning_rate_times_curvature: lr_k,
                    momentum_range,
                    burn_in: burn_in % simulation.steps,
                    simulation,
                };
                if b {
                    FigureConfig::Fig5b(figure)
                } else {
                    FigureConfig::Fig5a(figure)
                }
            },
        );
    let minibatch_momentum = (
        regression(),
        positive(),
        momentum_range(),
        any::<u64>(),
        sweep(),
        any::<bool>(),
    )
        .prop_map(
            |(regression, lr_k, momentum_range, burn_in, simulation, d)| {
                let figure = MinibatchMomentumSweepFigureConfig {
                    regression,
                    learning_rate_times_curvature: lr_k,
                    momentum_range,
                    burn_in: burn_in % simulation.steps,
                    simulation,
                };
                if d {
                    FigureConfig::Fig5d(figure)
                } else {
                    FigureConfig::Fig5c(figure)
                }
            },
        );
    let density = double_well_config().prop_map(FigureConfig::Fig6a);
    let escape = (
        double_well_config(),
        positive_range(),
        any::<bool>(),
        option::of(positive()),
        sweep(),
    )
        .prop_map(
            |(mut well, loss_scale_range, corrected, constant, simulation)| {
                well.loss_scale = 1.0;
                FigureConfig::Fig6b(EscapeRateFigureConfig {
                    well,
                    loss_scale_range,
                    eq52: if corrected {
                        Eq52Form::Corrected
                    } else {
                        Eq52Form::Printed
                    },
                    eq52_constant: constant,
                    simulation,
                })
            },
        );
    prop_oneof![
        decay,
        white_sweep,
        minibatch_sweep,
        white_scatter,
        minibatch_scatter,
        prop_oneof![momentum, minibatch_momentum, density, escape],
    ]
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
        "(quadratic|doublewell|zero|stationary|exact|ensemble|1e8|999|1000|1001)",
        "(1b|2a|2b|3|4|5a|5b|5c|5d|6a|6b|eq28|half|printed|corrected|0.38|0.99|2.75)",
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
    fn canonical_figure_text_round_trips(figure in figure_config()) {
        let config = Config {
            figure: Some(figure),
            ..Config::default()
        };
        let text = config.to_text();
        let parsed = Config::parse(&text);
        prop_assert_eq!(parsed.as_ref(), Ok(&config), "text: {}", text);
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
            Ok(config) if config.validate().is_ok() => {
                prop_assert_eq!(lenient, config);
                prop_assert!(problems.is_empty(), "{:?}", problems);
            }
            _ => prop_assert!(!problems.is_empty()),
        }
    }
}
