//! ExeStack's front half (preprocess + extract) on fixture C files written here
//! (`tests/fixtures/exestack/`): which functions become candidates under each type filter, what
//! their standalone sources carry, that each compiles alone through the harness and computes what
//! the original file compiled whole computes, and how files fail.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use compnet_datasets::exestack::{
    Candidate, Extraction, FileError, PreprocessError, Preprocessor, STD_HEADERS, TypeFilter, process_file,
};
use compnet_datasets::harness::{Harness, HarnessConfig};
use compnet_datasets::signature::{ParamRole, Scalar, Signature};
use rand::{Rng, SeedableRng};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/exestack").join(name)
}

fn extract(name: &str, filter: TypeFilter) -> Extraction {
    process_file(&fixture(name), &Preprocessor::default(), filter).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn names(x: &Extraction) -> Vec<&str> {
    x.candidates.iter().map(|c| c.function.as_str()).collect()
}

fn rejected(x: &Extraction) -> BTreeMap<&str, &str> {
    x.rejected.iter().map(|(f, r)| (f.as_str(), *r)).collect()
}

fn candidate<'a>(x: &'a Extraction, name: &str) -> &'a Candidate {
    x.candidates.iter().find(|c| c.function == name).unwrap_or_else(|| panic!("no candidate `{name}`"))
}

const PAPER: &[(&str, &str)] = &[
    ("horner", "double horner(double x)"),
    ("poly_mod", "double poly_mod(double x, double y)"),
    ("scaled_sin", "double scaled_sin(double x)"),
    ("clampf", "float clampf(float v, float lo, float hi)"),
    ("odd_dispatch", "double odd_dispatch(double x)"),
    ("odd_even", "double odd_even(double x)"),
    ("knr_hypot", "double knr_hypot(double a, double b)"),
    ("log_and_return", "double log_and_return(double x)"),
];

