//! Why the harness dropped a function.

use serde::Serialize;

/// Why a function was dropped. Every variant names the function; [`Rejection::reason`] gives a
/// stable key for statistics and journals.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rejection {
    /// The C compiler rejected the generated driver (usually the function's own source).
    #[error("function `{function}` does not compile: {first_error}")]
    Compile {
        /// The function.
        function: String,
        /// The compiler's first error line.
        first_error: String,
        /// The compiler's diagnostics (the first few KiB).
        stderr: String,
    },
    /// The compiler ran past the compile wall-time limit.
    #[error("function `{function}`: the compiler did not finish within {seconds:.1} s")]
    CompileTimeout {
        /// The function.
        function: String,
        /// The limit.
        seconds: f64,
    },
    /// The signature has no inputs or no outputs, so it cannot give I/O pairs.
    #[error("function `{function}` cannot be sampled: {problem}")]
    Unsupported {
        /// The function.
        function: String,
        /// What is missing.
        problem: String,
    },
    /// The inputs handed to the harness are malformed (the caller's mistake, not the function's).
    #[error("inputs for function `{function}` are invalid: {problem}")]
    InvalidInputs {
        /// The function.
        function: String,
        /// What is wrong.
        problem: String,
    },
    /// The process died of a signal.
    #[error("function `{function}` crashed with {signal} (signal {number}){}", stderr_suffix(.stderr))]
    Crash {
        /// The function.
        function: String,
        /// The signal's name, e.g. `SIGSEGV`.
        signal: String,
        /// The signal's number.
        number: i32,
        /// The start of what the process wrote to stdout/stderr.
        stderr: String,
    },
    /// The process exited with a non-zero status (the function called `exit`, or the driver saw
    /// a broken protocol).
    #[error("function `{function}` exited with status {code}{}", stderr_suffix(.stderr))]
    Exit {
        /// The function.
        function: String,
        /// The exit status.
        code: i32,
        /// The start of what the process wrote to stdout/stderr.
        stderr: String,
    },
    /// The run exceeded the wall-time limit and was killed.
    #[error("function `{function}` did not finish within the wall-time limit of {seconds:.1} s (killed)")]
    Timeout {
        /// The function.
        function: String,
        /// The limit.
        seconds: f64,
    },
    /// The run exceeded the CPU-time limit (`SIGXCPU`).
    #[error("function `{function}` exceeded the CPU-time limit of {seconds:.1} s (SIGXCPU)")]
    CpuLimit {
        /// The function.
        function: String,
        /// The limit.
        seconds: f64,
    },
    /// The run wrote more than allowed to its result stream or to stdout/stderr.
    #[error("function `{function}` wrote more than {limit} bytes to {stream} (killed)")]
    OutputTooLarge {
        /// The function.
        function: String,
        /// `"results"` (the driver's binary stream) or `"stdout/stderr"`.
        stream: String,
        /// The byte limit.
        limit: u64,
    },
    /// The function tried to write a file (`SIGXFSZ`: the file-size limit is 0).
    #[error("function `{function}` tried to write a file (SIGXFSZ, file-size limit 0)")]
    FileWrite {
        /// The function.
        function: String,
    },
    /// The process exited normally but returned fewer results than pairs were sent.
    #[error("function `{function}` returned {got} bytes of results where {expected} were expected{}", stderr_suffix(.stderr))]
    ShortOutput {
        /// The function.
        function: String,
        /// Bytes expected.
        expected: u64,
        /// Bytes received.
        got: u64,
        /// The start of what the process wrote to stdout/stderr.
        stderr: String,
    },
    /// Its outputs changed with the initial values of its out-pointers: it reads an out-pointer
    /// before writing it (often an array walked by pointer), or does not always write it.
    #[error(
        "function `{function}` misuses an out-pointer: its outputs changed with the out-pointers' initial values \
         (it reads one before writing it, e.g. as an input array, or does not always write it)"
    )]
    OutPointerMisuse {
        /// The function.
        function: String,
    },
    /// Two runs on the same inputs gave different outputs.
    #[error(
        "function `{function}` is nondeterministic: run {run} differs from run 0 at pair {pair}, output {output} ({first:e} vs {other:e})"
    )]
    Nondeterministic {
        /// The function.
        function: String,
        /// The run (1-based repeat) that differs from run 0.
        run: usize,
        /// The pair.
        pair: usize,
        /// The output within the pair.
        output: usize,
        /// Run 0's value.
        first: f64,
        /// The differing run's value.
        other: f64,
    },
    /// An output is NaN or infinite.
    #[error("function `{function}` gives a non-finite output ({value}) at pair {pair}, output {output}")]
    NonFinite {
        /// The function.
        function: String,
        /// The pair.
        pair: usize,
        /// The output within the pair.
        output: usize,
        /// The value.
        value: f64,
    },
    /// An output's magnitude reaches the configured bound (or does not fit an `f32`).
    #[error(
        "function `{function}` gives an output of magnitude ≥ {limit:e} ({value:e}) at pair {pair}, output {output}"
    )]
    HugeValue {
        /// The function.
        function: String,
        /// The pair.
        pair: usize,
        /// The output within the pair.
        output: usize,
        /// The value.
        value: f64,
        /// The bound.
        limit: f64,
    },
    /// The sandbox itself failed (could not create a directory, spawn a process, ...).
    #[error("function `{function}`: the sandbox failed: {message}")]
    Sandbox {
        /// The function.
        function: String,
        /// The I/O error or condition.
        message: String,
    },
    /// A bug in the harness (a panic caught by the batch runner).
    #[error("function `{function}`: internal harness error: {message}")]
    Internal {
        /// The function.
        function: String,
        /// The panic message.
        message: String,
    },
}

