//! The whole ExeStack pipeline on a corpus written here (tests/fixtures/corpus): a small numeric
//! library, hostile functions, a file that does not preprocess, a whitespace-only duplicate and a
//! copy of ParrotBench's sobel. Checks every stage's counts and reasons, the Parquet output with
//! pyarrow (an independent reader), and determinism.

use std::path::{Path, PathBuf};
use std::process::Command;

use compnet_datasets::exestack::TypeFilter;
use compnet_datasets::exestack::corpus::{fallback_include_dir, folder_files};
use compnet_datasets::exestack::pipeline::{BuildConfig, BuildPaths, BuildStats, FileRecord, build};
use compnet_datasets::store::{ProgramRecord, read_records};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

fn config(filter: TypeFilter) -> BuildConfig {
    BuildConfig { filter, pairs: 64, runs: 3, run_wall_seconds: 2.0, run_cpu_seconds: 1.0, ..BuildConfig::default() }
}

fn run(out: &Path, filter: TypeFilter) -> BuildStats {
    run_with(out, &config(filter))
}

fn run_with(out: &Path, config: &BuildConfig) -> BuildStats {
    let fallback = fallback_include_dir(&out.join("work")).unwrap();
    let files = folder_files(&corpus(), &fallback).unwrap();
    build(&files, Vec::new(), out, config, true).unwrap()
}

/// The records of a build's train and test files.
fn dataset(out: &Path) -> [Vec<ProgramRecord>; 2] {
    let paths = BuildPaths::new(out);
    [read_records(&paths.train).unwrap(), read_records(&paths.test).unwrap()]
}

fn names(path: &Path) -> Vec<String> {
    let mut n: Vec<String> = read_records(path).unwrap().into_iter().map(|r| r.function).collect();
    n.sort();
    n.dedup();
    n
}

#[test]
fn fixture_corpus_through_every_stage() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("paper");
    let s = run(&out, TypeFilter::Paper);
    eprintln!("{}", serde_json::to_string_pretty(&s).unwrap());

    assert_eq!(s.files, 11);
    assert_eq!(s.files_dropped.get("missing_header"), Some(&1), "broken.c includes a missing header: {s:?}");
    assert_eq!(s.files_dropped.get("preprocessor_error"), Some(&1), "unconfigured.c has an #error: {s:?}");
    assert_eq!(s.files_with_tolerated_preprocessor_errors, 0);
    assert_eq!(s.files_dropped.get("no_floating_type"), Some(&1), "counter.c is integer code only: {s:?}");
    assert_eq!(s.parrotbench_matches, 1, "the copy of sobel is recognised");
    assert_eq!(s.duplicates, 1, "copies/wave_again.c holds ml_wave reformatted");
    assert_eq!(s.parrotbench_in_train, 0);
    for (reason, function) in [
        ("timeout", "h_loop"),
        ("crash", "h_abort / h_segv"),
        ("output_too_large", "h_print"),
        ("file_write", "h_write"),
        ("non_finite_output", "h_nan"),
        ("nondeterministic", "h_random"),
        ("huge_output_value", "ml_big"),
    ] {
        assert!(
            s.harness_dropped.contains_key(reason),
            "{function} should be dropped as {reason}: {:?}",
            s.harness_dropped
        );
    }
    let mut kept: Vec<String> = names(&BuildPaths::new(&out).train);
    kept.extend(names(&BuildPaths::new(&out).test));
    kept.sort();
    assert_eq!(
        kept,
        ["horner", "lc_hypot", "ml_cubic", "ml_gauss", "ml_halve", "ml_mix", "ml_smoothstep", "ml_softsign", "ml_wave"],
        "lc_hypot gets the system <math.h> beside tinylibc's own; ml_gauss gets empty stand-ins; \
         ml_halve's file passes the prefilter through mathlib.h's typedef"
    );
    assert_eq!(s.kept, 9);
    assert_eq!(s.train_programs + s.test_programs, 9);
    assert_eq!(s.constant_output, 1, "ml_one runs but returns 1 whatever its input");

    // The output of a kept function is the real function's: ml_mix(x, y) = 0.3 x + 0.7 y.
    let all = dataset(&out).concat();
    let mix = all.iter().find(|r| r.function == "ml_mix" && r.split == "train").unwrap();
    assert_eq!(mix.pairs.len(), 32);
    assert_eq!(mix.domain, vec![(-1.0, 1.0); 2]);
    for i in 0..mix.pairs.len() {
        let (x, y) = (mix.pairs.input(i)[0] as f64, mix.pairs.input(i)[1] as f64);
        assert!((mix.pairs.output(i)[0] as f64 - (0.3 * x + 0.7 * y)).abs() < 1e-6);
    }

    // Independent reader: pyarrow sees the same programs, 32 + 32 pairs each.
    let script = r#"
