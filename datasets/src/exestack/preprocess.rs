//! Stage 1: the system C preprocessor.
//!
//! As in the paper, a file is run through the preprocessor until no line starts with `#`, at most
//! twice, and dropped on the first failure. The output keeps the preprocessor's line markers
//! (`# 12 "foo.h" 1 3`, no `-P`): they are how [`extract`](super::extract) tells the file's own
//! code and its project headers from the system headers that were expanded into it. Line markers,
//! `#pragma` and `#ident` lines do not count as "lines starting with `#`" (they survive any number
//! of passes); any other directive left in the output triggers the second pass, which reads the
//! first pass's output on stdin.
//!
//! System headers are expanded (that makes the text self-contained); a project header that is not
//! found — typically `config.h`, written by `./configure` — fails the file with
//! [`PreprocessError::MissingHeader`]. `HAVE_CONFIG_H` is not defined, so files that guard their
//! `config.h` include get past it.
//!
//! The paper stops on the first failure, and so does [`Preprocessor::default`]. With
//! [`Preprocessor::tolerate_errors`] a pass that reported only non-fatal errors — `#error`
//! directives of a source tree nobody configured (`#error "sizeof void* unknown"`), `#if`
//! expressions over macros configure would have defined — is accepted: the compiler went on and
//! wrote the whole translation unit, and what it wrote is what the later stages read and the
//! harness compiles and runs, so a function survives only as far as that text is executable C.
//! A missing header and the other fatal errors still fail the file.
//!
//! Every call of the compiler runs in its own process group under a wall-time limit and is killed
//! (the whole group) when it runs over.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The standard headers a candidate function starts with (and the harness's driver includes):
/// whatever these headers declare is never copied into a candidate.
pub const STD_HEADERS: &[&str] = &["math.h", "stdlib.h", "string.h", "stdio.h", "stdint.h", "float.h", "limits.h"];

/// The C standard and POSIX headers, whose system copies a file always gets for `#include <…>`.
/// A package folder that holds one of them (a C library's `include/`, a project's own
/// `math.h` wrapper) or a folder such as `bits/` ([`SYSTEM_HEADER_FOLDERS`]) is searched for
/// `#include "…"` only (`-iquote`): C libraries such as musl, newlib or glibc ship headers that
/// need their own generated files, and their math code builds against any libc's `<math.h>`.
#[rustfmt::skip]
pub const SYSTEM_HEADERS: &[&str] = &[
    "assert.h", "complex.h", "ctype.h", "errno.h", "fenv.h", "float.h", "inttypes.h", "limits.h",
    "locale.h", "math.h", "setjmp.h", "signal.h", "stdarg.h", "stdbool.h", "stddef.h", "stdint.h",
    "stdio.h", "stdlib.h", "string.h", "strings.h", "tgmath.h", "time.h", "wchar.h", "wctype.h",
    "unistd.h", "fcntl.h", "memory.h", "malloc.h", "alloca.h", "endian.h", "features.h",
];

/// Folders of the C library's and the kernel's own headers (`<bits/types.h>`, `<sys/cdefs.h>`),
/// which system headers include from each other: a package folder with one of these (glibc's
/// `sysdeps/…/bits/`) would hijack them.
const SYSTEM_HEADER_FOLDERS: &[&str] = &["bits", "sys", "gnu", "asm", "asm-generic", "linux"];

/// Whether `dir` holds a header named like a system one ([`SYSTEM_HEADERS`]) or a folder of the
/// system's own headers ([`SYSTEM_HEADER_FOLDERS`]); remembered per folder.
fn shadows_system_headers(dir: &Path) -> bool {
    static SEEN: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<PathBuf, bool>>> =
        std::sync::LazyLock::new(Default::default);
    if let Some(&known) = SEEN.lock().unwrap_or_else(|e| e.into_inner()).get(dir) {
        return known;
    }
    let shadows = SYSTEM_HEADERS.iter().any(|h| dir.join(h).is_file())
        || SYSTEM_HEADER_FOLDERS.iter().any(|f| dir.join(f).is_dir());
    SEEN.lock().unwrap_or_else(|e| e.into_inner()).insert(dir.to_path_buf(), shadows);
    shadows
}

/// How files are preprocessed.
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocessor {
    /// The C compiler (default: `$CC`, else `cc`), run as `cc -E`.
    pub cc: String,
    /// The language standard, `-std=` (default `gnu11`, as the harness compiles).
    pub std: String,
    /// Macros defined with `-D` (default: `NDEBUG`, so `assert` does not drag `__assert_fail`
    /// into candidates; `HAVE_CONFIG_H` is deliberately not defined).
    pub defines: Vec<String>,
    /// Include directories (`-I`), searched after the file's own folder; one that holds a system
    /// header's name is passed as `-iquote` (see [`SYSTEM_HEADERS`]).
    pub include_dirs: Vec<PathBuf>,
    /// Wall time of one compiler call (killed after).
    pub time_limit: Duration,
    /// Largest accepted output of one pass.
    pub max_output_bytes: usize,
    /// Accept a pass that reported only non-fatal errors (see the module docs); default false,
    /// as the paper.
    pub tolerate_errors: bool,
}

