//! The C interpreter against the sandboxed harness (gcc): the synthetic generator's programs of
//! every shape give the same outputs both ways; what it does not run is a clear error.

use compnet_datasets::c_eval::Function;
use compnet_datasets::harness::{Harness, HarnessConfig};
use compnet_datasets::signature::{Scalar, Signature};
use compnet_datasets::synthetic::{Family, SyntheticConfig, generate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[test]
fn the_interpreter_matches_the_compiled_c_on_generated_programs() {
    let configs = [
        SyntheticConfig { seed: 21, ..SyntheticConfig::default() },
        SyntheticConfig { seed: 22, double_share: 1.0, out_pointer_share: 1.0, ..SyntheticConfig::default() },
        SyntheticConfig { seed: 23, max_depth: 5, max_statements: 12, ..SyntheticConfig::default() },
        SyntheticConfig { seed: 24, family: Family::Affine, ..SyntheticConfig::default() },
        SyntheticConfig { seed: 25, family: Family::Kernels, ..SyntheticConfig::default() },
        SyntheticConfig { seed: 26, family: Family::Kernels, ..SyntheticConfig::default() },
    ];
    let programs: Vec<_> = configs.iter().flat_map(|c| (0..48).map(move |i| generate(c, i))).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let inputs: Vec<Vec<f32>> = programs
        .iter()
        .map(|p| (0..p.signature.n_in() * 64).map(|_| rng.random_range(-1.0f32..1.0)).collect())
        .collect();
    let harness = Harness::new(HarnessConfig { runs: 1, ..HarnessConfig::default() });
    let jobs = programs.iter().zip(&inputs).map(|(p, x)| p.job(x));
    let (mut compared, mut worst) = (0usize, 0f64);
    for ((o, p), x) in harness.evaluate_batch(jobs).iter().zip(&programs).zip(&inputs) {
        let pairs = o.result.as_ref().unwrap_or_else(|r| panic!("{}: {r}\n{}", p.name, p.source));
        let f = Function::parse(&p.source, &p.signature).unwrap_or_else(|e| panic!("{}: {e}\n{}", p.name, p.source));
        let (n_in, n_out) = (p.signature.n_in(), p.signature.n_out());
        assert_eq!(f.n_out(), n_out, "{}", p.name);
        // The harness keeps outputs as f32, so a double program's agree to f32's rounding.
        let tolerance = if p.signature.ret == Some(Scalar::Float) { 1e-5 } else { 1e-6 };
        let mut y = vec![0.0; n_out];
        for k in 0..pairs.len() {
            let xs: Vec<f64> = x[k * n_in..(k + 1) * n_in].iter().map(|&v| f64::from(v)).collect();
            f.run(&xs, &mut y);
            for (o, (&got, &want)) in y.iter().zip(pairs.output(k)).enumerate() {
                let error = (f64::from(got as f32) - f64::from(want)).abs() / f64::from(want).abs().max(1.0);
                assert!(error <= tolerance, "{} pair {k} output {o}: {got} vs C {want}\n{}", p.name, p.source);
                worst = worst.max(error);
                compared += 1;
            }
        }
    }
    eprintln!("{} programs, {compared} outputs agree; worst relative error {worst:e}", programs.len());
    assert!(compared >= programs.len() * 64);
}

#[test]
fn what_it_does_not_run_is_a_clear_error() {
    let sig = |text: &str| Signature::parse(text).unwrap();
    let cases = [
        (
            "float f(float x) {\n  while (x > 0.0f) { x -= 1.0f; }\n  return x;\n}",
            "float f(float x)",
            2,
            "unsupported statement `while`",
        ),
        (
            "float f(float x) {\n  return x * 0.5;\n}",
            "float f(float x)",
            2,
            "`0.5` is a double literal in a float function",
        ),
        ("double f(double x) {\n  return erf(x);\n}", "double f(double x)", 2, "unsupported call `erf`"),
        (
            "double f(double x) {\n  double t = x;\n  return t +;\n}",
            "double f(double x)",
            3,
            "expected a name, found `;`",
        ),
        ("double g(double x) { return x; }", "double f(double x)", 0, "no function `f`"),
    ];
    for (source, signature, line, problem) in cases {
        let e = Function::parse(source, &sig(signature)).unwrap_err();
        assert_eq!((e.line, e.problem.as_str()), (line, problem), "{source}");
    }
}

/// A synthetic dataset built with the interpreter is the one the harness builds: the same
/// programs kept, the same inputs, outputs equal to f32 rounding.
#[test]
fn an_interpreted_build_equals_the_compiled_one() {
    use compnet_datasets::exestack::TypeFilter;
    use compnet_datasets::exestack::generated::build_synthetic;
    use compnet_datasets::exestack::pipeline::BuildConfig;
    use compnet_datasets::store::read_records;

    let generator = SyntheticConfig { seed: 31, ..SyntheticConfig::default() };
    let dir = tempfile::tempdir().unwrap();
    let build = |interpret: bool| {
        let out = dir.path().join(if interpret { "interpreted" } else { "compiled" });
        let config =
            BuildConfig { filter: TypeFilter::Extended, pairs: 64, interpret, threads: 2, ..BuildConfig::default() };
        build_synthetic(40, &generator, &out, &config, true).unwrap();
        let mut records = read_records(&out.join("train.parquet")).unwrap();
        records.extend(read_records(&out.join("test.parquet")).unwrap());
        records.sort_by(|a, b| (&a.name, &a.split).cmp(&(&b.name, &b.split)));
        records
    };
    let (compiled, interpreted) = (build(false), build(true));
    assert!(compiled.len() >= 60, "{} records", compiled.len());
    assert_eq!(compiled.len(), interpreted.len());
    for (c, i) in compiled.iter().zip(&interpreted) {
        assert_eq!((&c.name, &c.split, &c.source), (&i.name, &i.split, &i.source));
        assert_eq!(c.pairs.inputs(), i.pairs.inputs(), "{}", c.name);
        for (a, b) in c.pairs.outputs().iter().zip(i.pairs.outputs()) {
            assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{}: {a} vs {b}", c.name);
        }
    }
}
