//! Running a program as a contained child process: the isolation measures, the per-run
//! unprivileged uid, the supervision loop (input, output caps, wall-time deadline) and the
//! clean-up that kills everything the run started.

use std::ffi::CString;
use std::fmt;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Limits;

/// The sandbox measures actually applied to each run on this machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Isolation {
    /// The run is a new session and process group, killed as a whole at the end (always).
    pub process_group: bool,
    /// CPU time, address space, stack, file size 0, core 0, process count, open files (always).
    pub rlimits: bool,
    /// The environment is cleared (always).
    pub cleared_environment: bool,
    /// The working directory is a fresh private directory (always).
    pub private_temp_dir: bool,
    /// `PR_SET_NO_NEW_PRIVS`: set-uid programs cannot raise privileges (Linux).
    pub no_new_privileges: bool,
    /// The run has its own unprivileged uid/gid (needs root); RLIMIT_NPROC then applies to the
    /// run alone and every process of that uid is killed at the end.
    pub unprivileged_uid: bool,
    /// The run has its own empty network namespace (needs root): no network at all.
    pub network_namespace: bool,
    /// The run has its own mount namespace with fresh tmpfs over these directories (needs root).
    pub private_mounts: Vec<PathBuf>,
}

impl Isolation {
    /// Human-readable list of the measures, one per line, `[x]` applied / `[ ]` not applied.
    pub fn describe(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Isolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = |b: bool| if b { "[x]" } else { "[ ]" };
        writeln!(f, "{} new session + process group, killed at the end", mark(self.process_group))?;
        writeln!(
            f,
            "{} rlimits: CPU time, address space, stack, file size 0, no core, process count, open files",
            mark(self.rlimits)
        )?;
        writeln!(f, "{} cleared environment", mark(self.cleared_environment))?;
        writeln!(f, "{} private working directory", mark(self.private_temp_dir))?;
        writeln!(f, "{} no new privileges (set-uid programs inert)", mark(self.no_new_privileges))?;
        writeln!(
            f,
            "{} unprivileged per-run uid/gid, all its processes killed at the end",
            mark(self.unprivileged_uid)
        )?;
        writeln!(f, "{} network namespace (no network)", mark(self.network_namespace))?;
        let mounts: Vec<String> = self.private_mounts.iter().map(|p| p.display().to_string()).collect();
        write!(
            f,
            "{} mount namespace with private tmpfs over {}",
            mark(!mounts.is_empty()),
            if mounts.is_empty() { "-".to_string() } else { mounts.join(", ") }
        )
    }
}

/// Directories that get a fresh tmpfs in the run's mount namespace (those that exist).
const PRIVATE_DIRS: &[&str] = &["/tmp", "/var/tmp", "/dev/shm"];

/// Finds out once per process which measures this machine permits, by trying them in a
/// throw-away child.
pub(crate) fn probe(probe_uid: u32) -> Isolation {
    static PROBED: OnceLock<Isolation> = OnceLock::new();
    PROBED.get_or_init(|| probe_now(probe_uid)).clone()
}

fn probe_now(probe_uid: u32) -> Isolation {
    let mut iso = Isolation {
        process_group: true,
        rlimits: true,
        cleared_environment: true,
        private_temp_dir: true,
        no_new_privileges: cfg!(target_os = "linux"),
        unprivileged_uid: false,
        network_namespace: false,
        private_mounts: Vec::new(),
    };
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return iso;
    }
    let dirs: Vec<&str> = PRIVATE_DIRS.iter().copied().filter(|d| Path::new(d).is_dir()).collect();
    let targets: Vec<CString> = dirs.iter().map(|d| CString::new(*d).expect("no NUL")).collect();
    let opts = c"size=1m,mode=1777";
    // SAFETY: the child only makes raw system calls (async-signal-safe) and exits with _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let mut code = 0;
        // SAFETY: plain system calls with valid, NUL-terminated arguments prepared before fork.
        unsafe {
            if libc::unshare(libc::CLONE_NEWNET) == 0 {
                code |= 1;
            }
            let mut mounted = libc::unshare(libc::CLONE_NEWNS) == 0
                && libc::mount(
                    std::ptr::null(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ) == 0;
            for t in &targets {
                mounted = mounted
                    && libc::mount(
                        c"tmpfs".as_ptr(),
                        t.as_ptr(),
                        c"tmpfs".as_ptr(),
                        libc::MS_NOSUID | libc::MS_NODEV,
                        opts.as_ptr().cast(),
                    ) == 0;
            }
            if mounted {
                code |= 2;
            }
            if set_ids(probe_uid) {
                code |= 4;
            }
            libc::_exit(code);
        }
    }
    if pid < 0 {
        return iso;
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { 0 };
    iso.network_namespace = code & 1 != 0;
    if code & 2 != 0 {
        iso.private_mounts = dirs.iter().map(PathBuf::from).collect();
    }
    iso.unprivileged_uid = code & 4 != 0;
    iso
}