impl Default for Preprocessor {
    /// `$CC`/`cc`, `-std=gnu11 -DNDEBUG`, no include dirs, 8 s per call, 64 MiB of output.
    fn default() -> Self {
        Preprocessor {
            cc: default_cc(),
            std: "gnu11".to_string(),
            defines: vec!["NDEBUG".to_string()],
            include_dirs: Vec::new(),
            time_limit: Duration::from_secs(8),
            max_output_bytes: 64 << 20,
            tolerate_errors: false,
        }
    }
}

/// The preprocessed text of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocessed {
    /// The output of the last pass, line markers included.
    pub text: String,
    /// Passes made (1 or 2).
    pub passes: usize,
    /// The first error lines of a pass whose non-fatal errors were tolerated
    /// ([`Preprocessor::tolerate_errors`]); `None` when every pass succeeded.
    pub tolerated_errors: Option<String>,
}

/// [`PreprocessError::reason`] of a failure other than a missing header, a timeout or a limit:
/// the one [`Preprocessor::tolerate_errors`] can turn into a pass.
pub(crate) const PREPROCESSOR_ERROR: &str = "preprocessor_error";

/// Why a file could not be preprocessed.
#[derive(Debug, thiserror::Error)]
pub enum PreprocessError {
    /// A header the file includes does not exist in the file's folder or the include dirs.
    #[error(
        "{file}: header `{header}` not found (a project header such as config.h needs its package configured, or an include dir): {first_errors}"
    )]
    MissingHeader {
        /// The file.
        file: PathBuf,
        /// The header as written in the `#include`.
        header: String,
        /// The compiler's first error lines.
        first_errors: String,
    },
    /// The preprocessor failed for another reason (`#error`, unterminated conditional, ...).
    #[error("{file}: the preprocessor failed ({status}): {first_errors}")]
    Compiler {
        /// The file.
        file: PathBuf,
        /// How the compiler exited.
        status: String,
        /// The compiler's first error lines.
        first_errors: String,
    },
    /// A pass ran over its wall-time limit and was killed.
    #[error("{file}: the preprocessor ran over {seconds} s and was killed")]
    Timeout {
        /// The file.
        file: PathBuf,
        /// The limit.
        seconds: f64,
    },
    /// A pass wrote more than [`Preprocessor::max_output_bytes`].
    #[error("{file}: the preprocessed text exceeds {limit} bytes")]
    OutputTooLarge {
        /// The file.
        file: PathBuf,
        /// The limit.
        limit: usize,
    },
    /// Lines starting with `#` (other than line markers and pragmas) remain after two passes.
    #[error("{file}: lines starting with `#` remain after two preprocessor passes, e.g. `{line}`")]
    DirectivesRemain {
        /// The file.
        file: PathBuf,
        /// The first such line.
        line: String,
    },
    /// The compiler could not be started, or its output could not be read.
    #[error("{file}: cannot run the C compiler `{cc}`: {source}")]
    Spawn {
        /// The file.
        file: PathBuf,
        /// The compiler.
        cc: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl PreprocessError {
    /// A short stable name for statistics: `missing_header`, `preprocessor_error`, `timeout`,
    /// `output_too_large`, `directives_remain`, `cannot_run_compiler`.
    pub fn reason(&self) -> &'static str {
        match self {
            PreprocessError::MissingHeader { .. } => "missing_header",
            PreprocessError::Compiler { .. } => PREPROCESSOR_ERROR,
            PreprocessError::Timeout { .. } => "timeout",
            PreprocessError::OutputTooLarge { .. } => "output_too_large",
            PreprocessError::DirectivesRemain { .. } => "directives_remain",
            PreprocessError::Spawn { .. } => "cannot_run_compiler",
        }
    }

    /// The file the error is about.
    pub fn file(&self) -> &Path {
        match self {
            PreprocessError::MissingHeader { file, .. }
            | PreprocessError::Compiler { file, .. }
            | PreprocessError::Timeout { file, .. }
            | PreprocessError::OutputTooLarge { file, .. }
            | PreprocessError::DirectivesRemain { file, .. }
            | PreprocessError::Spawn { file, .. } => file,
        }
    }
}

