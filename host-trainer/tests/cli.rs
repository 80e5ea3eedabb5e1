//! The `compnet` binary on bad input: a clear message naming what was wrong, and a non-zero exit.

use std::process::Command;

fn compnet(args: &[&str], cwd: &std::path::Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_compnet")).args(args).current_dir(cwd).output().expect("run compnet");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn unknown_program_lists_the_valid_ones() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["fit", "--program", "fftx"][..], &["dataset", "parrot", "--program", "nope"][..]] {
        let (ok, err) = compnet(args, dir.path());
        assert!(!ok, "{args:?} succeeded");
        assert!(
            err.contains("no ParrotBench program named") && err.contains("sobel") && err.contains("jmeint"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn missing_source_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, err) = compnet(&["fit", "--source", "no/such/file.c", "--function", "f"], dir.path());
    assert!(!ok);
    assert!(err.contains("no/such/file.c") && err.contains("cannot read"), "{err}");
}

#[test]
fn malformed_c_reports_the_compiler_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.c"), "float f(float x) { return x +* ; }\n").unwrap();
    let (ok, err) = compnet(&["fit", "--source", "bad.c", "--function", "f"], dir.path());
    assert!(!ok);
    assert!(err.contains("compile") && err.contains("error"), "{err}");
}

#[test]
fn function_missing_from_source_or_unsupported_signature() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("g.c"), "double g(const char *name) { return name[0]; }\n").unwrap();
    let (ok, err) = compnet(&["fit", "--source", "g.c", "--function", "h"], dir.path());
    assert!(!ok);
    assert!(err.contains("\"h\""), "{err}");
    let (ok, err) = compnet(&["fit", "--source", "g.c", "--function", "g"], dir.path());
    assert!(!ok);
    assert!(err.contains("const char *") && err.contains("not a supported scalar"), "{err}");
}