import sys, pyarrow.parquet as pq
for path in sys.argv[1:]:
    t = pq.read_table(path).to_pylist()
    for r in t:
        assert r["n_in"] == len(r["inputs"][0]) and r["n_out"] == len(r["outputs"][0]), r["name"]
        assert len(r["inputs"]) == 32 and r["split"] in ("train", "test"), r["name"]
    print(len(t))
"#;
    let probe = Command::new("python3").args(["-c", "import pyarrow"]).output();
    if matches!(&probe, Ok(o) if o.status.success()) {
        let paths = BuildPaths::new(&out);
        let o = Command::new("python3").arg("-c").arg(script).arg(&paths.train).arg(&paths.test).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let rows: usize = String::from_utf8_lossy(&o.stdout).lines().map(|l| l.trim().parse::<usize>().unwrap()).sum();
        assert_eq!(rows, 18);
    } else {
        assert!(std::env::var_os("CI").is_none(), "CI is set but python3 lacks pyarrow");
    }

    // Determinism: a second build from scratch writes the same records.
    let again = dir.path().join("again");
    run(&again, TypeFilter::Paper);
    assert_eq!(dataset(&out), dataset(&again));
}

#[test]
fn extended_filter_admits_out_pointers_and_ints() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("extended");
    let s = run(&out, TypeFilter::Extended);
    let mut kept: Vec<String> = names(&BuildPaths::new(&out).train);
    kept.extend(names(&BuildPaths::new(&out).test));
    for f in ["ml_polar", "ml_scaled", "ml_mix", "ml_share"] {
        assert!(kept.iter().any(|k| k == f), "{f} not kept: {kept:?} ({s:?})");
    }
    assert!(!kept.iter().any(|k| k == "ml_table"), "pointer-to-array parameters never pass");
    let all = dataset(&out).concat();
    let scaled = all.iter().find(|r| r.function == "ml_scaled").unwrap();
    assert_eq!(scaled.domain[1], (-16.0, 16.0));
    for i in 0..scaled.pairs.len() {
        let (x, k) = (scaled.pairs.input(i)[0] as f64, scaled.pairs.input(i)[1]);
        assert_eq!(k, k.round(), "int inputs are whole numbers");
        assert!((scaled.pairs.output(i)[0] as f64 - x * k as f64 / 16.0).abs() < 1e-6);
    }
    // An unsigned parameter gets the integer range cut at 0.
    let share = all.iter().find(|r| r.function == "ml_share").unwrap();
    assert_eq!(share.domain[1], (0.0, 16.0));
    assert!(share.source.contains("double ml_share(double total, unsigned long parts)"), "{}", share.source);
    for i in 0..share.pairs.len() {
        let (x, n) = (share.pairs.input(i)[0] as f64, share.pairs.input(i)[1]);
        assert!(n == n.round() && (0.0..=16.0).contains(&n), "unsigned inputs are whole and non-negative: {n}");
        assert!((share.pairs.output(i)[0] as f64 - x / (n as f64 + 1.0)).abs() < 1e-6);
    }
    let polar = all.iter().find(|r| r.function == "ml_polar").unwrap();
    assert_eq!((polar.pairs.n_in(), polar.pairs.n_out()), (2, 2));
    // Integer-only functions pass too (counter.c is read, not prefiltered) and are counted apart;
    // the two that divide by zero or never end are dropped by the harness.
    assert_eq!(s.files_dropped.get("no_floating_type"), None);
    assert!(kept.iter().any(|k| k == "ml_wrap") && !kept.iter().any(|k| k == "ml_next_index" || k == "ml_bits"));
    assert_eq!(s.kept_integer_only, 1, "ml_wrap: {kept:?}");
    assert_eq!(s.constant_output, 2, "ml_one and ml_status");
    assert!(!kept.iter().any(|k| k == "ml_one" || k == "ml_status"));
    let wrap = all.iter().find(|r| r.function == "ml_wrap").unwrap();
    assert_eq!(wrap.domain, vec![(-16.0, 16.0)]);
    for i in 0..wrap.pairs.len() {
        let k = wrap.pairs.input(i)[0] as i32;
        assert_eq!(wrap.pairs.output(i)[0], k.rem_euclid(8) as f32);
    }
}