#[test]
fn paper_filter_keeps_float_functions_with_what_they_need() {
    let x = extract("numeric.c", TypeFilter::Paper);
    assert_eq!(x.functions_seen, 23);
    assert_eq!(names(&x), PAPER.iter().map(|(n, _)| *n).collect::<Vec<_>>());
    for (name, sig) in PAPER {
        let c = candidate(&x, name);
        assert_eq!(c.signature.to_string(), *sig);
        assert_eq!(Signature::from_source(&c.source, name).unwrap(), c.signature, "{name}");
        assert_eq!(c.file, fixture("numeric.c"));
    }
    let expected_rejections: BTreeMap<&str, &str> = [
        ("modulus", "type_filter"),
        ("power_int", "type_filter"),
        ("polar", "type_filter"),
        ("sign_of", "type_filter"),
        ("halve_times", "type_filter"),
        ("clamp_index", "type_filter"),
        ("quantize", "type_filter"),
        ("sum_array", "type_filter"),
        ("dot3", "type_filter"),
        ("scale_all", "type_filter"),
        ("mean_of", "variadic"),
        ("uses_external", "undefined_reference"),
        ("count_calls", "type_filter"),
        ("apply", "type_filter"),
        ("wide", "type_filter"),
    ]
    .into();
    assert_eq!(rejected(&x), expected_rejections);
    assert_eq!(x.candidates.len() + x.rejected.len(), x.functions_seen);

    // poly_mod: its static helpers (one from the project header), the table, the typedef'd struct,
    // in original order; nothing else of the unit.
    let c = candidate(&x, "poly_mod");
    assert_eq!(c.line, 23);
    assert_eq!(c.helpers, ["sq", "horner", "modulus"]);
    let includes: String = STD_HEADERS.iter().map(|h| format!("#include <{h}>\n")).collect();
    assert!(c.source.starts_with(&includes), "{}", c.source);
    let body = &c.source[includes.len()..];
    assert!(!body.contains('#'), "{body}");
    let order: Vec<usize> = [
        "typedef struct {",
        "static inline double sq(double v)",
        "static const double poly_coef[4 + 1] = {1.0, -0.5, 0.25, -0.125, 0.0625};",
        "static double horner(double x)",
        "static double modulus(complex_t z)",
        "double poly_mod(double x, double y) {",
    ]
    .iter()
    .map(|s| body.find(s).unwrap_or_else(|| panic!("`{s}` missing from\n{body}")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}\n{body}");
    for absent in ["unused_table", "call_count", "external_scale", "typedef double real", "printf", "__"] {
        assert!(!body.contains(absent), "`{absent}` in\n{body}");
    }

    // Qualifiers, typedef names and K&R parameter lists are rewritten away.
    let c = candidate(&x, "log_and_return");
    assert!(c.source.contains("\ndouble log_and_return(double x) {"), "{}", c.source);
    assert_eq!(c.notes, ["`static inline __attribute__((unused))` dropped from the definition"]);
    let c = candidate(&x, "scaled_sin");
    assert!(c.source.contains("typedef double real;\n") && c.source.contains("\ndouble scaled_sin(double x) {"));
    assert_eq!(c.notes, ["typedef `real` read as `double`"]);
    assert_eq!(candidate(&x, "knr_hypot").notes, ["K&R parameter declarations rewritten as a prototype"]);
    // A helper defined after its caller keeps its earlier prototype.
    let src = &candidate(&x, "odd_dispatch").source;
    let proto = src.find("static double odd_even(double x);").unwrap();
    assert!(proto < src.find("double odd_dispatch").unwrap() && src.rfind("static double odd_even").unwrap() > proto);
}

#[test]
fn extended_filter_adds_int_parameters_out_pointers_and_int_returns() {
    let x = extract("numeric.c", TypeFilter::Extended);
    let mut expected: Vec<&str> = PAPER.iter().map(|(n, _)| *n).collect();
    expected.extend(["power_int", "polar", "sign_of", "halve_times", "clamp_index", "quantize"]);
    assert_eq!(names(&x), expected);
    let sig = |n: &str| candidate(&x, n).signature.clone();
    assert_eq!(sig("power_int").to_string(), "double power_int(double x, int n)");
    assert_eq!(sig("power_int").params[1].ty, Scalar::Int);
    let polar = sig("polar");
    assert_eq!(polar.to_string(), "void polar(double x, double y, double *r, double *theta)");
    assert_eq!((polar.n_in(), polar.n_out()), (2, 2));
    assert_eq!(polar.params[3].role, ParamRole::Output);
    assert_eq!(sig("sign_of").to_string(), "int sign_of(double x)");
    assert_eq!(sig("halve_times").to_string(), "double halve_times(double x, unsigned int n)");
    // Integer-only, and an integer out-pointer beside a floating one.
    assert_eq!(sig("clamp_index").to_string(), "int clamp_index(int i, int n)");
    assert!(!sig("clamp_index").has_floating() && sig("quantize").has_floating());
    let quantize = sig("quantize");
    assert_eq!(quantize.to_string(), "void quantize(double x, int *level, double *residual)");
    assert_eq!((quantize.params[1].ty, quantize.params[1].role), (Scalar::Int, ParamRole::Output));
    for c in &x.candidates {
        assert_eq!(Signature::from_source(&c.source, &c.function).unwrap(), c.signature);
    }
    let r = rejected(&x);
    assert_eq!(r["scale_all"], "out_pointer_as_array");
    assert_eq!(r["sum_array"], "type_filter"); // const double *: an input array
    assert_eq!(r["dot3"], "type_filter");
    assert_eq!(r["count_calls"], "type_filter"); // no input
    assert_eq!(r["mean_of"], "variadic");
    assert_eq!(r["uses_external"], "undefined_reference");
    assert_eq!(r.len(), 9);
}

/// Inputs for a signature: `float`/`double` from ±[0.2, 1), integers uniform in [−16, 16].
fn inputs(sig: &Signature, pairs: usize, seed: u64) -> Vec<f32> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut v = Vec::new();
    for _ in 0..pairs {
        for p in sig.params.iter().filter(|p| p.role == ParamRole::Input) {
            v.push(if p.ty.is_floating() {
                let m: f32 = rng.random_range(0.2..1.0);
                if rng.random_bool(0.5) { -m } else { m }
            } else {
                let lo = if p.ty.is_unsigned() { 0 } else { -16 };
                rng.random_range(lo..=16i32) as f32
            });
        }
    }
    v
}

