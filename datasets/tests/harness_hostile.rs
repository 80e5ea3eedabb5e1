//! The harness against hostile functions: each is contained, rejected with the right reason, and
//! a batch of them still yields the good function's pairs.

use std::path::Path;
use std::time::Duration;

use compnet_datasets::harness::{Harness, HarnessConfig, Job, Journal, Limits, Rejection};
use compnet_datasets::signature::Signature;

/// Short limits so that the suite stays fast.
fn config() -> HarnessConfig {
    HarnessConfig {
        limits: Limits { wall: Duration::from_secs(1), cpu: Duration::from_secs(5), ..Limits::default() },
        runs: 3,
        ..HarnessConfig::default()
    }
}

fn harness() -> Harness {
    Harness::new(config())
}

const INPUTS: [f32; 4] = [0.5, -0.25, 0.0, 1.0];

/// Evaluates a one-input function `double f(double x)` and returns its rejection.
fn reject(harness: &Harness, source: &str) -> Rejection {
    let sig = Signature::from_source(source, "f").expect("test source defines f");
    match harness.evaluate(source, &sig, &INPUTS) {
        Ok(p) => panic!("expected a rejection, got {} pairs", p.len()),
        Err(r) => r,
    }
}

const INFINITE_LOOP: &str = "double f(double x) { volatile double s = x; for (;;) s += 1.0; return s; }";
const ABORT: &str = "#include <stdlib.h>\ndouble f(double x) { if (x < 2.0) abort(); return x; }";
const NULL_WRITE: &str = "double f(double x) { double *volatile p = 0; *p = x; return *p; }";
const STACK_OVERFLOW: &str = "double f(double x) { volatile char pad[512]; pad[0] = (char)x; \
                              return f(x + 1.0) + pad[0] + pad[511]; }";
const HUGE_PRINT: &str = "#include <stdio.h>\n\
                          double f(double x) { for (;;) printf(\"garbage %f garbage garbage\\n\", x); return x; }";
const FORK_LOOP: &str = "#include <unistd.h>\ndouble f(double x) { for (;;) fork(); return x; }";
const URANDOM: &str = "#include <stdio.h>\n\
    double f(double x) { static unsigned v; static int done; if (!done) { FILE *r = fopen(\"/dev/urandom\", \"rb\");\n\
    if (r) { if (fread(&v, sizeof v, 1, r) != 1) v = 0; fclose(r); } done = 1; } return x + (double)v; }";
const NAN: &str = "#include <math.h>\ndouble f(double x) { return sqrt(-1.0 - x * x); }";
const MALFORMED: &str = "double f(double x) {\n  return x + ;\n}\n";
const EXIT: &str = "#include <stdlib.h>\ndouble f(double x) { exit(3); return x; }";
const GOOD: &str = "#include <math.h>\ndouble f(double x) { return 3.0 * x * x - 0.5; }";

#[test]
fn infinite_loop_times_out() {
    let r = reject(&harness(), INFINITE_LOOP);
    assert_eq!(r.reason(), "timeout", "{r}");
    assert!(r.to_string().contains("`f`"), "{r}");
}

#[test]
fn cpu_limit_stops_a_busy_loop_before_the_wall_time() {
    let config = HarnessConfig {
        limits: Limits { wall: Duration::from_secs(6), cpu: Duration::from_secs(1), ..Limits::default() },
        runs: 1,
        ..HarnessConfig::default()
    };
    let r = reject(&Harness::new(config), INFINITE_LOOP);
    assert_eq!(r.reason(), "cpu_limit", "{r}");
}

#[test]
fn abort_is_a_crash_with_sigabrt() {
    let r = reject(&harness(), ABORT);
    assert_eq!(r.reason(), "crash");
    assert!(matches!(&r, Rejection::Crash { signal, number: 6, .. } if signal == "SIGABRT"), "{r:?}");
    assert!(r.to_string().contains("SIGABRT"), "{r}");
}

#[test]
fn null_write_is_a_crash_with_sigsegv() {
    let r = reject(&harness(), NULL_WRITE);
    assert!(matches!(&r, Rejection::Crash { signal, .. } if signal == "SIGSEGV"), "{r:?}");
}