/// Drops supplementary groups and sets real, effective and saved uid and gid to `id` with raw
/// system calls (no libc thread bookkeeping: safe after fork). Returns false on failure.
fn set_ids(id: u32) -> bool {
    // SAFETY: raw credential system calls with integer arguments.
    unsafe {
        libc::syscall(libc::SYS_setgroups, 0usize, std::ptr::null::<libc::gid_t>()) == 0
            && libc::syscall(libc::SYS_setresgid, id, id, id) == 0
            && libc::syscall(libc::SYS_setresuid, id, id, id) == 0
    }
}

/// Kills every process running as `uid`, from a child that takes that uid and sends SIGKILL to
/// all processes it may signal. Forks started concurrently cannot escape: the kernel refuses a
/// fork in a process with a pending SIGKILL. The killed processes are orphans; init reaps them.
pub(crate) fn kill_uid(uid: u32) {
    // SAFETY: the child only makes raw system calls and exits with _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: see above.
        unsafe {
            if libc::syscall(libc::SYS_setresuid, uid, uid, uid) == 0 {
                libc::kill(-1, libc::SIGKILL);
            }
            libc::_exit(0);
        }
    }
    if pid > 0 {
        let mut status = 0;
        // SAFETY: waiting for our own child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
    }
}

/// A uid reserved for one run: an exclusive `flock` on a lock file, so concurrent harnesses in
/// this or other processes never share a uid.
#[derive(Debug)]
pub(crate) struct UidLease {
    pub uid: u32,
    _lock: File,
}

pub(crate) fn lease_uid(range: &std::ops::Range<u32>) -> io::Result<UidLease> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = range.end.saturating_sub(range.start);
    if n == 0 {
        return Err(io::Error::other("the sandbox uid range is empty"));
    }
    let dir = std::env::temp_dir().join("compnet-sandbox-uids");
    std::fs::create_dir_all(&dir)?;
    let start = NEXT.fetch_add(1, Ordering::Relaxed).wrapping_add(std::process::id().wrapping_mul(7919));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        for k in 0..n {
            let uid = range.start + (start.wrapping_add(k) % n);
            let lock = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(dir.join(format!("{uid}.lock")))?;
            // SAFETY: flock on a descriptor we own.
            if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                return Ok(UidLease { uid, _lock: lock });
            }
        }
        if Instant::now() > deadline {
            return Err(io::Error::other(format!("all {n} sandbox uids are busy")));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How a supervised process ended, as far as the supervisor is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// It exited (normally or by a signal) on its own.
    Exited,
    /// The wall-time deadline passed; it was killed.
    TimedOut,
    /// It wrote more than the cap to stdout; it was killed.
    StdoutOverflow,
    /// It wrote more than the cap to stderr; it was killed.
    LogOverflow,
}

/// What a supervised process did.
#[derive(Debug)]
pub(crate) struct Supervised {
    pub status: ExitStatus,
    pub ended: Ended,
    pub stdout: Vec<u8>,
    /// The first bytes of stderr (lossy UTF-8).
    pub log: String,
}

/// Caps and deadline for [`supervise`].
pub(crate) struct Watch<'a> {
    pub input: &'a [u8],
    pub stdout_cap: u64,
    pub log_cap: u64,
    pub log_keep: usize,
    pub wall: Duration,
    pub kill_uid: Option<u32>,
}

struct Pipe {
    fd: RawFd,
    open: bool,
    total: u64,
}

impl Pipe {
    fn new(fd: Option<RawFd>) -> Pipe {
        if let Some(fd) = fd {
            set_nonblocking(fd);
        }
        Pipe { fd: fd.unwrap_or(-1), open: fd.is_some(), total: 0 }
    }

    /// Reads what is available; keeps at most `keep` bytes in `buf`. False when it would block.
    fn pump(&mut self, buf: &mut Vec<u8>, keep: usize) -> bool {
        let mut chunk = [0u8; 65536];
        loop {
            // SAFETY: reading into a local buffer of the given length.
            let r = unsafe { libc::read(self.fd, chunk.as_mut_ptr().cast(), chunk.len()) };
            if r > 0 {
                let r = r as usize;
                self.total += r as u64;
                let room = keep.saturating_sub(buf.len()).min(r);
                buf.extend_from_slice(&chunk[..room]);
                continue;
            }
            if r == 0 {
                self.open = false;
                return true;
            }
            match io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EAGAIN) => return false,
                _ => {
                    self.open = false;
                    return true;
                }
            }
        }
    }
}

fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
}

/// True once the child has terminated (without reaping it, so its pid and process-group id stay
/// reserved until we have killed the group).
fn has_exited(pid: libc::pid_t) -> bool {
    // SAFETY: zeroed siginfo is a valid out-parameter for waitid.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOHANG | libc::WNOWAIT);
        r == 0 && info.si_pid() != 0
    }
}

/// Feeds `watch.input` to the child's stdin, collects stdout (up to the cap) and the head of
/// stderr, enforces the wall-time deadline, then kills the child's process group (and, with a
/// uid, every process of that uid) and reaps the child. The child must lead its own process group.
pub(crate) fn supervise(mut child: Child, watch: &Watch<'_>) -> io::Result<Supervised> {
    let pid = child.id() as libc::pid_t;
    let deadline = Instant::now() + watch.wall;
    let stdin = child.stdin.take();
    let stdout_h = child.stdout.take();
    let stderr_h = child.stderr.take();
    let mut stdin_fd = stdin.as_ref().map(|s| s.as_raw_fd());
    let mut stdin = stdin;
    if let Some(fd) = stdin_fd {
        set_nonblocking(fd);
        if watch.input.is_empty() {
            stdin = None;
            stdin_fd = None;
        }
    }
    for fd in [stdin_fd, stdout_h.as_ref().map(|s| s.as_raw_fd())].into_iter().flatten() {
        // Bigger pipes: fewer wake-ups for large batches. Best effort.
        // SAFETY: fcntl on a descriptor we own.
        unsafe { libc::fcntl(fd, libc::F_SETPIPE_SZ, 1 << 20) };
    }
    let mut out = Pipe::new(stdout_h.as_ref().map(|s| s.as_raw_fd()));
    let mut err = Pipe::new(stderr_h.as_ref().map(|s| s.as_raw_fd()));
    let out_keep = usize::try_from(watch.stdout_cap.saturating_add(1)).unwrap_or(usize::MAX);
    let mut out_buf = Vec::with_capacity(out_keep.min(1 << 28));
    let mut log_buf = Vec::new();
    let mut written = 0usize;
    let mut ended = Ended::Exited;
    loop {
        if out.total > watch.stdout_cap {
            ended = Ended::StdoutOverflow;
            break;
        }
        if err.total > watch.log_cap {
            ended = Ended::LogOverflow;
            break;
        }
        if has_exited(pid) {
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            ended = Ended::TimedOut;
            break;
        }
        let mut fds = Vec::with_capacity(3);
        if let Some(fd) = stdin_fd {
            fds.push(libc::pollfd { fd, events: libc::POLLOUT, revents: 0 });
        }
        for p in [&out, &err] {
            if p.open {
                fds.push(libc::pollfd { fd: p.fd, events: libc::POLLIN, revents: 0 });
            }
        }
        let cap = if fds.is_empty() { 2 } else { 20 };
        let wait = (deadline - now).as_millis().min(cap) as libc::c_int;
        // SAFETY: polling a valid array of pollfd of the given length.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait.max(1)) };
        if let Some(fd) = stdin_fd {
            let rest = &watch.input[written..];
            let n = rest.len().min(1 << 20);
            // SAFETY: writing from a valid slice of at least n bytes.
            let w = unsafe { libc::write(fd, rest.as_ptr().cast(), n) };
            if w > 0 {
                written += w as usize;
            }
            let e = io::Error::last_os_error().raw_os_error();
            let failed = w < 0 && !matches!(e, Some(libc::EAGAIN) | Some(libc::EINTR));
            if written == watch.input.len() || failed {
                stdin = None; // closes the pipe: end of input for the child
                stdin_fd = None;
            }
        }
        if out.open {
            out.pump(&mut out_buf, out_keep);
        }
        if err.open {
            err.pump(&mut log_buf, watch.log_keep);
        }
    }
    drop(stdin);
    // Kill what is left: the whole process group (the leader is not reaped yet, so the id is
    // still ours); reap the leader; then kill everything running under the run's uid.
    // SAFETY: signalling our child's process group.
    unsafe { libc::killpg(pid, libc::SIGKILL) };
    let status = child.wait();
    if let Some(uid) = watch.kill_uid {
        kill_uid(uid);
    }
    // Drain what the child wrote before it ended; give up on pipes held open by a process out of
    // reach (possible only without a per-run uid).
    let grace = Instant::now() + Duration::from_millis(500);
    while (out.open || err.open) && Instant::now() < grace {
        let mut fds = Vec::with_capacity(2);
        for p in [&out, &err] {
            if p.open {
                fds.push(libc::pollfd { fd: p.fd, events: libc::POLLIN, revents: 0 });
            }
        }
        // SAFETY: polling a valid array of pollfd of the given length.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 20) };
        if out.open {
            out.pump(&mut out_buf, out_keep);
        }
        if err.open {
            err.pump(&mut log_buf, watch.log_keep);
        }
    }
    if ended == Ended::Exited && out.total > watch.stdout_cap {
        ended = Ended::StdoutOverflow;
    }
    if ended == Ended::Exited && err.total > watch.log_cap {
        ended = Ended::LogOverflow;
    }
    drop((stdout_h, stderr_h));
    let status = status?;
    Ok(Supervised { status, ended, stdout: out_buf, log: String::from_utf8_lossy(&log_buf).into_owned() })
}

