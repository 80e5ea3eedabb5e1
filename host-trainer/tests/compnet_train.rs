//! `compnet train` and `compnet compile` end to end on a tiny CompNet, on synthetic C programs
//! run through the real harness: the loss falls, a SIGKILLed run resumes to exactly the run that
//! was never stopped, and a compiled surrogate agrees with the C function better than chance.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_compnet"))
}

fn ok(out: Output, what: &str) -> String {
    assert!(out.status.success(), "{what} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// 24 synthetic programs with 256 pairs each, built once for all tests.
fn data() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep().join("synthetic");
        let out = bin()
            .args(["dataset", "synthetic", "--count", "24", "--pairs", "256", "--quiet", "--out"])
            .arg(&dir)
            .output()
            .unwrap();
        ok(out, "compnet dataset synthetic");
        dir
    })
}

fn train_command(out: &Path, epochs: usize) -> Command {
    train_command_with(out, epochs, 32, "2e-3")
}

/// [`train_command`] with an encoder of width `d_model` and peak learning rate `lr`.
fn train_command_with(out: &Path, epochs: usize, d_model: usize, lr: &str) -> Command {
    let d = data();
    let mut c = bin();
    c.arg("train")
        .arg("--train")
        .arg(d.join("train.parquet"))
        .arg("--val")
        .arg(d.join("test.parquet"))
        .args(["--epochs", &epochs.to_string()])
        .args(["--programs-per-step", "8", "--pairs-per-step", "64", "--pairs", "128", "--warmup", "10"])
        .args(["--lr", lr, "--d-model", &d_model.to_string(), "--d-ff", "64", "--layers", "1", "--heads", "2"])
        .args(["--covering", "9,16,2"])
        .arg("--out")
        .arg(out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// `(epoch, train_loss, val_mse, learning_rate)` per line of metrics.csv (the wall-clock column
/// is left out: it is the one value two identical runs do not share).
fn metrics(run: &Path) -> Vec<(usize, f64, f64, f64)> {
    let text = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let v: Vec<&str> = l.split(',').collect();
            (v[0].parse().unwrap(), v[1].parse().unwrap(), v[2].parse().unwrap(), v[3].parse().unwrap())
        })
        .collect()
}

#[test]
fn tiny_compnet_training_lowers_the_loss() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    ok(train_command(&run, 30).output().unwrap(), "compnet train");
    let m = metrics(&run);
    assert_eq!(m.iter().map(|r| r.0).collect::<Vec<_>>(), (1..=30).collect::<Vec<_>>());
    let first = m[0].1;
    let last = m[27..].iter().map(|r| r.1).sum::<f64>() / 3.0;
    assert!(m.iter().all(|r| r.1.is_finite() && r.2.is_finite()), "{m:?}");
    assert!(last < 0.5 * first, "training loss {first:.4} → {last:.4}: it did not fall by half");
    for f in [
        "config.json",
        "summary.json",
        "loss.png",
        "checkpoint/weights.bpk",
        "checkpoint/optimizer.bpk",
        "best/compnet.json",
    ] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
}