#[test]
fn unbounded_recursion_is_a_crash_with_sigsegv() {
    let r = reject(&harness(), STACK_OVERFLOW);
    assert!(matches!(&r, Rejection::Crash { signal, .. } if signal == "SIGSEGV"), "{r:?}");
}

#[test]
fn printing_without_end_is_output_too_large() {
    let r = reject(&harness(), HUGE_PRINT);
    assert_eq!(r.reason(), "output_too_large", "{r}");
    assert!(
        matches!(&r, Rejection::OutputTooLarge { stream, limit, .. } if stream == "stdout/stderr" && *limit == 1 << 20)
    );
}

#[test]
fn writing_a_file_outside_the_temp_dir_is_stopped() {
    let h = harness();
    // A directory the sandboxed process could write to if it were not contained (mode 0777,
    // outside /tmp so that it is visible from the run's mount namespace).
    // The target dir is the natural place, unless the checkout itself lies under a directory the
    // sandbox hides behind a private tmpfs (a clone in /tmp): then /run, which stays visible.
    let target_tmp = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let hidden = h.isolation().private_mounts.iter().any(|m| target_tmp.starts_with(m));
    let dir = tempfile::tempdir_in(if hidden { std::path::Path::new("/run") } else { target_tmp }).unwrap();
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let escape = dir.path().join("escape.txt");
    let src = format!(
        "#include <stdio.h>\n\
         double f(double x) {{\n\
           FILE *v = fopen(\"{victim}\", \"w\"); if (v) fclose(v);\n\
           FILE *e = fopen(\"{escape}\", \"w\"); if (!e) return x;\n\
           fputs(\"escaped\", e); fclose(e); return x; }}",
        victim = victim.display(),
        escape = escape.display()
    );
    let r = reject(&h, &src);
    // The file-size limit is 0: the first write raises SIGXFSZ.
    assert_eq!(r.reason(), "file_write", "{r}");
    let written = std::fs::read(&escape).unwrap_or_default();
    assert!(written.is_empty(), "the function wrote {written:?}");
    if h.isolation().unprivileged_uid {
        // Under its own uid the function cannot even truncate a file it does not own.
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }
}

/// Processes whose real uid is in `range` that are still running (not zombies), after giving
/// SIGKILLed processes up to two seconds to finish exiting. Zombies are dead: they wait for init
/// to reap them.
fn live_processes_of(range: std::ops::Range<u32>) -> Vec<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    loop {
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else { continue };
            let field = |name: &str| {
                status.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_string()).unwrap_or_default()
            };
            let uid = field("Uid:").split_whitespace().next().and_then(|u| u.parse::<u32>().ok());
            let state = field("State:");
            if uid.is_some_and(|u| range.contains(&u)) && !state.starts_with('Z') {
                found.push(format!("pid {} {state}", entry.file_name().to_string_lossy()));
            }
        }
        if found.is_empty() || std::time::Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn fork_loop_is_contained_and_leaves_no_process() {
    let uids = 1_990_100_000..1_990_100_016;
    let h = Harness::new(HarnessConfig { sandbox_uids: uids.clone(), ..config() });
    let r = reject(&h, FORK_LOOP);
    assert_eq!(r.reason(), "timeout", "{r}");
    if h.isolation().unprivileged_uid {
        assert_eq!(live_processes_of(uids), Vec::<String>::new());
    }
}

#[test]
fn a_daemon_escaping_the_process_group_is_killed() {
    let uids = 1_990_100_100..1_990_100_116;
    let h = Harness::new(HarnessConfig { sandbox_uids: uids.clone(), ..config() });
    // The child leaves the process group (setsid) and lives on; the function itself returns.
    let src = "#include <unistd.h>\n\
               double f(double x) { static int started; if (!started) { started = 1;\n\
               if (fork() == 0) { setsid(); for (;;) pause(); } } return 2.0 * x; }";
    let sig = Signature::from_source(src, "f").unwrap();
    let pairs = h.evaluate(src, &sig, &INPUTS).unwrap();
    assert_eq!(pairs.outputs(), &INPUTS.map(|x| 2.0 * x));
    if h.isolation().unprivileged_uid {
        assert_eq!(live_processes_of(uids), Vec::<String>::new());
    }
}

