//! The harness on well-behaved functions: outputs equal a Rust reimplementation bit for bit.

use compnet_datasets::harness::{Harness, HarnessConfig, Job, Journal, Outcome, Rejection, append_journal};
use compnet_datasets::signature::Signature;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn uniform(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

fn harness() -> Harness {
    Harness::new(HarnessConfig { runs: 2, ..HarnessConfig::default() })
}

const NORM: &str = "#include <math.h>\n\
    static double sq(double v) { return v * v; }\n\
    double norm(double x, double y, double *p) {\n\
        *p = x * y - 0.5;\n\
        return sqrt(sq(x) + sq(y)) / (1.0 + fabs(x));\n\
    }\n";

#[test]
fn double_function_with_out_pointer_matches_rust_exactly() {
    let sig = Signature::from_source(NORM, "norm").unwrap();
    let inputs = uniform(2 * 257, 1);
    let pairs = harness().evaluate(NORM, &sig, &inputs).unwrap();
    assert_eq!((pairs.n_in(), pairs.n_out(), pairs.len()), (2, 2, 257));
    let expected: Vec<f32> = inputs
        .chunks(2)
        .flat_map(|xy| {
            let (x, y) = (f64::from(xy[0]), f64::from(xy[1]));
            [((x * x + y * y).sqrt() / (1.0 + x.abs())) as f32, (x * y - 0.5) as f32]
        })
        .collect();
    assert_eq!(pairs.outputs(), expected.as_slice());
    assert_eq!(pairs.inputs(), inputs.as_slice());
}

#[test]
fn float_function_computes_in_float() {
    let src = "float g(float a, const float b, float *c) { *c = a * a * 3.0f; return a / (1.0f + b * b); }";
    let sig = Signature::parse(src).unwrap();
    let inputs = uniform(2 * 200, 2);
    let compiled = harness().compile(src, &sig).unwrap();
    assert_eq!(compiled.signature(), &sig);
    let raw = compiled.run(&inputs).unwrap();
    let expected: Vec<f64> = inputs
        .chunks(2)
        .flat_map(|ab| [f64::from(ab[0] / (1.0 + ab[1] * ab[1])), f64::from(ab[0] * ab[0] * 3.0)])
        .collect();
    assert_eq!(raw, expected);
}

#[test]
fn printing_and_reading_stdin_do_not_disturb_the_results() {
    // The function's stdout goes to the log, its stdin is /dev/null: the binary streams are private.
    let src = "#include <stdio.h>\n\
               double f(double x) { char buf[64]; if (fgets(buf, sizeof buf, stdin)) return -1.0;\n\
               printf(\"x = %f\\n\", x); fprintf(stderr, \"to stderr\\n\"); return x + 1.0; }";
    let sig = Signature::from_source(src, "f").unwrap();
    let inputs = uniform(100, 3);
    let pairs = harness().evaluate(src, &sig, &inputs).unwrap();
    let expected: Vec<f32> = inputs.iter().map(|&x| (f64::from(x) + 1.0) as f32).collect();
    assert_eq!(pairs.outputs(), expected.as_slice());
}

#[test]
fn a_large_batch_goes_through() {
    // 262,144 pairs of 9 inputs, the size the paper's pipeline feeds in.
    let src = "void mix(float a, float b, float c, float d, float e, float f, float g, float h, float i,\n\
               float *sum, float *dot) { *sum = a + b + c + d + e + f + g + h + i; \n\
               *dot = a * b + c * d + e * f + g * h + i; }";
    let sig = Signature::parse(src).unwrap();
    let inputs = uniform(9 * 262_144, 4);
    let h = Harness::new(HarnessConfig { runs: 2, ..HarnessConfig::default() });
    let start = std::time::Instant::now();
    let pairs = h.evaluate(src, &sig, &inputs).unwrap();
    eprintln!("262144 x 9 pairs, compile + 2 runs: {:.2?}", start.elapsed());
    assert_eq!(pairs.len(), 262_144);
    for (k, x) in inputs.chunks(9).enumerate().step_by(997) {
        let sum = x[0] + x[1] + x[2] + x[3] + x[4] + x[5] + x[6] + x[7] + x[8];
        let dot = x[0] * x[1] + x[2] * x[3] + x[4] * x[5] + x[6] * x[7] + x[8];
        assert_eq!(pairs.output(k), &[sum, dot], "pair {k}");
    }
}

#[test]
fn functions_without_inputs_or_outputs_and_bad_inputs_are_rejected() {
    let h = harness();
    let sig = Signature::parse("void f(double x)").unwrap();
    let r = h.evaluate("void f(double x) { (void)x; }", &sig, &[1.0]).unwrap_err();
    assert_eq!(r.reason(), "unsupported_signature", "{r}");
    let sig = Signature::parse("double f(double x, double y)").unwrap();
    let r = h.evaluate("double f(double x, double y) { return x + y; }", &sig, &[1.0, 2.0, 3.0]).unwrap_err();
    assert!(matches!(r, Rejection::InvalidInputs { .. }), "{r:?}");
    let r = h.evaluate("double f(double x, double y) { return x + y; }", &sig, &[1.0, f32::NAN]).unwrap_err();
    assert_eq!(r.reason(), "invalid_inputs");
}

#[test]
fn a_missing_compiler_is_a_sandbox_error_not_a_panic() {
    let h = Harness::new(HarnessConfig { cc: "/nonexistent/cc".into(), ..HarnessConfig::default() });
    let sig = Signature::parse("double f(double x)").unwrap();
    let r = h.evaluate("double f(double x) { return x; }", &sig, &[1.0]).unwrap_err();
    assert_eq!(r.reason(), "sandbox_error");
    assert!(r.to_string().contains("/nonexistent/cc"), "{r}");
}

#[test]
fn journal_lines_round_trip() {
    let sig = Signature::parse("double f(double x)").unwrap();
    let h = harness();
    let outcomes: Vec<Outcome> = h.evaluate_batch([
        Job { name: "a.c:f", source: "double f(double x) { return x; }", signature: &sig, inputs: &[0.5] },
        Job { name: "b.c:f", source: "double f(double x) { return x }", signature: &sig, inputs: &[0.5] },
    ]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    append_journal(&path, &outcomes).unwrap();
    append_journal(&path, &outcomes[..1]).unwrap();
    let entries = Journal::read(&path).unwrap();
    assert_eq!(entries.len(), 3);
    assert!(entries[0].accepted && entries[0].pairs == 1 && entries[0].reason.is_none());
    assert_eq!(entries[1].name, "b.c:f");
    assert_eq!(entries[1].reason.as_deref(), Some("compile_error"));
    assert!(entries[1].message.as_deref().unwrap().contains("f.c:1:"), "{:?}", entries[1].message);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.lines().next().unwrap().starts_with("{\"name\":\"a.c:f\",\"accepted\":true"), "{text}");
}