/// With the meta term (docs/compnet.md, "Finetunability") the plain MSE still falls, and the
/// term is part of the run's recorded configuration.
#[test]
fn meta_term_training_lowers_the_loss_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let meta = ["--meta-weight", "1", "--meta-steps", "3", "--meta-lr", "0.01", "--meta-optimizer", "adam"];
    let meta = [&meta[..], &["--meta-support", "16"]].concat();
    ok(train_command(&run, 30).args(&meta).output().unwrap(), "compnet train --meta-weight 1");
    let m = metrics(&run);
    let (first, last) = (m[0].1, m[27..].iter().map(|r| r.1).sum::<f64>() / 3.0);
    assert!(m.iter().all(|r| r.1.is_finite() && r.2.is_finite()), "{m:?}");
    assert!(last < 0.5 * first, "training loss {first:.4} → {last:.4}: it did not fall by half");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["meta"]["weight"], 1.0);
    assert_eq!(config["meta"]["inner"]["steps"], 3);
    assert_eq!(config["meta"]["inner"]["optimizer"], "adam");
    assert_eq!(config["meta"]["support"], 16);
    // All 64 pairs of a step as support would leave no query.
    let out =
        train_command(&dir.path().join("all"), 1).args(&meta[..8]).args(["--meta-support", "64"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--meta-support must leave at least one"));
    let out = train_command(&dir.path().join("bad"), 1).arg("--meta-weight=-1").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--meta-weight -1 must be a finite number"));
}

/// `--val-finetune` records the validation programs' MSE after a short finetuning beside the
/// plain one, and `--select finetuned` keeps as `best/` the epoch where it is lowest.
#[test]
fn a_finetuned_validation_is_recorded_and_can_pick_the_best_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let flags = ["--val-finetune", "5", "--val-support", "32", "--select", "finetuned"];
    ok(train_command(&run, 6).args(flags).output().unwrap(), "compnet train --val-finetune 5");
    let text = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    assert!(text.starts_with("epoch,train_loss,val_mse,learning_rate,seconds,val_finetuned\n"), "{text}");
    let finetuned: Vec<f64> = text.lines().skip(1).map(|l| l.rsplit(',').next().unwrap().parse().unwrap()).collect();
    assert_eq!(finetuned.len(), 6);
    assert!(finetuned.iter().all(|v| v.is_finite() && *v > 0.0), "{finetuned:?}");
    let lowest = (0..6).min_by(|&a, &b| finetuned[a].total_cmp(&finetuned[b])).unwrap() + 1;
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["selected_by"], "finetuned");
    assert_eq!(summary["best_epoch"], lowest, "{finetuned:?}");
    assert!((summary["best_val_mse"].as_f64().unwrap() - finetuned[lowest - 1]).abs() <= 1e-6 * finetuned[lowest - 1]);
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["val_finetune"]["inner"]["steps"], 5);
    assert_eq!(config["val_finetune"]["support"], 32);

    // `compnet validate` scores the saved best/ as the run scored that epoch.
    let d = data();
    let out = bin()
        .args(["validate", "--checkpoint"])
        .arg(run.join("best"))
        .arg("--val")
        .arg(d.join("test.parquet"))
        .args(["--pairs", "128", "--val-finetune", "5", "--val-support", "32"])
        .output()
        .unwrap();
    let table = ok(out, "compnet validate");
    let row: Vec<&str> = table.lines().nth(2).expect("a row per checkpoint").split('|').map(str::trim).collect();
    let (plain, tuned): (f64, f64) = (row[3].parse().unwrap(), row[4].parse().unwrap());
    let m = metrics(&run);
    for (what, got, want) in [("plain", plain, m[lowest - 1].2), ("finetuned", tuned, finetuned[lowest - 1])] {
        assert!((got - want).abs() <= 1e-3 * want, "{what}: validate {got}, the run's epoch {lowest} {want}\n{table}");
    }
    let out = bin()
        .args(["validate", "--checkpoint"])
        .arg(dir.path().join("missing"))
        .arg("--val")
        .arg(d.join("test.parquet"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--checkpoint"), "{}", String::from_utf8_lossy(&out.stderr));

    // Selecting by a measure the run does not take, or scoring on no pairs, is refused.
    let out = train_command(&dir.path().join("bad"), 1).args(["--select", "finetuned"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--select finetuned needs --val-finetune"));
    let out = train_command(&dir.path().join("all"), 1)
        .args(["--val-finetune", "2", "--val-support", "128"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--val-support 128 must leave at least one"));
}

#[test]
fn a_fomaml_head_start_is_where_every_program_begins() {
    // Head scale 0 and learning rate 0: every program's generated surrogate is FOMAML's start and
    // stays there, whatever the encoder; so two encoders of other widths validate to the same MSE,
    // and a run without the start (a random head) does not.
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, d_model: usize, start: &[&str]| {
        let out = dir.path().join(name);
        let mut c = train_command_with(&out, 1, d_model, "0");
        c.args(["--final-lr", "0"]).args(start);
        let output = c.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "compnet train failed:\n{stderr}");
        (metrics(&out)[0].2, out, stderr)
    };
    let start = ["--start-fomaml", "30", "--start-head-scale", "0"];
    let (a, out, log) = run("a", 32, &start);
    let (b, _, _) = run("b", 16, &start);
    let (none, _, _) = run("none", 32, &[]);
    assert!(log.contains("FOMAML, 30 meta steps"), "{log}");
    assert!(a.is_finite() && (a - b).abs() <= 1e-6 * a.max(1.0), "validation MSE {a} vs {b}");
    assert!((a - none).abs() > 1e-3 * a.max(1.0), "the start changed nothing: {a} vs {none}");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["start"], serde_json::json!({"fomaml_steps": 30, "head_scale": 0.0}));
}

#[test]
fn a_run_can_start_from_another_runs_compnet() {
    // Learning rate 0 from `--init`: the run validates exactly as the checkpoint it started from
    // (its best epoch's MSE), whatever its seed; a fresh network of the same flags does not.
    let dir = tempfile::tempdir().unwrap();
    let from = tiny_checkpoint();
    let best = metrics(from.parent().unwrap()).iter().map(|m| m.2).fold(f64::INFINITY, f64::min);
    let run = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let mut c = train_command_with(&out, 1, 32, "0");
        c.args(["--final-lr", "0", "--seed", "5"]).args(extra);
        (c.output().unwrap(), out)
    };
    let init = from.to_str().unwrap();
    let (output, out) = run("init", &["--init", init]);
    ok(output, "compnet train --init");
    let started = metrics(&out)[0].2;
    assert!((started - best).abs() <= 1e-6 * best.max(1.0), "validation MSE {started}, the checkpoint's {best}");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["init"], serde_json::json!(init));
    let (output, fresh) = run("fresh", &[]);
    ok(output, "compnet train");
    assert!((metrics(&fresh)[0].2 - best).abs() > 1e-3 * best.max(1.0), "a fresh network validated as the checkpoint");

    // Another network (here a narrower encoder) is refused, naming the checkpoint's config.
    let out = dir.path().join("narrow");
    let output = train_command_with(&out, 1, 16, "0").args(["--init", init]).output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--init") && stderr.contains("compnet.json") && stderr.contains("different network"),
        "{stderr}"
    );
    // And a folder without a checkpoint is named.
    let output =
        train_command_with(&dir.path().join("none"), 1, 32, "0").args(["--init"]).arg(dir.path()).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no CompNet checkpoint"));
}