#[test]
fn urandom_is_nondeterministic() {
    let r = reject(&harness(), URANDOM);
    assert_eq!(r.reason(), "nondeterministic", "{r}");
    assert!(matches!(r, Rejection::Nondeterministic { run: 1, pair: 0, output: 0, .. }), "{r:?}");
}

#[test]
fn nan_output_is_non_finite() {
    let r = reject(&harness(), NAN);
    assert!(matches!(r, Rejection::NonFinite { pair: 0, output: 0, .. }), "{r:?}");
    assert_eq!(r.reason(), "non_finite_output");
}

#[test]
fn values_above_the_bound_are_huge() {
    let h = Harness::new(HarnessConfig { max_abs_output: Some(10.0), ..config() });
    let src = "double f(double x) { return x * 40.0; }";
    let r = reject(&h, src);
    // Inputs 0.5, -0.25, 0.0, 1.0: the first pair reaching |y| >= 10 is pair 0 (20).
    assert!(matches!(r, Rejection::HugeValue { pair: 0, output: 0, value: 20.0, limit: 10.0, .. }), "{r:?}");
    assert_eq!(r.reason(), "huge_output_value");
    // Finite in f64 but not in f32.
    let r = reject(&harness(), "double f(double x) { return 1e300 + x; }");
    assert_eq!(r.reason(), "huge_output_value", "{r}");
}

#[test]
fn malformed_c_is_a_compile_error_naming_function_and_line() {
    let r = reject(&harness(), MALFORMED);
    let Rejection::Compile { function, first_error, .. } = &r else { panic!("{r:?}") };
    assert_eq!(function, "f");
    assert!(first_error.starts_with("f.c:2:") && first_error.contains("error"), "{first_error}");
    assert!(r.to_string().contains("function `f` does not compile: f.c:2:"), "{r}");
    assert_eq!(r.reason(), "compile_error");
}

#[test]
fn a_signature_that_does_not_match_the_source_is_a_compile_error() {
    let sig = Signature::parse("double f(double x, double *y)").unwrap();
    let r = harness().evaluate("float f(float x) { return x; }", &sig, &INPUTS).unwrap_err();
    assert_eq!(r.reason(), "compile_error", "{r}");
    assert!(r.to_string().contains("is not `double f(double x, double *y)`"), "{r}");
}

#[test]
fn exit_is_a_nonzero_exit() {
    let r = reject(&harness(), EXIT);
    assert!(matches!(r, Rejection::Exit { code: 3, .. }), "{r:?}");
}

#[test]
fn the_run_has_no_network_and_a_private_tmp() {
    let h = harness();
    let iso = h.isolation();
    eprintln!("sandbox measures on this machine:\n{iso}");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let marker = tempfile::NamedTempFile::new().unwrap(); // in the harness's /tmp
    // Output 0: 1 if a TCP connection to the test's listener succeeds; output 1: 1 if the
    // test's file in /tmp is visible.
    let src = format!(
        "#include <arpa/inet.h>\n#include <sys/socket.h>\n#include <unistd.h>\n\
         void f(double x, double *net, double *tmp) {{\n\
           struct sockaddr_in a = {{0}}; a.sin_family = AF_INET; a.sin_port = htons({port});\n\
           a.sin_addr.s_addr = htonl(0x7f000001);\n\
           int s = socket(AF_INET, SOCK_STREAM, 0);\n\
           *net = (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0) ? 1.0 : 0.0;\n\
           if (s >= 0) close(s);\n\
           *tmp = access(\"{}\", F_OK) == 0 ? 1.0 : 0.0; (void)x; }}",
        marker.path().display()
    );
    let sig = Signature::from_source(&src, "f").unwrap();
    let pairs = h.evaluate(&src, &sig, &[0.0]).unwrap();
    let expect_net = if iso.network_namespace { 0.0 } else { 1.0 };
    let tmp_private = marker.path().starts_with("/tmp") && iso.private_mounts.iter().any(|p| p == Path::new("/tmp"));
    let expect_tmp = if tmp_private { 0.0 } else { 1.0 };
    assert_eq!(pairs.outputs(), &[expect_net, expect_tmp], "isolation:\n{iso}");
}