#[test]
fn bad_flags_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.c"), "float f(float x) { return x * x; }\n").unwrap();
    std::fs::write(dir.path().join("comments.txt"), "# no packages\n\n").unwrap();
    for (args, needle) in [
        (&["fit", "--source", "f.c", "--function", "f", "--domain", "3:1"][..], "lo < hi"),
        (&["fit", "--source", "f.c", "--function", "f", "--device", "tpu"][..], "unknown device"),
        (&["fit", "--source", "f.c", "--function", "f", "--activation", "swish", "--pairs", "64"][..], "swish"),
        (&["fit"][..], "--program"),
        (&["dataset", "exestack", "--packages-file", "no/such/list.txt"][..], "no/such/list.txt"),
        (&["dataset", "exestack", "--packages-file", "comments.txt"][..], "the package list is empty"),
        (&["dataset", "exestack", "--corpus", ".", "--fetch-only"][..], "cannot be used with"),
        (&["dataset", "synthetic", "--max-depth", "0"][..], "--max-depth must be 1 to 8"),
        (&["dataset", "synthetic", "--max-statements", "0"][..], "--max-statements must be positive"),
        (&["train", "--train", "t.parquet", "--val", "v.parquet", "--dropout", "1.5"][..], "dropout"),
        (
            &["train", "--train", "t.parquet", "--val", "v.parquet", "--saturation-penalty", "nan"][..],
            "saturation-penalty",
        ),
        (&["train", "--train", "t.parquet", "--val", "v.parquet", "--weight-penalty", "inf"][..], "weight-penalty"),
        (&["eval", "--train", "t.parquet", "--recycle", "nan"][..], "--recycle NaN must be"),
        (&["eval", "--train", "t.parquet", "--twins", "--recycle", "0"][..], "it needs --recycle above 0"),
        (&["eval", "--train", "t.parquet", "--spread", "nan"][..], "--spread NaN must be"),
        (&["eval", "--train", "t.parquet", "--spread=-1"][..], "--spread -1 must be"),
        (&["eval", "--train", "t.parquet", "--spread", "0.1", "--recycle", "0"][..], "--spread judges dormant units"),
        (&["compile", "f.c", "--function", "f", "--recycle", "inf"][..], "--recycle inf must be"),
        (
            &["compile", "f.c", "--function", "f", "--spread", "0.1", "--recycle", "0"][..],
            "--spread judges dormant units",
        ),
        (&["eval", "--methods", "CPN,PTS"][..], "--methods must include RND"),
        (&["eval", "--methods", "cpn,maml,rnd"][..], "unknown method \"maml\""),
        (&["eval", "--methods", "CPN,PTS,RND"][..], "give training programs for PTS and FOMAML"),
    ] {
        let (ok, err) = compnet(args, dir.path());
        assert!(!ok, "{args:?} succeeded");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

/// The happy path on any C function: a real fit of x² on [-1, 1] writes every artefact and the
/// blob it writes evaluates close to the real function.
#[test]
fn fit_of_a_c_source_writes_a_working_surrogate() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sq.c"), "/* square */\ndouble sq(double x) { return x * x; }\n").unwrap();
    let (ok, err) = compnet(
        &["fit", "--source", "sq.c", "--function", "sq", "--pairs", "2048", "--epochs", "40", "--out", "out"],
        dir.path(),
    );
    assert!(ok, "{err}");
    for f in ["surrogate.cpn", "metrics.csv", "loss.png", "config.json", "report.json"] {
        assert!(dir.path().join("out").join(f).exists(), "{f} missing");
    }
    let blob = std::fs::read(dir.path().join("out/surrogate.cpn")).unwrap();
    let view = compnet_runtime::SurrogateView::parse(&blob).unwrap();
    assert_eq!(view.signature(), "double sq(double x)");
    let mut y = [0.0f32];
    for x in [-0.9f32, -0.3, 0.0, 0.5, 0.8] {
        view.eval::<64>(&[x], &mut y).unwrap();
        assert!((y[0] - x * x).abs() < 0.02, "sq({x}) ≈ {} (want {})", y[0], x * x);
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/report.json")).unwrap()).unwrap();
    assert!(report["test_mse"].as_f64().unwrap() < 1e-3, "{report}");
}

/// zero-data on held-out programs none of which can be compared (here: fewer test pairs than
/// `--pairs`) fails and says why, rather than writing a report without its held-out table; with
/// `--pairs` they have, it compares them all.
#[test]
fn zero_data_with_nothing_to_compare_says_why() {
    let dir = tempfile::tempdir().unwrap();
    synthetic_programs(6, dir.path());
    let data = ["--data", "d/train.parquet", "--data", "d/test.parquet"];
    let (ok, err) = compnet(&[&["zero-data"][..], &data, &["--out", "z"]].concat(), dir.path());
    assert!(!ok, "zero-data compared programs of 16 test pairs at --pairs 1024");
    assert!(err.contains("no program of d/train.parquet, d/test.parquet could be compared"), "{err}");
    assert!(err.contains("too few pairs") && err.contains("--pairs 1024"), "{err}");
    let (ok, err) =
        compnet(&[&["zero-data"][..], &data, &["--pairs", "16", "--trials", "2", "--out", "z"]].concat(), dir.path());
    assert!(ok, "{err}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("z/zero-data.json")).unwrap()).unwrap();
    let compared = report["held_out"][0]["programs"].as_u64().unwrap();
    assert!((1..=6).contains(&compared), "{report}");
}

/// `count` synthetic programs of 32 pairs (16 in each row) built into `cwd/d`.
fn synthetic_programs(count: usize, cwd: &std::path::Path) {
    let count = count.to_string();
    let (ok, err) =
        compnet(&["dataset", "synthetic", "--count", &count, "--pairs", "32", "--quiet", "--out", "d"], cwd);
    assert!(ok, "{err}");
}

fn compnet_stdout(args: &[&str], cwd: &std::path::Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_compnet")).args(args).current_dir(cwd).output().expect("run compnet");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `export` writes an ONNX file and a blob of a trained surrogate; `run` gives, through tract on
/// the ONNX and through the core on the blob, what the surrogate computes in-process, and that is
/// close to the real function (x³ − x, fitted here).
#[test]
fn export_then_run_on_both_engines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cube.c"), "float cube(float x) { return x * x * x - x; }\n").unwrap();
    let (ok, err) = compnet(
        &["fit", "--source", "cube.c", "--function", "cube", "--pairs", "2048", "--epochs", "300", "--out", "fit"],
        dir.path(),
    );
    assert!(ok, "{err}");
    let printed = compnet_stdout(&["export", "fit", "--out", "ex"], dir.path());
    assert!(printed.contains("max |Δ|"), "{printed}");
    compnet_stdout(
        &["export", "fit", "--out", "ex", "--precision", "f16", "--name", "cube16", "--batch", "8"],
        dir.path(),
    );
    let blob = std::fs::read(dir.path().join("fit/surrogate.cpn")).unwrap();
    let view = compnet_runtime::SurrogateView::parse(&blob).unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("ex/cube.cpn")).unwrap(),
        blob,
        "f32 export of an f32 blob is the same bytes"
    );

    let xs = [-0.8f32, -0.25, 0.0, 0.4, 0.9];
    let args: Vec<String> = xs.iter().flat_map(|x| ["--input".to_owned(), x.to_string()]).collect();
    for (model, engine, tol) in [
        ("ex/cube.onnx", "tract", 1e-6),
        ("ex/cube.cpn", "core", 0.0),
        ("ex/cube.onnx", "core", 0.0),
        ("ex/cube.cpn", "tract", 1e-6),
        ("ex/cube16.onnx", "tract", 2e-3),
        ("ex/cube16.cpn", "core", 2e-3),
    ] {
        let mut a = vec!["run", model, "--engine", engine];
        a.extend(args.iter().map(String::as_str));
        let out = compnet_stdout(&a, dir.path());
        let ys: Vec<f32> = out.lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(ys.len(), xs.len(), "{model} {engine}: {out}");
        for (&x, &y) in xs.iter().zip(&ys) {
            let mut want = [0.0f32];
            view.eval::<64>(&[x], &mut want).unwrap();
            assert!((y - want[0]).abs() <= tol, "{model} {engine}: f({x}) = {y}, in-process {}", want[0]);
            assert!((y - (x * x * x - x)).abs() < 0.03, "{model} {engine}: f({x}) = {y}, real {}", x * x * x - x);
        }
    }
}