#[test]
fn killed_training_resumes_to_the_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let (resumed, whole) = (dir.path().join("resumed"), dir.path().join("whole"));
    let epochs = 12;

    let mut child = train_command(&resumed, epochs).args(["--checkpoint-secs", "0"]).spawn().unwrap();
    let state = resumed.join("checkpoint/state.json");
    let start = Instant::now();
    let step_of = |p: &Path| -> usize {
        std::fs::read_to_string(p)
            .ok()
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .and_then(|v| v["step"].as_u64())
            .unwrap_or(0) as usize
    };
    while step_of(&state) < 8 {
        assert!(child.try_wait().unwrap().is_none(), "training finished before it could be killed");
        assert!(start.elapsed() < Duration::from_secs(120), "no checkpoint in 120 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // A kill can land between the two renames of a checkpoint swap: then `checkpoint.old` holds it.
    let saved = step_of(&state).max(step_of(&resumed.join("checkpoint.old/state.json")));
    assert!(saved >= 8);

    let out = train_command(&resumed, epochs).arg("--resume").output().unwrap();
    let log = ok(out, "compnet train --resume");
    ok(train_command(&whole, epochs).output().unwrap(), "compnet train (uninterrupted)");
    assert_eq!(metrics(&resumed), metrics(&whole), "resumed run differs from the uninterrupted one");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(resumed.join("summary.json")).unwrap()).unwrap();
    let total = summary["steps"].as_u64().unwrap() as usize;
    // The resumed process ran only the steps after the checkpoint: its rate counts those.
    assert!(log.contains(&format!("steps        {total}")), "{log}");
    assert!(saved < total, "checkpoint at step {saved} of {total}");

    // Resuming with other flags is refused with a message naming the saved config.
    let out = train_command(&resumed, epochs + 1).arg("--resume").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("config.json"));
}

fn tiny_checkpoint() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| {
        let run = tempfile::tempdir().unwrap().keep().join("run");
        ok(train_command(&run, 20).output().unwrap(), "compnet train");
        run.join("best")
    })
}

/// `compnet compile` of sobel on [0, 1] with the tiny checkpoint into `out`, the given flags
/// added; its `sobel.report.json`.
fn compile_sobel(out: &Path, flags: &[&str], what: &str) -> serde_json::Value {
    let sobel = Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/programs/sobel.c");
    let run = bin()
        .arg("compile")
        .arg(&sobel)
        .args(["--function", "sobel", "--domain", "0:1"])
        .args(flags)
        .arg("--checkpoint")
        .arg(tiny_checkpoint())
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    ok(run, what);
    serde_json::from_str(&std::fs::read_to_string(out.join("sobel.report.json")).unwrap()).unwrap()
}