impl Preprocessor {
    /// A preprocessor with the default settings and these include dirs.
    pub fn with_include_dirs(include_dirs: &[PathBuf]) -> Preprocessor {
        Preprocessor { include_dirs: include_dirs.to_vec(), ..Preprocessor::default() }
    }

    /// Preprocesses `file` (at most two passes; see the module docs).
    pub fn run(&self, file: &Path) -> Result<Preprocessed, PreprocessError> {
        self.run_until(file, None)
    }

    /// [`Preprocessor::run`], each pass also killed at `deadline`.
    pub(crate) fn run_until(&self, file: &Path, deadline: Option<Instant>) -> Result<Preprocessed, PreprocessError> {
        let mut args = self.flags(file);
        args.push(file.as_os_str().to_string_lossy().into_owned());
        let (mut text, mut tolerated_errors) = self.pass(file, &args, None, deadline)?;
        let mut passes = 1;
        while let Some(line) = first_directive(&text) {
            if passes == 2 {
                return Err(PreprocessError::DirectivesRemain { file: file.to_path_buf(), line: line.to_string() });
            }
            let mut args = self.flags(file);
            args.extend(["-x", "c", "-"].map(String::from));
            let (next, errors) = self.pass(file, &args, Some(text.into_bytes()), deadline)?;
            text = next;
            tolerated_errors = tolerated_errors.or(errors);
            passes += 1;
        }
        Ok(Preprocessed { text, passes, tolerated_errors })
    }

    fn flags(&self, file: &Path) -> Vec<String> {
        let mut args = vec!["-E".to_string(), format!("-std={}", self.std)];
        args.extend(self.defines.iter().map(|d| format!("-D{d}")));
        let own = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        for dir in std::iter::once(own).chain(self.include_dirs.iter().map(PathBuf::as_path)) {
            if shadows_system_headers(dir) {
                args.extend(["-iquote".to_string(), dir.display().to_string()]);
            } else {
                args.push(format!("-I{}", dir.display()));
            }
        }
        args
    }

    fn pass(
        &self,
        file: &Path,
        args: &[String],
        stdin: Option<Vec<u8>>,
        deadline: Option<Instant>,
    ) -> Result<(String, Option<String>), PreprocessError> {
        let limit =
            deadline.map_or(self.time_limit, |d| self.time_limit.min(d.saturating_duration_since(Instant::now())));
        let out = run_compiler(&self.cc, args, stdin, limit, self.max_output_bytes).map_err(|e| match e {
            RunError::Spawn(source) => PreprocessError::Spawn { file: file.to_path_buf(), cc: self.cc.clone(), source },
            RunError::Timeout => {
                PreprocessError::Timeout { file: file.to_path_buf(), seconds: self.time_limit.as_secs_f64() }
            }
            RunError::TooLarge => {
                PreprocessError::OutputTooLarge { file: file.to_path_buf(), limit: self.max_output_bytes }
            }
        })?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            return Ok((text, None));
        }
        let first_errors = first_error_lines(&out.stderr);
        if let Some(header) = missing_header(&out.stderr) {
            return Err(PreprocessError::MissingHeader { file: file.to_path_buf(), header, first_errors });
        }
        if self.tolerate_errors && only_nonfatal_errors(out.status, &out.stderr) && !text.trim().is_empty() {
            return Ok((text, Some(first_errors)));
        }
        Err(PreprocessError::Compiler { file: file.to_path_buf(), status: out.status.to_string(), first_errors })
    }
}

/// `$CC` if set and not blank, else `cc` (the harness's default too).
pub(crate) fn default_cc() -> String {
    std::env::var("CC").ok().filter(|c| !c.trim().is_empty()).unwrap_or_else(|| "cc".to_string())
}

/// Whether a line of preprocessor output is a line marker: `# 12 "file" flags`.
pub(crate) fn is_line_marker(line: &str) -> bool {
    let rest = line.trim_start().strip_prefix('#').map(str::trim_start);
    rest.is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()) || r.starts_with("line "))
}

/// The first line that starts with `#` and is not a line marker, `#pragma` or `#ident`.
fn first_directive(text: &str) -> Option<&str> {
    text.lines().find(|l| {
        let t = l.trim_start();
        t.starts_with('#') && !is_line_marker(t) && {
            let d = t[1..].trim_start();
            !(d.starts_with("pragma") || d.starts_with("ident") || d.is_empty())
        }
    })
}

/// The header named by the compiler's "fatal error: foo.h: No such file or directory".
fn missing_header(stderr: &str) -> Option<String> {
    stderr.lines().find_map(|l| {
        let rest = &l[l.find("fatal error: ")? + "fatal error: ".len()..];
        rest.strip_suffix(": No such file or directory").map(str::to_string)
    })
}

