//! The command line's options, read with `lexopt`: one table of options ([`OPTIONS`]), which
//! commands take each, and the usage errors that name the option, the value and what is allowed.

use super::*;

/// A command that reads a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Command {
    Solve,
    Simulate,
    Render,
}

impl Command {
    pub(super) fn name(self) -> &'static str {
        match self {
            Command::Solve => "solve",
            Command::Simulate => "simulate",
            Command::Render => "render",
        }
    }

    pub(super) fn help(self) -> &'static str {
        match self {
            Command::Solve => SOLVE_HELP,
            Command::Simulate => SIMULATE_HELP,
            Command::Render => RENDER_HELP,
        }
    }
}

/// An option of the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Opt {
    Help,
    Config,
    Format,
    Out,
    Width,
    Height,
    Theme,
    TheoryOnly,
    Threads,
}

/// One option, declared once: the parser, the messages naming it and the list of what a command
/// allows all come from [`OPTIONS`].
#[derive(Debug)]
pub(super) struct OptionSpec {
    opt: Opt,
    long: &'static str,
    short: Option<char>,
    /// The value's name in the usage (`FILE`); `None` for a flag.
    metavar: Option<&'static str>,
    /// What a missing value should have been ("a file name").
    needs: &'static str,
    /// The commands that take it.
    commands: &'static [Command],
}

/// Every command.
const ALL_COMMANDS: &[Command] = &[Command::Solve, Command::Simulate, Command::Render];

/// The most threads `--threads` allows.
pub(super) const MAX_THREADS: usize = 256;

/// Every option of `solve`, `simulate` and `render`. A value is given as `--opt value` or
/// `--opt=value` (lexopt reads both).
pub(super) const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        opt: Opt::Config,
        long: "config",
        short: None,
        metavar: Some("FILE"),
        needs: "a file name",
        commands: ALL_COMMANDS,
    },
    OptionSpec {
        opt: Opt::Format,
        long: "format",
        short: None,
        metavar: Some("svg|png|csv|table"),
        needs: "a format (svg, png, csv or table)",
        commands: &[Command::Render],
    },
    OptionSpec {
        opt: Opt::Out,
        long: "out",
        short: None,
        metavar: Some("FILE"),
        needs: "a file name",
        commands: &[Command::Render],
    },
    OptionSpec {
        opt: Opt::Width,
        long: "width",
        short: None,
        metavar: Some("PIXELS"),
        needs: "a number of pixels",
        commands: &[Command::Render],
    },
    OptionSpec {
        opt: Opt::Height,
        long: "height",
        short: None,
        metavar: Some("PIXELS"),
        needs: "a number of pixels",
        commands: &[Command::Render],
    },
    OptionSpec {
        opt: Opt::Theme,
        long: "theme",
        short: None,
        metavar: Some("light|dark"),
        needs: "a theme (light or dark)",
        commands: &[Command::Render],
    },
    OptionSpec {
        opt: Opt::TheoryOnly,
        long: "theory-only",
        short: None,
        metavar: None,
        needs: "",
        commands: &[Command::Render],
    },
    OptionSpec {
        opt: Opt::Threads,
        long: "threads",
        short: None,
        metavar: Some("N"),
        needs: "a number of threads",
        commands: ALL_COMMANDS,
    },
    OptionSpec {
        opt: Opt::Help,
        long: "help",
        short: Some('h'),
        metavar: None,
        needs: "",
        commands: ALL_COMMANDS,
    },
];

impl OptionSpec {
    pub(super) fn takes(&self, command: Command) -> bool {
        self.commands.contains(&command)
    }

    /// `--long` as typed.
    pub(super) fn name(&self) -> String {
        format!("--{}", self.long)
    }
}