#[test]
fn compile_writes_checked_files_and_reports_accuracy() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--finetune", "512", "--epochs", "20", "--test-pairs", "256"];
    let report = compile_sobel(dir.path(), &flags, "compnet compile");
    assert_eq!(report["topology"], serde_json::json!([9, 16, 1]));
    assert_eq!(report["test_pairs"], 256);
    let compiled = report["compiled_test_mse"].as_f64().unwrap();
    let finetuned = report["finetuned_test_mse"].as_f64().unwrap();
    assert!(compiled.is_finite() && finetuned.is_finite());
    // Finetuning on 512 real pairs from the compiled start beats the compiled start.
    assert!(finetuned < compiled, "finetuned {finetuned} vs compiled {compiled}");
    // It came from one of the two starts (the compiled one, or the same with its dormant units
    // recycled), chosen by validation MSE.
    assert!(["compiled", "recycled"].contains(&report["finetune_start"].as_str().unwrap()), "{report}");
    // With --spread a third start: the compiled surrogate spread. A run that keeps one of the two
    // others finetuned exactly what the two-start run did.
    let three = tempfile::tempdir().unwrap();
    let spread = compile_sobel(three.path(), &[&flags[..], &["--spread", "0.1"]].concat(), "compnet compile --spread");
    match spread["finetune_start"].as_str().unwrap() {
        "spread" => assert!(spread["finetuned_test_mse"].as_f64().unwrap().is_finite()),
        start => {
            assert_eq!(start, report["finetune_start"], "{spread}");
            assert_eq!(spread["finetuned_test_mse"], report["finetuned_test_mse"]);
        }
    }
    let only = tempfile::tempdir().unwrap();
    let flags = ["--finetune", "512", "--epochs", "2", "--recycle", "0"];
    let report = compile_sobel(only.path(), &flags, "compnet compile --recycle 0");
    assert_eq!(report["finetune_start"], "compiled");

    // The blob computes the same as the ONNX file (both through `compnet run`), and the value
    // recorded as the export error is the finetuned test MSE.
    let run = |f: &str| {
        ok(
            bin()
                .arg("run")
                .arg(dir.path().join(f))
                .args(["--input", "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9"])
                .output()
                .unwrap(),
            "compnet run",
        )
    };
    let (core, tract) = (run("sobel.cpn"), run("sobel.onnx"));
    let parse = |s: &str| s.trim().parse::<f32>().unwrap();
    assert!((parse(&core) - parse(&tract)).abs() < 1e-5, "{core} vs {tract}");
}