/// The fixture compiled whole: its project header pasted in, and a definition of the function
/// it declares but another file of its package would define.
fn whole(name: &str) -> String {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let header = std::fs::read_to_string(fixture("numeric.h")).unwrap();
    text.replace("#include \"numeric.h\"", &header) + "\ndouble external_scale(double x) { return 2.0 * x; }\n"
}

#[test]
fn candidates_compile_alone_and_compute_what_the_whole_file_computes() {
    let harness = Harness::new(HarnessConfig { runs: 1, ..HarnessConfig::default() });
    let mut checked = 0;
    for file in ["numeric.c", "gnu_sincos.c"] {
        let original = whole(file);
        for (k, c) in extract(file, TypeFilter::Extended).candidates.iter().enumerate() {
            let x = inputs(&c.signature, 64, k as u64);
            let alone = harness.evaluate(&c.source, &c.signature, &x).unwrap_or_else(|e| panic!("{e}\n{}", c.source));
            let reference = harness.evaluate(&original, &c.signature, &x).unwrap_or_else(|e| panic!("{file}: {e}"));
            let same = alone.outputs().iter().zip(reference.outputs()).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{}: {:?} vs {:?}", c.function, &alone.outputs()[..4], &reference.outputs()[..4]);
            checked += 1;
        }
    }
    assert_eq!(checked, 16);
}

#[test]
fn int_inputs_are_rounded_and_int_outputs_exact() {
    let harness = Harness::new(HarnessConfig { runs: 1, ..HarnessConfig::default() });
    let src = "long twice(int n, long m, double x, int *sign) { *sign = x < 0 ? -1 : 1; return 2L * n + m; }\n";
    let sig = Signature::from_source(src, "twice").unwrap();
    assert_eq!(sig.to_string(), "long twice(int n, long m, double x, int *sign)");
    // lrint rounds half to even.
    let x = [2.4, 1.0, 0.5, 2.6, -3.0, -0.5, -1.5, 2.5, 0.0];
    let pairs = harness.evaluate(src, &sig, &x).unwrap();
    assert_eq!(pairs.outputs(), [5.0, 1.0, 3.0, -1.0, -2.0, 1.0]);
}

#[test]
fn system_declarations_beyond_the_standard_headers_are_copied() {
    let x = extract("gnu_sincos.c", TypeFilter::Paper);
    assert_eq!(names(&x), ["sincos_sum", "checked_log"]);
    let c = candidate(&x, "sincos_sum");
    assert!(c.source.contains("extern void sincos (double __x, double *__sinx, double *__cosx)"), "{}", c.source);
    assert_eq!(c.notes, ["copied from system headers: sincos"]);
    let c = candidate(&x, "checked_log");
    assert!(c.source.contains("extern int *__errno_location (void)"), "{}", c.source);
    assert!(!c.source.contains("extern double log"), "math.h declarations come from the #include");
}

#[test]
fn a_missing_project_header_fails_preprocessing_and_says_which() {
    let file = fixture("missing_config.c");
    let err = process_file(&file, &Preprocessor::default(), TypeFilter::Paper).unwrap_err();
    assert_eq!(err.reason(), "missing_header");
    match &err {
        FileError::Preprocess(PreprocessError::MissingHeader { file: f, header, first_errors }) => {
            assert_eq!((f, header.as_str()), (&file, "config.h"));
            assert!(first_errors.contains("fatal error: config.h: No such file or directory"), "{first_errors}");
        }
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("missing_config.c") && message.contains("`config.h`"), "{message}");
    // Given an include dir with a config.h, the file goes through.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.h"), "").unwrap();
    let x =
        process_file(&file, &Preprocessor::with_include_dirs(&[dir.path().to_path_buf()]), TypeFilter::Paper).unwrap();
    assert_eq!(names(&x), ["half"]);
}