/// Whether the compiler exited with status 1 (not a signal, not a crash) having reported no fatal
/// error: GCC and Clang then preprocessed the whole file and wrote it out.
fn only_nonfatal_errors(status: ExitStatus, stderr: &str) -> bool {
    status.code() == Some(1) && !stderr.contains("fatal error")
}

/// The compiler's first error lines (at most 3, joined by ` | `), else its first lines.
fn first_error_lines(stderr: &str) -> String {
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).take(3).collect();
    let lines =
        if errors.is_empty() { stderr.lines().filter(|l| !l.trim().is_empty()).take(3).collect() } else { errors };
    if lines.is_empty() {
        "(no message)".to_string()
    } else {
        lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" | ")
    }
}

/// What a compiler call gave.
pub(crate) struct CompilerOutput {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Why a compiler call gave nothing.
pub(crate) enum RunError {
    Spawn(std::io::Error),
    Timeout,
    TooLarge,
}

/// Runs `cc args` in its own process group with `stdin` (or `/dev/null`), collecting its output;
/// kills the group after `limit` or once stdout exceeds `max_stdout` bytes.
pub(crate) fn run_compiler(
    cc: &str,
    args: &[String],
    stdin: Option<Vec<u8>>,
    limit: Duration,
    max_stdout: usize,
) -> Result<CompilerOutput, RunError> {
    let mut cmd = Command::new(cc);
    cmd.args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn().map_err(RunError::Spawn)?;
    let group = child.id() as libc::pid_t;
    let kill_group = || {
        // SAFETY: kill(2) on the process group this function created.
        unsafe { libc::kill(-group, libc::SIGKILL) };
    };
    let writer = match (stdin, child.stdin.take()) {
        (Some(bytes), Some(mut pipe)) => Some(std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })),
        _ => None,
    };
    let overflow = Arc::new(AtomicBool::new(false));
    let mut out_pipe = child.stdout.take().expect("stdout is piped");
    let flag = Arc::clone(&overflow);
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1 << 16];
        loop {
            match out_pipe.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) if buf.len() + n > max_stdout => {
                    flag.store(true, Ordering::SeqCst);
                    break;
                }
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf
    });
    let mut err_pipe = child.stderr.take().expect("stderr is piped");
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut err_pipe).take(1 << 20).read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    });
    let start = Instant::now();
    let mut nap = Duration::from_millis(1);
    let outcome = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) => {}
            Err(e) => {
                kill_group();
                break Err(RunError::Spawn(e));
            }
        }
        if overflow.load(Ordering::SeqCst) {
            kill_group();
            break Err(RunError::TooLarge);
        }
        if start.elapsed() >= limit {
            kill_group();
            break Err(RunError::Timeout);
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(20));
    };
    if outcome.is_err() {
        // Killed above; reap it (the pid, and so the group id, stays ours until then).
        let _ = child.wait();
    }
    // The compiler exited or its group is dead: the pipes close and the threads end.
    let stdout = reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    if let Some(w) = writer {
        let _ = w.join();
    }
    let status = outcome?;
    if overflow.load(Ordering::SeqCst) {
        return Err(RunError::TooLarge);
    }
    Ok(CompilerOutput { status, stdout, stderr })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_markers_and_directives() {
        assert!(is_line_marker("# 12 \"foo.h\" 1 3"));
        assert!(is_line_marker("#line 3 \"x.c\""));
        assert!(!is_line_marker("#pragma once"));
        assert_eq!(first_directive("# 1 \"a.c\"\n#pragma omp parallel\nint x;\n"), None);
        assert_eq!(first_directive("int x;\n  # define Y 1\n"), Some("  # define Y 1"));
    }

    #[test]
    fn parses_missing_header_messages() {
        let log = "b.c:1:10: fatal error: config.h: No such file or directory\n    1 | #include \"config.h\"\ncompilation terminated.\n";
        assert_eq!(missing_header(log).as_deref(), Some("config.h"));
        assert_eq!(first_error_lines(log), "b.c:1:10: fatal error: config.h: No such file or directory");
        assert_eq!(missing_header("a.c:3:2: error: #error no\n"), None);
    }

    #[test]
    fn kills_a_compiler_that_runs_over() {
        let args = ["-c".to_string(), "sleep 5".to_string()];
        let t = Instant::now();
        let r = run_compiler("sh", &args, None, Duration::from_millis(200), 1 << 10);
        assert!(matches!(r, Err(RunError::Timeout)));
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
        let args = ["-c".to_string(), "yes".to_string()];
        assert!(matches!(run_compiler("sh", &args, None, Duration::from_secs(5), 1 << 16), Err(RunError::TooLarge)));
    }
}