/// The options `command` takes, as the usage writes them: `--config FILE, --help (-h)`.
pub(super) fn allowed_options(command: Command) -> String {
    OPTIONS
        .iter()
        .filter(|spec| spec.takes(command))
        .map(|spec| {
            let mut shown = spec.name();
            if let Some(metavar) = spec.metavar {
                shown = format!("{shown} {metavar}");
            }
            if let Some(short) = spec.short {
                shown = format!("{shown} (-{short})");
            }
            shown
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A mistake on the command line itself (not in the configuration it gives): one line naming
/// the option, the value given and what is allowed.
#[derive(Debug)]
pub(super) enum UsageError {
    /// An option that `command` does not take.
    UnknownOption { option: String, command: Command },
    /// An option given without its value, at the end of the command line.
    MissingValue { option: &'static OptionSpec },
    /// A flag given a value (`--theory-only=yes`).
    UnexpectedValue { option: String, value: String },
    /// An option's value outside what it allows.
    InvalidValue {
        option: &'static OptionSpec,
        value: String,
        allowed: &'static str,
    },
    /// Configuration text and `--config` both given.
    TextAndFile,
    /// Neither configuration text nor `--config`.
    NoConfiguration { command: Command },
    /// The configuration file cannot be read (the reason, with the file's name).
    File(String),
    /// Anything else the parser reports, in lexopt's words.
    Parser(String),
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UsageError::UnknownOption { option, command } => write!(
                f,
                "unknown option '{option}'; allowed with {}: {}",
                command.name(),
                allowed_options(*command)
            ),
            UsageError::MissingValue { option } => {
                write!(f, "{} needs {}", option.name(), option.needs)
            }
            UsageError::UnexpectedValue { option, value } => write!(
                f,
                "{option}: invalid value '{value}'; allowed: no value ({option} is a flag)"
            ),
            UsageError::InvalidValue {
                option,
                value,
                allowed,
            } => write!(
                f,
                "{}: invalid value '{value}'; allowed: {allowed}",
                option.name()
            ),
            UsageError::TextAndFile => {
                f.write_str("give the configuration either as text or with --config, not both")
            }
            UsageError::NoConfiguration { command } => write!(
                f,
                "{} needs a configuration (text such as 'lr=1.5', or --config FILE)",
                command.name()
            ),
            UsageError::File(message) | UsageError::Parser(message) => f.write_str(message),
        }
    }
}

impl From<lexopt::Error> for UsageError {
    fn from(error: lexopt::Error) -> Self {
        match error {
            lexopt::Error::UnexpectedValue { option, value } => UsageError::UnexpectedValue {
                option,
                value: value.to_string_lossy().into_owned(),
            },
            // `Parser::next` reports nothing else; a missing value is mapped where it is read.
            other => UsageError::Parser(other.to_string()),
        }
    }
}

/// What a command line asks for once its options are read.
pub(super) struct CommandLine {
    /// `--help` or `-h` was given (the options after it are not read).
    pub(super) help: bool,
    /// `--config FILE` (the last one given).
    pub(super) file: Option<String>,
    /// The positional arguments: pieces of configuration text, joined by `&`.
    pub(super) text: Vec<String>,
    /// The options beyond the configuration (their defaults for the commands that refuse them).
    pub(super) options: CommandOptions,
}

impl CommandLine {
    /// Reads `args` (the arguments after the command) with lexopt: `--opt value` and
    /// `--opt=value` alike, every other argument a piece of configuration text.
    pub(super) fn parse(command: Command, args: &[String]) -> Result<CommandLine, UsageError> {
        let mut line = CommandLine {
            help: false,
            file: None,
            text: Vec::new(),
            options: CommandOptions::default(),
        };
        let mut parser = lexopt::Parser::from_args(args);
        while let Some(arg) = parser.next()? {
            let (spec, typed) = match arg {
                lexopt::Arg::Value(value) => {
                    let value = value.to_string_lossy().into_owned();
                    // A lone "-" is no configuration text: refused as an option, as it always was.
                    if value == "-" {
                        return Err(UsageError::UnknownOption {
                            option: value,
                            command,
                        });
                    }
                    line.text.push(value);
                    continue;
                }
                lexopt::Arg::Long(long) => (
                    OPTIONS.iter().find(|spec| spec.long == long),
                    format!("--{long}"),
                ),
                lexopt::Arg::Short(short) => (
                    OPTIONS.iter().find(|spec| spec.short == Some(short)),
                    format!("-{short}"),
                ),
            };
            let Some(spec) = spec.filter(|spec| spec.takes(command)) else {
                return Err(UsageError::UnknownOption {
                    option: typed,
                    command,
                });
            };
            if spec.opt == Opt::Help {
                line.help = true;
                return Ok(line);
            }
            if spec.opt == Opt::TheoryOnly {
                line.options.theory_only = true;
                continue;
            }
            let value = parser
                .value()
                .map_err(|_| UsageError::MissingValue { option: spec })?
                .to_string_lossy()
                .into_owned();
            let invalid = |allowed| UsageError::InvalidValue {
                option: spec,
                value: value.clone(),
                allowed,
            };
            match spec.opt {
                Opt::Config => line.file = Some(value),
                Opt::Out => line.options.out = Some(value),
                Opt::Format => {
                    line.options.format = Some(match value.as_str() {
                        "svg" => RenderFormat::Svg,
                        "png" => RenderFormat::Png,
                        "csv" => RenderFormat::Csv,
                        "table" => RenderFormat::Table,
                        _ => {
                            return Err(invalid(
                                "svg, png, csv or table (the table of fig=explorer, as CSV)",
                            ))
                        }
                    })
                }
                Opt::Width | Opt::Height => {
                    let pixels = value
                        .parse::<u32>()
                        .ok()
                        .filter(|pixels| PIXELS.contains(pixels))
                        .ok_or_else(|| invalid("an integer in [100, 8000]"))?;
                    if spec.opt == Opt::Width {
                        line.options.width = pixels;
                    } else {
                        line.options.height = pixels;
                    }
                }
                Opt::Theme => {
                    line.options.dark = match value.as_str() {
                        "light" => false,
                        "dark" => true,
                        _ => return Err(invalid("light or dark")),
                    }
                }
                Opt::Threads => {
                    line.options.threads = value
                        .parse::<usize>()
                        .ok()
                        .filter(|threads| (1..=MAX_THREADS).contains(threads))
                        .ok_or_else(|| invalid("an integer in [1, 256] (default: every core)"))?;
                }
                Opt::Help | Opt::TheoryOnly => {}
            }
        }
        if line.options.format.is_none() {
            line.options.format = Some(match line.options.out.as_deref() {
                Some(path) if path.ends_with(".png") => RenderFormat::Png,
                Some(path) if path.ends_with(".csv") => RenderFormat::Csv,
                _ => RenderFormat::Svg,
            });
        }
        Ok(line)
    }

    /// The configuration text: the positional pieces joined by `&`, or the file's contents.
    pub(super) fn configuration_text(&self, command: Command) -> Result<String, UsageError> {
        match (&self.file, self.text.is_empty()) {
            (Some(_), false) => Err(UsageError::TextAndFile),
            (Some(path), true) => read_file(path).map_err(UsageError::File),
            (None, false) => Ok(self.text.join("&")),
            (None, true) => Err(UsageError::NoConfiguration { command }),
        }
    }
}