#[test]
fn nonfatal_preprocessor_errors_fail_a_file_unless_tolerated() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus/mathlib/src/unconfigured.c");
    let err = process_file(&file, &Preprocessor::default(), TypeFilter::Paper).unwrap_err();
    assert_eq!(err.reason(), "preprocessor_error");
    assert!(
        err.to_string().contains("ML_SIZEOF_DOUBLE unknown") && err.to_string().contains("unconfigured.c"),
        "{err}"
    );
    let tolerant = Preprocessor { tolerate_errors: true, ..Preprocessor::default() };
    let p = tolerant.run(&file).unwrap();
    let errors = p.tolerated_errors.as_deref().unwrap();
    assert!(errors.contains("#error") && errors.contains("has no right operand"), "{errors}");
    let x = process_file(&file, &tolerant, TypeFilter::Paper).unwrap();
    assert_eq!(names(&x), ["ml_sigmoid"]);
    assert_eq!(x.preprocessor_errors.as_deref(), Some(errors));
    // A clean file has none to report; a missing header stays fatal.
    assert_eq!(tolerant.run(&fixture("numeric.c")).unwrap().tolerated_errors, None);
    let err = process_file(&fixture("missing_config.c"), &tolerant, TypeFilter::Paper).unwrap_err();
    assert_eq!(err.reason(), "missing_header");
}

#[test]
fn syntax_errors_cost_only_what_touches_them() {
    // Unreadable text between two functions: the one right after it may have lost a word to it
    // and is dropped; the others are kept, and the file counts the error.
    let x = process_file(&fixture("syntax_error.c"), &Preprocessor::default(), TypeFilter::Paper).unwrap();
    assert_eq!(names(&x), ["ok", "later"]);
    assert_eq!(x.rejected, [("also_ok".to_string(), "syntax_error")]);
    assert!(x.syntax_errors > 0);
    // An error inside a body loses that function only.
    let x = extract("body_error.c", TypeFilter::Paper);
    assert_eq!(names(&x), ["fine"]);
    assert_eq!(x.rejected, [("broken".to_string(), "syntax_error")]);
}

#[test]
fn preprocessing_repeats_once_at_most() {
    let p = Preprocessor::default().run(&fixture("two_pass.c")).unwrap();
    assert_eq!(p.passes, 2);
    let x = extract("two_pass.c", TypeFilter::Paper);
    assert!(candidate(&x, "triple").source.contains("return 3.0 * x;"));
    let err = Preprocessor::default().run(&fixture("three_pass.c")).unwrap_err();
    assert_eq!(err.reason(), "directives_remain");
    assert!(err.to_string().contains("three_pass.c") && err.to_string().contains("# define Y 1"), "{err}");
}

#[test]
fn time_limit_and_unreadable_files() {
    let err = process_file(
        &fixture("numeric.c"),
        &Preprocessor { time_limit: Duration::from_micros(1), ..Preprocessor::default() },
        TypeFilter::Paper,
    )
    .unwrap_err();
    assert!(matches!(err, FileError::Timeout { stage: "preprocess", .. }), "{err:?}");
    assert_eq!(err.reason(), "timeout");
    let err = process_file(&fixture("no_such_file.c"), &Preprocessor::default(), TypeFilter::Paper).unwrap_err();
    assert!(matches!(err, FileError::Io { .. }) && err.to_string().contains("no_such_file.c"), "{err}");
}

#[test]
fn worker_threads_get_the_same_extraction() {
    let one = extract("numeric.c", TypeFilter::Extended);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| extract("numeric.c", TypeFilter::Extended))).collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), one);
        }
    });
}
