//! The sandboxed C harness: compiles a C function with a generated driver, runs it as a contained
//! child process on a batch of inputs, and returns its I/O pairs, or a [`Rejection`] saying why
//! the function was dropped.
//!
//! * [`Harness::compile`] generates the driver (see `docs/harness.md` for the protocol) and
//!   compiles it with the system C compiler under a wall-time limit.
//! * [`CompiledFunction::run`] streams inputs in and outputs out, in binary, under the
//!   [`Limits`] and the measures listed by [`Harness::isolation`].
//! * [`Harness::evaluate`] repeats the run to detect nondeterminism and checks the outputs.
//! * [`Harness::evaluate_batch`] does that for many functions; a function's failure, whatever it
//!   is, becomes its [`Outcome`] and the batch goes on. [`Journal`] records outcomes as JSON lines.

mod batch;
mod driver;
mod rejection;
mod sandbox;

use std::collections::HashMap;
use std::ffi::CString;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use batch::{Job, Journal, JournalEntry, Outcome, append_journal};
pub use rejection::{Rejection, signal_name};
pub use sandbox::Isolation;

use crate::IoPairs;
use crate::signature::Signature;
use driver::OUT_POINTER_MISUSE_EXIT;
use sandbox::{Containment, Ended, Watch};

/// Resource limits of one compilation and one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Wall time of one run (killed after).
    pub wall: Duration,
    /// CPU time of one run (`RLIMIT_CPU`, rounded up to whole seconds; SIGXCPU).
    pub cpu: Duration,
    /// Address space of the run's process (`RLIMIT_AS`).
    pub address_space_bytes: u64,
    /// Wall time of the compilation (killed after).
    pub compile_wall: Duration,
    /// Stack size (`RLIMIT_STACK`).
    pub stack_bytes: u64,
    /// Processes/threads the run's uid may have at once (`RLIMIT_NPROC`; per run only with a
    /// per-run uid, see [`Isolation::unprivileged_uid`]).
    pub max_processes: u64,
    /// Bytes the function may print to stdout/stderr together before it is killed.
    pub max_log_bytes: u64,
}

impl Default for Limits {
    /// Wall 10 s, CPU 5 s, 1 GiB address space, compile 30 s, 8 MiB stack, 32 processes, 1 MiB of
    /// printed output.
    fn default() -> Self {
        Limits {
            wall: Duration::from_secs(10),
            cpu: Duration::from_secs(5),
            address_space_bytes: 1 << 30,
            compile_wall: Duration::from_secs(30),
            stack_bytes: 8 << 20,
            max_processes: 32,
            max_log_bytes: 1 << 20,
        }
    }
}

/// How the harness compiles and runs functions.
#[derive(Debug, Clone, PartialEq)]
pub struct HarnessConfig {
    /// The C compiler (default: `$CC`, else `cc`).
    pub cc: String,
    /// Compiler flags before the sources (default `-O2 -std=gnu11 -ffp-contract=off`; `-lm` is
    /// always appended).
    pub cflags: Vec<String>,
    /// Resource limits.
    pub limits: Limits,
    /// Runs on the same inputs to detect nondeterminism (default 5; at least 1 run is made).
    pub runs: usize,
    /// Reject a function if any output has `|y| >= max_abs_output` (default `None`: only values
    /// that do not fit an `f32` are rejected).
    pub max_abs_output: Option<f64>,
    /// The uids handed out to runs when running as root (each run leases one exclusively).
    /// Default `1_990_000_000..1_990_004_096`, far from system, user and container ranges.
    pub sandbox_uids: std::ops::Range<u32>,
}

impl Default for HarnessConfig {
    fn default() -> Self {
        HarnessConfig {
            cc: std::env::var("CC").ok().filter(|c| !c.trim().is_empty()).unwrap_or_else(|| "cc".to_string()),
            cflags: ["-O2", "-std=gnu11", "-ffp-contract=off"].map(String::from).to_vec(),
            limits: Limits::default(),
            runs: 5,
            max_abs_output: None,
            sandbox_uids: 1_990_000_000..1_990_004_096,
        }
    }
}

