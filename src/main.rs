//! `sgd-playground` on the command line; everything happens in `sgd_playground::cli::run`.
//! The command line is native only: built for wasm32 (as `cargo build --tests` does for the
//! browser tests), this binary is an empty `main`.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use std::io::Write;

    // args_os: a non-UTF-8 argument must not panic; it is read lossily (and then rejected or used).
    let args: Vec<String> = std::env::args_os()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let code = {
        let mut stdout = std::io::stdout().lock();
        let mut stderr = std::io::stderr().lock();
        let code = sgd_playground::cli::run(&args, &mut stdout, &mut stderr);
        // run flushes what it writes; this only covers a stream error it could not report.
        let _ = stdout.flush();
        code
    };
    std::process::exit(code);
}