#[test]
fn export_and_run_reject_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("junk.cpn"), b"CPN\0not really a blob").unwrap();
    std::fs::write(dir.path().join("junk.onnx"), b"\x08\x07garbage").unwrap();
    let good = compnet_runtime::Surrogate::new(
        compnet_runtime::Metadata::named("id2"),
        vec![(0.0, 1.0); 2],
        compnet_runtime::Affine::identity(2),
        compnet_runtime::Affine::identity(1),
        vec![compnet_runtime::Layer {
            n_in: 2,
            n_out: 1,
            weights: vec![1.0, 1.0],
            biases: vec![0.0],
            activation: compnet_runtime::Activation::Identity,
        }],
    )
    .unwrap();
    std::fs::write(dir.path().join("good.cpn"), good.to_blob(compnet_runtime::Precision::F32)).unwrap();
    std::fs::write(dir.path().join("rows.csv"), "0.1,0.2\n# comment\n\n0.3,nan\n").unwrap();
    for (args, needle) in [
        (&["export", "missing.cpn"][..], "missing.cpn"),
        (&["export", "junk.cpn"][..], "not a valid .cpn blob"),
        (&["run", "junk.onnx", "--input", "1"][..], "neither a .cpn blob nor an ONNX"),
        (&["export", "good.cpn", "--precision", "f8"][..], "unknown precision"),
        (&["export", "good.cpn", "--opset", "9"][..], "opset 9"),
        (&["export", "good.cpn", "--batch", "0"][..], "batch"),
        (&["run", "good.cpn"][..], "no inputs"),
        (&["run", "good.cpn", "--input", "0.5"][..], "takes 2 inputs"),
        (&["run", "good.cpn", "--input", "0.5,abc"][..], "\"abc\" is not a number"),
        (&["run", "good.cpn", "--inputs", "rows.csv"][..], "rows.csv line 4"),
        (&["run", "good.cpn", "--inputs", "none.csv"][..], "none.csv"),
        (&["run", "good.cpn", "--input", "0.5,1.5", "--strict-domain"][..], "outside the trained domain [0, 1]"),
    ] {
        let (ok, err) = compnet(args, dir.path());
        assert!(!ok, "{args:?} succeeded");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert_eq!(compnet_stdout(&["run", "good.cpn", "--input", "0.25,0.5"], dir.path()).trim(), "0.75");
}