/// Compiles and runs C functions in a sandbox.
#[derive(Debug, Clone)]
pub struct Harness {
    config: HarnessConfig,
    isolation: Isolation,
    drivers: Arc<DriverObjects>,
}

/// The compiled driver (`main_unit`) of each function shape: it depends on the numbers of inputs
/// and outputs alone, so it is compiled once per shape and process and linked with every function
/// of that shape (about 25–35 ms of a function's compile saved; docs/harness.md).
#[derive(Debug, Default)]
struct DriverObjects(Mutex<DriverCache>);

/// The objects' folder (made on first use) and each shape's object in it.
#[derive(Debug, Default)]
struct DriverCache {
    dir: Option<tempfile::TempDir>,
    objects: HashMap<(usize, usize), PathBuf>,
}

/// A function compiled with its driver, ready to run.
#[derive(Debug)]
pub struct CompiledFunction {
    signature: Signature,
    config: HarnessConfig,
    isolation: Isolation,
    binary: File,
    _dir: tempfile::TempDir,
}

/// Bytes of stderr kept for messages.
const LOG_KEEP: usize = 4096;

impl Harness {
    /// A harness; finds out (once per process) which sandbox measures this machine permits.
    pub fn new(config: HarnessConfig) -> Harness {
        let isolation = sandbox::probe(config.sandbox_uids.start);
        Harness { config, isolation, drivers: Arc::default() }
    }