#[test]
fn a_batch_of_hostile_functions_goes_on_to_the_good_one() {
    let h = harness();
    let sources = [
        ("loop", INFINITE_LOOP),
        ("abort", ABORT),
        ("segv", NULL_WRITE),
        ("recursion", STACK_OVERFLOW),
        ("print", HUGE_PRINT),
        ("fork", FORK_LOOP),
        ("urandom", URANDOM),
        ("nan", NAN),
        ("malformed", MALFORMED),
        ("exit", EXIT),
        ("good", GOOD),
    ];
    let sig = Signature::parse("double f(double x)").unwrap();
    let jobs = sources.iter().map(|(name, source)| Job { name, source, signature: &sig, inputs: &INPUTS });
    let dir = tempfile::tempdir().unwrap();
    let journal_path = dir.path().join("journal.jsonl");
    let mut journal = Journal::open(&journal_path).unwrap();
    let outcomes = h.evaluate_batch_with(jobs, |o| journal.record(o).unwrap());
    let reasons: Vec<(&str, &str)> =
        outcomes.iter().map(|o| (o.name.as_str(), o.result.as_ref().err().map_or("ok", |r| r.reason()))).collect();
    assert_eq!(
        reasons,
        vec![
            ("loop", "timeout"),
            ("abort", "crash"),
            ("segv", "crash"),
            ("recursion", "crash"),
            ("print", "output_too_large"),
            ("fork", "timeout"),
            ("urandom", "nondeterministic"),
            ("nan", "non_finite_output"),
            ("malformed", "compile_error"),
            ("exit", "nonzero_exit"),
            ("good", "ok"),
        ]
    );
    let good = outcomes.last().unwrap().result.as_ref().unwrap();
    let expected: Vec<f32> = INPUTS.iter().map(|&x| (3.0 * f64::from(x) * f64::from(x) - 0.5) as f32).collect();
    assert_eq!(good.inputs(), &INPUTS);
    assert_eq!(good.outputs(), expected.as_slice());
    let entries = Journal::read(&journal_path).unwrap();
    assert_eq!(entries.len(), sources.len());
    assert_eq!(entries[1].reason.as_deref(), Some("crash"));
    assert!(entries[1].message.as_deref().unwrap().contains("SIGABRT"));
    assert!(entries[10].accepted && entries[10].pairs == INPUTS.len());
}

/// Out-pointers that are read before they are written (here walked as an input array, as
/// `qh_mindiff` in qhull does), or not always written, make the outputs depend on the
/// out-pointers' initial values: rejected. Writing them on every path is fine.
#[test]
fn out_pointer_misuse_is_rejected() {
    let h = harness();
    let cases = [
        (
            "int f(double *a, double *b, int n) { double *p = a, *q = b; int k, m = 0; double best = 1e300;\n\
          for (k = 0; k < 1; k++) { double d = *p++ - *q++; if (d < 0) d = -d; if (d < best) { best = d; m = k; } }\n\
          return m + (int)(best * 4); }",
            "array read through an out-pointer",
        ),
        ("void f(double x, double *y) { if (x > 0.1) *y = x * 2.0; }", "written on some paths only"),
        ("double f(double x, double *acc) { *acc += x; return *acc; }", "read before written"),
    ];
    for (src, what) in cases {
        let sig = Signature::from_source(src, "f").unwrap();
        let inputs: Vec<f32> = (0..sig.n_in() * 4).map(|k| INPUTS[k % 4]).collect();
        match h.evaluate(src, &sig, &inputs) {
            Ok(p) => panic!("{what}: expected a rejection, got {} pairs", p.len()),
            Err(r) => assert_eq!(r.reason(), "out_pointer_misuse", "{what}: {r}"),
        }
    }
    let good = "void f(double x, double *y, double *z) { *y = x * 2.0; if (x > 0.0) *z = 1.0; else *z = -1.0; }";
    let sig = Signature::from_source(good, "f").unwrap();
    let pairs = h.evaluate(good, &sig, &INPUTS).unwrap();
    assert_eq!(pairs.output(0), &[1.0, 1.0]);
    assert_eq!(pairs.output(1), &[-0.5, -1.0]);
}