/// Everything the child needs to contain itself, prepared before `fork` (the `pre_exec` hook
/// may only make async-signal-safe calls: no allocation).
pub(crate) struct Containment {
    pub binary_fd: RawFd,
    pub uid: Option<u32>,
    pub network_namespace: bool,
    pub mounts: Vec<(CString, CString)>,
    pub cwd: CString,
    pub rlimits: Vec<(libc::__rlimit_resource_t, libc::rlim_t, libc::rlim_t)>,
}

impl Containment {
    /// The rlimits for a run under `limits`.
    pub fn rlimits(limits: &Limits) -> Vec<(libc::__rlimit_resource_t, libc::rlim_t, libc::rlim_t)> {
        let cpu = limits.cpu.as_secs_f64().ceil().max(1.0) as libc::rlim_t;
        vec![
            (libc::RLIMIT_CPU, cpu, cpu + 1),
            (libc::RLIMIT_AS, limits.address_space_bytes, limits.address_space_bytes),
            (libc::RLIMIT_STACK, limits.stack_bytes, limits.stack_bytes),
            (libc::RLIMIT_FSIZE, 0, 0),
            (libc::RLIMIT_CORE, 0, 0),
            (libc::RLIMIT_NPROC, limits.max_processes, limits.max_processes),
            (libc::RLIMIT_NOFILE, 64, 64),
        ]
    }

    /// A command running the program behind `binary_fd` (through `/proc/self/fd`, which still
    /// works after the child has mounted over the directory holding it) inside this containment.
    pub fn command(self) -> Command {
        let mut cmd = Command::new(format!("/proc/self/fd/{}", self.binary_fd));
        cmd.arg0("compnet-driver")
            .arg(self.binary_fd.to_string())
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: the hook only makes async-signal-safe system calls on data prepared before fork.
        unsafe { cmd.pre_exec(move || self.enter()) };
        cmd
    }

    /// Runs in the forked child, before exec.
    fn enter(&self) -> io::Result<()> {
        let check = |ok: bool| if ok { Ok(()) } else { Err(io::Error::last_os_error()) };
        // SAFETY: async-signal-safe system calls with arguments prepared before fork.
        unsafe {
            check(libc::setsid() >= 0)?;
            check(libc::fcntl(self.binary_fd, libc::F_SETFD, 0) == 0)?;
            if self.network_namespace {
                check(libc::unshare(libc::CLONE_NEWNET) == 0)?;
            }
            if !self.mounts.is_empty() {
                check(libc::unshare(libc::CLONE_NEWNS) == 0)?;
                check(
                    libc::mount(
                        std::ptr::null(),
                        c"/".as_ptr(),
                        std::ptr::null(),
                        libc::MS_REC | libc::MS_PRIVATE,
                        std::ptr::null(),
                    ) == 0,
                )?;
                for (target, opts) in &self.mounts {
                    check(
                        libc::mount(
                            c"tmpfs".as_ptr(),
                            target.as_ptr(),
                            c"tmpfs".as_ptr(),
                            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                            opts.as_ptr().cast(),
                        ) == 0,
                    )?;
                }
            }
            check(libc::chdir(self.cwd.as_ptr()) == 0)?;
            if let Some(uid) = self.uid {
                check(set_ids(uid))?;
            }
            #[cfg(target_os = "linux")]
            {
                check(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)?;
                // After the uid change, which clears it: die with the harness.
                check(libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) == 0)?;
            }
            for &(res, soft, hard) in &self.rlimits {
                let lim = libc::rlimit { rlim_cur: soft, rlim_max: hard };
                check(libc::setrlimit(res, &lim) == 0)?;
            }
        }
        Ok(())
    }
}