    /// The driver object for `signature`'s shape, compiled on first use. It is generated code,
    /// so a failure here is the toolchain's (no compiler, a full disk), not the function's.
    fn driver_object(&self, signature: &Signature) -> Result<PathBuf, String> {
        let shape = (signature.n_in(), signature.n_out());
        let mut cache = self.drivers.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(path) = cache.objects.get(&shape) {
            return Ok(path.clone());
        }
        if cache.dir.is_none() {
            cache.dir = Some(tempfile::Builder::new().prefix("compnet-drivers-").tempdir().map_err(|e| e.to_string())?);
        }
        let dir = cache.dir.as_ref().expect("made above");
        let (source, object) = (
            dir.path().join(format!("driver-{}-{}.c", shape.0, shape.1)),
            dir.path().join(format!("driver-{}-{}.o", shape.0, shape.1)),
        );
        std::fs::write(&source, driver::main_unit(signature)).map_err(|e| format!("{}: {e}", source.display()))?;
        let out = Command::new(&self.config.cc)
            .args(&self.config.cflags)
            .arg("-c")
            .arg(&source)
            .arg("-o")
            .arg(&object)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run the C compiler `{}`: {e}", self.config.cc))?;
        if !out.status.success() {
            return Err(format!("the driver did not compile: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        cache.objects.insert(shape, object.clone());
        Ok(object)
    }

    /// The configuration.
    pub fn config(&self) -> &HarnessConfig {
        &self.config
    }

    /// The sandbox measures actually applied on this machine (for reports/README).
    pub fn isolation(&self) -> Isolation {
        self.isolation.clone()
    }

    /// Generates the driver and compiles it in a private temp dir.
    pub fn compile(&self, source: &str, signature: &Signature) -> Result<CompiledFunction, Rejection> {
        let function = signature.function.clone();
        let unsupported =
            |problem: &str| Rejection::Unsupported { function: function.clone(), problem: problem.into() };
        if signature.n_in() == 0 {
            return Err(unsupported("it has no input parameter"));
        }
        if signature.n_out() == 0 {
            return Err(unsupported("it returns void and has no out-pointer parameter"));
        }
        let sandbox = |e: std::io::Error| Rejection::Sandbox { function: function.clone(), message: e.to_string() };
        let dir = tempfile::Builder::new().prefix("compnet-harness-").tempdir().map_err(sandbox)?;
        let file_name = format!("{function}.c");
        std::fs::write(dir.path().join("function.c"), driver::function_unit(source, signature, &file_name))
            .map_err(sandbox)?;
        let driver_object = self
            .driver_object(signature)
            .map_err(|message| Rejection::Sandbox { function: function.clone(), message })?;
        let limits = &self.config.limits;
        let cpu = limits.compile_wall.as_secs_f64().ceil().max(1.0) as libc::rlim_t;
        let mut cmd = Command::new(&self.config.cc);
        cmd.args(&self.config.cflags)
            .args(["-o", "driver", "function.c"])
            .arg(&driver_object)
            .arg("-lm")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // SAFETY: the hook only calls setrlimit (async-signal-safe).
        unsafe {
            cmd.pre_exec(move || {
                for (res, soft, hard) in [(libc::RLIMIT_CPU, cpu, cpu + 1), (libc::RLIMIT_CORE, 0, 0)] {
                    if libc::setrlimit(res, &libc::rlimit { rlim_cur: soft, rlim_max: hard }) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            })
        };
        let child = cmd.spawn().map_err(|e| Rejection::Sandbox {
            function: function.clone(),
            message: format!("cannot run the C compiler `{}`: {e}", self.config.cc),
        })?;
        let watch = Watch {
            input: &[],
            stdout_cap: 1 << 20,
            log_cap: u64::MAX,
            log_keep: 16 << 10,
            wall: limits.compile_wall,
            kill_uid: None,
        };
        let done = sandbox::supervise(child, &watch).map_err(sandbox)?;
        if done.ended == Ended::TimedOut {
            return Err(Rejection::CompileTimeout { function, seconds: limits.compile_wall.as_secs_f64() });
        }
        if !done.status.success() {
            let first_error =
                first_error_line(&done.log).unwrap_or_else(|| format!("the compiler failed ({})", done.status));
            return Err(Rejection::Compile { function, first_error, stderr: done.log });
        }
        let path = dir.path().join("driver");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(sandbox)?;
        let binary = File::open(&path).map_err(sandbox)?;
        Ok(CompiledFunction {
            signature: signature.clone(),
            config: self.config.clone(),
            isolation: self.isolation.clone(),
            binary,
            _dir: dir,
        })
    }

    /// Compiles, runs `runs` times on the same inputs (row-major, `len = k * n_in`), checks that
    /// all runs agree bitwise (all NaNs count as equal) and that outputs are finite and below
    /// [`HarnessConfig::max_abs_output`], and returns the pairs as `f32`.
    pub fn evaluate(&self, source: &str, signature: &Signature, inputs: &[f32]) -> Result<IoPairs, Rejection> {
        let function = signature.function.clone();
        let (n_in, n_out) = (signature.n_in(), signature.n_out());
        let invalid = |problem: String| Rejection::InvalidInputs { function: function.clone(), problem };
        if n_in > 0 && !inputs.len().is_multiple_of(n_in) {
            return Err(invalid(format!("{} values are not a whole number of pairs of {n_in} inputs", inputs.len())));
        }
        if let Some(i) = inputs.iter().position(|v| !v.is_finite()) {
            return Err(invalid(format!("input value {i} is {}", inputs[i])));
        }
        let compiled = self.compile(source, signature)?;
        let bytes = input_bytes(inputs);
        let first = compiled.run_bytes(&bytes)?;
        for run in 1..self.config.runs.max(1) {
            let other = compiled.run_bytes(&bytes)?;
            if let Some(i) = (0..first.len()).find(|&i| !same_bits(first[i], other[i])) {
                return Err(Rejection::Nondeterministic {
                    function,
                    run,
                    pair: i / n_out,
                    output: i % n_out,
                    first: first[i],
                    other: other[i],
                });
            }
        }
        let mut outputs = Vec::with_capacity(first.len());
        for (i, &y) in first.iter().enumerate() {
            let (pair, output) = (i / n_out, i % n_out);
            if !y.is_finite() {
                return Err(Rejection::NonFinite { function, pair, output, value: y });
            }
            if let Some(limit) = self.config.max_abs_output.filter(|l| y.abs() >= *l) {
                return Err(Rejection::HugeValue { function, pair, output, value: y, limit });
            }
            let y32 = y as f32;
            if !y32.is_finite() {
                return Err(Rejection::HugeValue { function, pair, output, value: y, limit: f64::from(f32::MAX) });
            }
            outputs.push(y32);
        }
        IoPairs::new(n_in, n_out, inputs.to_vec(), outputs)
            .map_err(|e| Rejection::Internal { function, message: e.to_string() })
    }

    /// Evaluates every job; each job's result, whatever happened (including a panic inside the
    /// harness), becomes its [`Outcome`], and the batch always goes on.
    pub fn evaluate_batch<'a>(&self, jobs: impl IntoIterator<Item = Job<'a>>) -> Vec<Outcome> {
        self.evaluate_batch_with(jobs, |_| {})
    }

    /// [`Harness::evaluate_batch`], calling `on_outcome` as each job finishes (for progress bars
    /// and [`Journal::record`]).
    pub fn evaluate_batch_with<'a>(
        &self,
        jobs: impl IntoIterator<Item = Job<'a>>,
        mut on_outcome: impl FnMut(&Outcome),
    ) -> Vec<Outcome> {
        jobs.into_iter()
            .map(|job| {
                let run = std::panic::AssertUnwindSafe(|| self.evaluate(job.source, job.signature, job.inputs));
                let result = std::panic::catch_unwind(run).unwrap_or_else(|panic| {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "panic".to_string());
                    Err(Rejection::Internal { function: job.signature.function.clone(), message })
                });
                let outcome = Outcome { name: job.name.to_string(), result };
                on_outcome(&outcome);
                outcome
            })
            .collect()
    }
}

impl CompiledFunction {
    /// The function's signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Runs the function once on `inputs` (row-major, `k * n_in` values) in the sandbox and
    /// returns the `k * n_out` outputs as the driver computed them (`f64`, unchecked).
    pub fn run(&self, inputs: &[f32]) -> Result<Vec<f64>, Rejection> {
        let n_in = self.signature.n_in();
        if !inputs.len().is_multiple_of(n_in) {
            return Err(Rejection::InvalidInputs {
                function: self.signature.function.clone(),
                problem: format!("{} values are not a whole number of pairs of {n_in} inputs", inputs.len()),
            });
        }
        self.run_bytes(&input_bytes(inputs))
    }