fn stderr_suffix(stderr: &str) -> String {
    let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.is_empty() { String::new() } else { format!("; it wrote: {}", first.trim()) }
}

impl Rejection {
    /// Every key [`Rejection::reason`] can return.
    pub const REASONS: &'static [&'static str] = &[
        "compile_error",
        "compile_timeout",
        "unsupported_signature",
        "invalid_inputs",
        "crash",
        "nonzero_exit",
        "timeout",
        "cpu_limit",
        "output_too_large",
        "file_write",
        "short_output",
        "out_pointer_misuse",
        "nondeterministic",
        "non_finite_output",
        "huge_output_value",
        "sandbox_error",
        "internal_error",
    ];

    /// A stable snake_case key for statistics, e.g. `"compile_error"`, `"crash"`, `"timeout"`.
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::Compile { .. } => "compile_error",
            Rejection::CompileTimeout { .. } => "compile_timeout",
            Rejection::Unsupported { .. } => "unsupported_signature",
            Rejection::InvalidInputs { .. } => "invalid_inputs",
            Rejection::Crash { .. } => "crash",
            Rejection::Exit { .. } => "nonzero_exit",
            Rejection::Timeout { .. } => "timeout",
            Rejection::CpuLimit { .. } => "cpu_limit",
            Rejection::OutputTooLarge { .. } => "output_too_large",
            Rejection::FileWrite { .. } => "file_write",
            Rejection::ShortOutput { .. } => "short_output",
            Rejection::OutPointerMisuse { .. } => "out_pointer_misuse",
            Rejection::Nondeterministic { .. } => "nondeterministic",
            Rejection::NonFinite { .. } => "non_finite_output",
            Rejection::HugeValue { .. } => "huge_output_value",
            Rejection::Sandbox { .. } => "sandbox_error",
            Rejection::Internal { .. } => "internal_error",
        }
    }

    /// The function the rejection is about.
    pub fn function(&self) -> &str {
        match self {
            Rejection::Compile { function, .. }
            | Rejection::CompileTimeout { function, .. }
            | Rejection::Unsupported { function, .. }
            | Rejection::InvalidInputs { function, .. }
            | Rejection::Crash { function, .. }
            | Rejection::Exit { function, .. }
            | Rejection::Timeout { function, .. }
            | Rejection::CpuLimit { function, .. }
            | Rejection::OutputTooLarge { function, .. }
            | Rejection::FileWrite { function }
            | Rejection::ShortOutput { function, .. }
            | Rejection::OutPointerMisuse { function }
            | Rejection::Nondeterministic { function, .. }
            | Rejection::NonFinite { function, .. }
            | Rejection::HugeValue { function, .. }
            | Rejection::Sandbox { function, .. }
            | Rejection::Internal { function, .. } => function,
        }
    }
}

/// The conventional name of a Linux signal number, e.g. `SIGSEGV` for 11.
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGCHLD => "SIGCHLD",
        libc::SIGSTOP => "SIGSTOP",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGSYS => "SIGSYS",
        _ => return format!("signal {signal}"),
    };
    name.to_string()
}