#[test]
fn constant_functions_are_dropped_unless_kept_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let dropped = run(&dir.path().join("dropped"), TypeFilter::Extended);
    let out = dir.path().join("kept");
    let kept = run_with(&out, &BuildConfig { drop_constant: false, ..config(TypeFilter::Extended) });
    assert_eq!((kept.constant_output, kept.kept), (0, dropped.kept + 2), "{kept:?}");
    let mathlib = &dropped.packages["mathlib"];
    assert_eq!(mathlib.constant_output, 2, "both are mathlib's: {mathlib:?}");
    assert_eq!(kept.packages["mathlib"].kept, mathlib.kept + 2);
    let all = dataset(&out).concat();
    let one = all.iter().find(|r| r.function == "ml_one").unwrap();
    assert!((0..one.pairs.len()).all(|i| one.pairs.output(i) == [1.0]));
    let status = all.iter().find(|r| r.function == "ml_status").unwrap();
    assert!((0..status.pairs.len()).all(|i| status.pairs.output(i) == [-1.0]));
    // Everything else is the same dataset.
    let others = |records: Vec<ProgramRecord>| -> Vec<ProgramRecord> {
        records.into_iter().filter(|r| r.function != "ml_one" && r.function != "ml_status").collect()
    };
    let [train, test] = dataset(&dir.path().join("dropped"));
    let [train_kept, test_kept] = dataset(&out);
    assert_eq!((others(train_kept), others(test_kept)), (train, test));
}

#[test]
fn prefilter_skips_only_files_without_floating_types() {
    let dir = tempfile::tempdir().unwrap();
    let with = run(&dir.path().join("with"), TypeFilter::Paper);
    let out = dir.path().join("without");
    let without = run_with(&out, &BuildConfig { prefilter: false, ..config(TypeFilter::Paper) });
    // Without it, counter.c is preprocessed and parsed: its four integer functions are seen and
    // fail the paper's filter; nothing that passes the filter is lost with it.
    assert_eq!(with.files_dropped.get("no_floating_type"), Some(&1));
    assert_eq!(without.files_dropped.get("no_floating_type"), None);
    assert_eq!(without.functions_seen, with.functions_seen + 4, "{without:?}");
    assert_eq!(without.candidates, with.candidates);
    assert_eq!(dataset(&dir.path().join("with")), dataset(&out));
}