/// `compile --finetune --cpn-also DIR`: every CompNet's starts are finetuned and the lowest
/// validation MSE wins. The tiny CompNet given again compiles the same starts, which finetune to
/// exactly its own validation MSEs; the shipped CompNet's are other starts. A CompNet that does
/// not cover the function is skipped with a warning, and without --finetune the flag is refused.
#[test]
fn compile_cpn_also_finetunes_other_compnets_starts() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("checkpoints/default");
    let flags = ["--finetune", "512", "--epochs", "20", "--test-pairs", "256"];
    let plain_dir = tempfile::tempdir().unwrap();
    let plain = compile_sobel(plain_dir.path(), &flags, "compnet compile");
    let also_dir = tempfile::tempdir().unwrap();
    let (tiny, shipped) = (tiny_checkpoint().display().to_string(), shipped.display().to_string());
    let also_flags = [&flags[..], &["--cpn-also", &tiny, "--cpn-also", &shipped]].concat();
    let also = compile_sobel(also_dir.path(), &also_flags, "compnet compile --cpn-also");
    let tried: Vec<(String, f64)> = serde_json::from_value(also["finetune_validation"].clone()).unwrap();
    let names: Vec<&str> = tried.iter().map(|(n, _)| n.as_str()).collect();
    let expected = [
        "compiled".to_owned(),
        "recycled".to_owned(),
        format!("compiled by {tiny}"),
        format!("recycled from {tiny}"),
        format!("compiled by {shipped}"),
        format!("recycled from {shipped}"),
    ];
    assert_eq!(names, expected, "{also}");
    // The same CompNet again: the same starts, finetuned alike.
    assert_eq!(tried[2].1, tried[0].1);
    assert_eq!(tried[3].1, tried[1].1);
    // Another CompNet: other starts.
    assert_ne!(tried[4].1, tried[0].1);
    assert!(tried.iter().all(|(_, v)| v.is_finite() && *v >= 0.0), "{tried:?}");
    // The kept start is the first of lowest validation MSE; one of the plain run's two starts
    // finetunes to the plain run's surrogate.
    let lowest = tried.iter().map(|(_, v)| *v).fold(f64::INFINITY, f64::min);
    let kept = &tried.iter().find(|(_, v)| *v == lowest).unwrap().0;
    assert_eq!(also["finetune_start"].as_str().unwrap(), kept, "{also}");
    if ["compiled", "recycled"].contains(&kept.as_str()) {
        assert_eq!(also["finetune_start"], plain["finetune_start"]);
        assert_eq!(also["finetuned_test_mse"], plain["finetuned_test_mse"]);
    } else {
        assert!(kept.ends_with(&shipped), "{kept}");
    }
    let plain_tried: Vec<(String, f64)> = serde_json::from_value(plain["finetune_validation"].clone()).unwrap();
    assert_eq!(plain_tried, tried[..2].to_vec());

    // A CompNet that does not cover the function (the tiny one's two outputs, three needed).
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("f.c");
    std::fs::write(&c, "void three(double x, double *a, double *b, double *c) { *a = x; *b = 2 * x; *c = -x; }\n")
        .unwrap();
    let compile_three = |extra: &[&str]| {
        bin()
            .arg("compile")
            .arg(&c)
            .args(["--function", "three", "--checkpoint", &shipped, "--cpn-also", &tiny, "--test-pairs", "64"])
            .args(extra)
            .arg("--out")
            .arg(dir.path().join("out"))
            .output()
            .unwrap()
    };
    let out = compile_three(&["--finetune", "128", "--epochs", "3"]);
    let warning = String::from_utf8_lossy(&out.stderr).into_owned();
    ok(out, "compnet compile --cpn-also with a CompNet that does not cover the function");
    assert!(warning.contains("does not cover three (1 → 3); skipped"), "{warning}");
    let out = compile_three(&[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("it needs --finetune N"));
}

#[test]
fn compile_rejects_bad_input_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("f.c");
    std::fs::write(
        &c,
        "#include <math.h>\nvoid three(double x, double *a, double *b, double *c) { *a = x; *b = x; *c = x; }\n",
    )
    .unwrap();
    let compile = |function: &str, checkpoint: &Path| {
        bin()
            .arg("compile")
            .arg(&c)
            .args(["--function", function])
            .arg("--checkpoint")
            .arg(checkpoint)
            .arg("--out")
            .arg(dir.path().join("out"))
            .output()
            .unwrap()
    };
    let err = |o: Output| {
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let e = err(compile("three", tiny_checkpoint()));
    assert!(e.contains("outside this CompNet's covering shape [9, 16, 2]"), "{e}");
    // With --finetune, a function outside the covering shape is trained from a random start.
    let out = bin()
        .arg("compile")
        .arg(&c)
        .args(["--function", "three", "--finetune", "256", "--epochs", "5", "--test-pairs", "64"])
        .arg("--checkpoint")
        .arg(tiny_checkpoint())
        .arg("--out")
        .arg(dir.path().join("wide"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("starting the finetuning from a random initialisation"));
    ok(out, "compnet compile --finetune outside the covering shape");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("wide/three.report.json")).unwrap()).unwrap();
    assert_eq!(report["generated_by_compnet"], false);
    assert_eq!(report["topology"], serde_json::json!([1, 16, 3]));
    let e = err(compile("missing", tiny_checkpoint()));
    assert!(e.contains("missing"), "{e}");
    let e = err(compile("three", dir.path()));
    assert!(e.contains("no CompNet checkpoint"), "{e}");
    // A corrupt weights file is an error naming the file, not a panic.
    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::copy(tiny_checkpoint().join("compnet.json"), bad.join("compnet.json")).unwrap();
    std::fs::write(bad.join("weights.bpk"), b"not a burnpack file").unwrap();
    let e = err(compile("three", &bad));
    assert!(e.contains("weights.bpk"), "{e}");
    assert!(!dir.path().join("out/three.onnx").exists());
}