    fn run_bytes(&self, input: &[u8]) -> Result<Vec<f64>, Rejection> {
        let function = &self.signature.function;
        let sandbox = |e: std::io::Error| Rejection::Sandbox { function: function.clone(), message: e.to_string() };
        let limits = &self.config.limits;
        let pairs = input.len() / 8 / self.signature.n_in();
        let expected = (pairs * self.signature.n_out() * 8) as u64;
        let iso = &self.isolation;
        let lease = if iso.unprivileged_uid {
            Some(sandbox::lease_uid(&self.config.sandbox_uids).map_err(sandbox)?)
        } else {
            None
        };
        let uid = lease.as_ref().map(|l| l.uid);
        let private_tmp = iso.private_mounts.iter().any(|p| p == std::path::Path::new("/tmp"));
        // Without a private /tmp mount, the working directory is a fresh directory of our own.
        let work_dir = if private_tmp {
            None
        } else {
            let d = tempfile::Builder::new().prefix("compnet-run-").tempdir().map_err(sandbox)?;
            if let Some(uid) = uid {
                std::os::unix::fs::chown(d.path(), Some(uid), Some(uid)).map_err(sandbox)?;
            }
            std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o700)).map_err(sandbox)?;
            Some(d)
        };
        let cstring = |s: String| CString::new(s).map_err(|e| sandbox(std::io::Error::other(e)));
        let cwd = match &work_dir {
            Some(d) => cstring(d.path().to_string_lossy().into_owned())?,
            None => cstring("/tmp".to_string())?,
        };
        let mut mounts = Vec::new();
        for dir in &iso.private_mounts {
            let opts = match uid {
                Some(u) if dir == std::path::Path::new("/tmp") => format!("size=1m,mode=0700,uid={u},gid={u}"),
                _ => "size=1m,mode=1777".to_string(),
            };
            mounts.push((cstring(dir.to_string_lossy().into_owned())?, cstring(opts)?));
        }
        let containment = Containment {
            binary_fd: self.binary.as_raw_fd(),
            uid,
            network_namespace: iso.network_namespace,
            mounts,
            cwd,
            rlimits: Containment::rlimits(limits),
        };
        let child = containment.command().spawn().map_err(|e| Rejection::Sandbox {
            function: function.clone(),
            message: format!("cannot start the driver: {e}"),
        })?;
        let watch = Watch {
            input,
            stdout_cap: expected,
            log_cap: limits.max_log_bytes,
            log_keep: LOG_KEEP,
            wall: limits.wall,
            kill_uid: uid,
        };
        let done = sandbox::supervise(child, &watch).map_err(sandbox)?;
        drop(lease);
        let function = function.clone();
        match done.ended {
            Ended::TimedOut => return Err(Rejection::Timeout { function, seconds: limits.wall.as_secs_f64() }),
            Ended::StdoutOverflow => {
                return Err(Rejection::OutputTooLarge { function, stream: "results".into(), limit: expected });
            }
            Ended::LogOverflow => {
                return Err(Rejection::OutputTooLarge {
                    function,
                    stream: "stdout/stderr".into(),
                    limit: limits.max_log_bytes,
                });
            }
            Ended::Exited => {}
        }
        let stderr = done.log;
        match (done.status.signal(), done.status.code()) {
            (Some(libc::SIGXCPU), _) => Err(Rejection::CpuLimit { function, seconds: limits.cpu.as_secs_f64() }),
            (Some(libc::SIGXFSZ), _) => Err(Rejection::FileWrite { function }),
            (Some(number), _) => Err(Rejection::Crash { function, signal: signal_name(number), number, stderr }),
            (None, Some(0)) if done.stdout.len() as u64 == expected => Ok(done
                .stdout
                .chunks_exact(8)
                .map(|c| f64::from_ne_bytes(c.try_into().expect("8-byte chunk")))
                .collect()),
            (None, Some(0)) => {
                Err(Rejection::ShortOutput { function, expected, got: done.stdout.len() as u64, stderr })
            }
            (None, Some(OUT_POINTER_MISUSE_EXIT)) => Err(Rejection::OutPointerMisuse { function }),
            (None, code) => Err(Rejection::Exit { function, code: code.unwrap_or(-1), stderr }),
        }
    }
}

/// Inputs as the driver reads them: native-endian `f64`.
fn input_bytes(inputs: &[f32]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(inputs.len() * 8);
    for &v in inputs {
        bytes.extend_from_slice(&f64::from(v).to_ne_bytes());
    }
    bytes
}

/// Bitwise equality where every NaN equals every other NaN.
fn same_bits(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The first line of compiler output that reports an error (compiler or linker).
fn first_error_line(log: &str) -> Option<String> {
    let is_error =
        |l: &&str| l.contains("error:") || l.contains("undefined reference") || l.contains("multiple definition");
    log.lines().find(is_error).or_else(|| log.lines().find(|l| !l.trim().is_empty())).map(|l| l.trim().to_string())
}