/// `dataset augment` writes reordered copies that the C compiler confirms (`--verify`), counts
/// them, and names a missing input file.
#[test]
fn augment_writes_verified_copies_and_names_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    synthetic_programs(12, dir.path());
    let (ok, err) =
        compnet(&["dataset", "augment", "d/train.parquet", "--out", "a/copies.parquet", "--verify", "4"], dir.path());
    assert!(ok, "{err}");
    let counts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("a/copies.json")).unwrap()).unwrap();
    let copies = counts["copies"].as_u64().unwrap();
    // A synthetic train.parquet holds each program's train and test rows; both get the same orders.
    assert!(copies > 0 && copies <= 2 * 3 * counts["programs_with_two_or_more_inputs"].as_u64().unwrap(), "{counts}");
    assert_eq!(copies % 2, 0, "{counts}");
    assert_eq!(counts["copies_verified_by_the_c_compiler"], 4, "{counts}");
    let (ok, err) = compnet(&["dataset", "augment", "d/none.parquet", "--out", "a/x.parquet"], dir.path());
    assert!(!ok);
    assert!(err.contains("d/none.parquet"), "{err}");
}

/// `dataset filter --types paper` keeps exactly the programs whose signature is float math by
/// value (checked here by the signature's text: no pointer, float or double throughout), with all
/// their rows; a signature that does not parse is an error naming the program.
#[test]
fn filter_keeps_the_paper_signatures_with_all_their_rows() {
    use compnet_datasets::store;
    let dir = tempfile::tempdir().unwrap();
    synthetic_programs(16, dir.path());
    let out = compnet_stdout(
        &["dataset", "filter", "d/train.parquet", "--types", "paper", "--out", "f/paper.parquet"],
        dir.path(),
    );
    let all = store::read_records(&dir.path().join("d/train.parquet")).unwrap();
    let kept = store::read_records(&dir.path().join("f/paper.parquet")).unwrap();
    let by_text = |sig: &str| {
        let words = sig.replace(['(', ')', ','], " ");
        !sig.contains('*')
            && words.split_whitespace().filter(|w| ["float", "double"].contains(w)).count()
                == 1 + sig.matches(',').count() + 1
    };
    let want: Vec<&str> = all.iter().filter(|r| by_text(&r.signature)).map(|r| r.name.as_str()).collect();
    let got: Vec<&str> = kept.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(got, want, "{out}");
    assert!(!want.is_empty() && want.len() < all.len(), "the synthetic file should mix both kinds: {out}");
    assert!(out.contains("pass --types paper"), "{out}");

    let mut broken = all[..2].to_vec();
    broken[1].signature = "double f(double x,".into();
    store::write_records(&dir.path().join("d/broken.parquet"), &broken).unwrap();
    let (ok, err) =
        compnet(&["dataset", "filter", "d/broken.parquet", "--types", "paper", "--out", "f/b.parquet"], dir.path());
    assert!(!ok);
    assert!(err.contains(&format!("program `{}`", broken[1].name)) && err.contains("does not parse"), "{err}");
}

/// A `--train` file none of whose programs can be used is an error naming it, not a silent skip:
/// a synthetic build of 32 pairs keeps 16 in each program's `train` row.
#[test]
fn train_names_a_file_whose_programs_all_have_too_few_pairs() {
    let dir = tempfile::tempdir().unwrap();
    synthetic_programs(6, dir.path());
    let args = ["train", "--train", "d/train.parquet", "--val", "d/test.parquet", "--pairs", "32", "--epochs", "1"];
    let (ok, err) = compnet(&args, dir.path());
    assert!(!ok, "trained on no programs");
    assert!(err.contains("--train d/train.parquet: none of its") && err.contains("at --pairs 32"), "{err}");
    assert!(err.contains("too few pairs"), "{err}");
}