#[test]
fn a_build_journaled_under_an_older_filter_rereads_only_what_it_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("old");
    let fresh = run(&out, TypeFilter::Extended);
    let fresh_dataset = dataset(&out);
    // Make the journal one an older revision wrote: no revision, ml_share (a size_t parameter,
    // admitted since revision 1) rejected by the type filter, counter.c skipped by the prefilter.
    let journal = BuildPaths::new(&out).work.join("files.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut stale = 0;
    let old: Vec<String> = text
        .lines()
        .map(|line| {
            let mut r: serde_json::Value = serde_json::from_str(line).unwrap();
            let o = r.as_object_mut().unwrap();
            o.remove("filter_revision");
            if o["file"].as_str().unwrap().ends_with("counter.c") {
                // Before revision 2 the extended filter prefiltered too: counter.c was skipped.
                o.insert("failure".into(), "no_floating_type".into());
                o.insert("functions_seen".into(), 0.into());
                o.insert("rejected".into(), serde_json::json!([]));
                o.insert("candidates".into(), serde_json::json!([]));
                stale += 1;
                return r.to_string();
            }
            let candidates = o["candidates"].as_array_mut().unwrap();
            if let Some(i) = candidates.iter().position(|c| c["function"] == "ml_share") {
                candidates.remove(i);
                o["rejected"].as_array_mut().unwrap().push(serde_json::json!(["ml_share", "type_filter"]));
            }
            let rejected_by_type = o["rejected"].as_array().unwrap().iter().any(|r| r[1] == "type_filter");
            stale += usize::from(o["failure"].is_null() && rejected_by_type);
            r.to_string()
        })
        .collect();
    assert!(stale >= 1 && stale < old.len(), "{stale} of {} files", old.len());
    std::fs::write(&journal, old.join("\n") + "\n").unwrap();

    let resumed = run(&out, TypeFilter::Extended);
    let lines = std::fs::read_to_string(&journal).unwrap().lines().count();
    assert_eq!(
        lines,
        old.len() + stale,
        "only the prefiltered files and those with type-filter rejections are read again"
    );
    assert_eq!((resumed.candidates, resumed.kept), (fresh.candidates, fresh.kept));
    assert_eq!(dataset(&out), fresh_dataset, "the resumed build writes what the fresh one wrote");
    // The paper's filter has not changed: under it, no record is stale.
    for line in &old {
        let record: FileRecord = serde_json::from_str(line).unwrap();
        assert_eq!(record.filter_revision, 0);
        assert!(!record.is_stale(&config(TypeFilter::Paper)));
    }
}

#[test]
fn tolerated_preprocessor_errors_recover_unconfigured_files_and_resume_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let tolerant = BuildConfig { tolerate_preprocessor_errors: true, ..config(TypeFilter::Paper) };
    let fresh_out = dir.path().join("fresh");
    let fresh = run_with(&fresh_out, &tolerant);
    assert_eq!(fresh.files_dropped.get("preprocessor_error"), None, "{fresh:?}");
    assert_eq!(fresh.files_dropped.get("missing_header"), Some(&1), "a missing header stays fatal");
    assert_eq!(fresh.files_with_tolerated_preprocessor_errors, 1);
    assert_eq!(fresh.kept, 10, "ml_sigmoid joins the nine of the default build");
    let all = dataset(&fresh_out).concat();
    let sigmoid = all.iter().find(|r| r.function == "ml_sigmoid").unwrap();
    assert!(sigmoid.source.contains("typedef double ml_real;"), "the #else branch: {}", sigmoid.source);
    for i in 0..sigmoid.pairs.len() {
        let x = sigmoid.pairs.input(i)[0] as f64;
        assert!((sigmoid.pairs.output(i)[0] as f64 - 1.0 / (1.0 + (-x).exp())).abs() < 1e-6);
    }

    // A default build's journal, resumed tolerant: only unconfigured.c is read again, and the
    // result equals the fresh tolerant build; resumed strict again, it is dropped again.
    let out = dir.path().join("resumed");
    let strict = run(&out, TypeFilter::Paper);
    let journal = BuildPaths::new(&out).work.join("files.jsonl");
    let lines = || std::fs::read_to_string(&journal).unwrap().lines().count();
    let before = lines();
    let resumed = run_with(&out, &tolerant);
    assert_eq!(lines(), before + 1);
    assert_eq!((resumed.kept, resumed.files_with_tolerated_preprocessor_errors), (10, 1));
    assert_eq!(dataset(&out), dataset(&fresh_out));
    let again = run(&out, TypeFilter::Paper);
    assert_eq!(lines(), before + 2);
    assert_eq!((again.kept, again.files_dropped.get("preprocessor_error")), (strict.kept, Some(&1)));
    let strict_out = dir.path().join("strict");
    run(&strict_out, TypeFilter::Paper);
    assert_eq!(dataset(&out), dataset(&strict_out));
}
