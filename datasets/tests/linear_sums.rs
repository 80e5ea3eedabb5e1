//! The linear-sum rewrite (`c_tokens::write_out_linear_sums`): what it writes for ParrotBench's
//! own sums, that what it writes computes the same function (the C interpreter runs both texts of
//! thousands of generated programs), and what it leaves alone.

use compnet_datasets::c_eval::Function;
use compnet_datasets::c_tokens::{LinearSums, Vocabulary, write_out_linear_sums};
use compnet_datasets::parrot;
use compnet_datasets::synthetic::{Family, SyntheticConfig, generate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn line_with<'a>(source: &'a str, start: &str) -> &'a str {
    source.lines().map(str::trim).find(|l| l.starts_with(start)).unwrap_or_else(|| panic!("no `{start}` in\n{source}"))
}

#[test]
fn parrotbench_sums_are_written_out_weight_by_weight() {
    let sobel = write_out_linear_sums(parrot::find("sobel").unwrap().source).unwrap();
    // The kernel's weights by hand: gx = right column − left column, gy = bottom row − top row,
    // the middle of each weighted 2; the (double) casts only widen and are dropped.
    assert_eq!(
        line_with(&sobel, "double gx"),
        "double gx = -1.0 * p0 + 1.0 * p2 - 2.0 * p3 + 2.0 * p5 - 1.0 * p6 + 1.0 * p8;"
    );
    assert_eq!(
        line_with(&sobel, "double gy"),
        "double gy = -1.0 * p0 - 2.0 * p1 - 1.0 * p2 + 1.0 * p6 + 2.0 * p7 + 1.0 * p8;"
    );
    // Everything else is kept as it was: the magnitude (a product of variables), the clamp.
    let original = parrot::find("sobel").unwrap().source;
    let unchanged = |s: &str| s.lines().filter(|l| !l.contains("double g")).collect::<Vec<_>>().join("\n");
    assert_eq!(unchanged(&sobel), unchanged(original));

    let kmeans = write_out_linear_sums(parrot::find("kmeans").unwrap().source).unwrap();
    assert_eq!(line_with(&kmeans, "double dr"), "double dr = 1.0 * r - 1.0 * cr;");
    assert_eq!(line_with(&kmeans, "double db"), "double db = 1.0 * b - 1.0 * cb;");
    assert_eq!(line_with(&kmeans, "return"), "return (float)sqrt(dr * dr + dg * dg + db * db);");
}

#[test]
fn the_written_out_text_computes_the_same_function() {
    let configs = [
        SyntheticConfig { seed: 31, family: Family::Kernels, ..SyntheticConfig::default() },
        SyntheticConfig { seed: 32, family: Family::Affine, ..SyntheticConfig::default() },
        SyntheticConfig { seed: 33, ..SyntheticConfig::default() },
        SyntheticConfig { seed: 34, double_share: 1.0, out_pointer_share: 1.0, ..SyntheticConfig::default() },
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (mut programs, mut rewritten, mut worst) = (0, 0, 0f64);
    for config in &configs {
        for index in 0..400 {
            let p = generate(config, index);
            let text = write_out_linear_sums(&p.source).unwrap();
            programs += 1;
            if text == p.source {
                continue;
            }
            rewritten += 1;
            let before = Function::parse(&p.source, &p.signature).unwrap();
            let after = Function::parse(&text, &p.signature)
                .unwrap_or_else(|e| panic!("{}: the rewrite does not parse: {e}\n{text}", p.name));
            let (mut want, mut got) = (vec![0.0; before.n_out()], vec![0.0; after.n_out()]);
            for _ in 0..32 {
                let x: Vec<f64> = (0..p.signature.n_in()).map(|_| rng.random_range(-1.0..1.0)).collect();
                before.run(&x, &mut want);
                after.run(&x, &mut got);
                for (&a, &b) in got.iter().zip(&want) {
                    // Reassociated float sums round differently; scale by the magnitudes involved.
                    let error = (a - b).abs() / b.abs().max(1.0);
                    worst = worst.max(error);
                    assert!(error < 1e-3, "{}: {a} against {b} at {x:?}\n{}\n{text}", p.name, p.source);
                }
            }
            assert_eq!(write_out_linear_sums(&text).unwrap(), text, "written out twice differs:\n{text}");
        }
    }
    eprintln!("{rewritten} of {programs} programs rewritten; worst relative difference {worst:e}");
    assert!(rewritten * 4 > programs, "only {rewritten} of {programs} programs had a sum to write out");
}

#[test]
fn what_is_not_an_affine_sum_is_left_as_written() {
    let kept = [
        "float f(float a, float b) { return a * b + 1.0f; }",
        "float f(float a) { return sinf(a + 1.0f); }",
        "float f(float a, float b) { return a > b ? a - b : b - a; }",
        "int f(int i, int j) { int k = (i + j) / 2; return k; }",
        "float f(float a, float b) { return a / b; }",
        "float f(float a) { float t = a; return t; }",
        "float f(float a, float b) { return 0.5f * a - 2.0f * b + 1.0f; }",
        "float f(const float *w, float a) { return w[0] * a + w[1]; }",
        "float f(float a) { float y = 0.0f; for (int i = 0; i < 3; i++) { y += a; } return y; }",
    ];
    for source in kept {
        assert_eq!(write_out_linear_sums(source).unwrap(), source);
    }
    let written = [
        ("float f(float a, float b) { return a - b; }", "return 1.0f * a - 1.0f * b;"),
        ("float f(float a) { float u = (a - (-0.45f)) / 0.5f; return u; }", "float u = 2.0f * a + 0.9f;"),
        ("double f(double a, double b) { return -(b - 2 * a); }", "return 2.0 * a - 1.0 * b;"),
        ("float f(float a, float b) { float s = 0.0f; s += b + a + b; return s; }", "s += 1.0f * a + 2.0f * b;"),
    ];
    for (source, line) in written {
        let text = write_out_linear_sums(source).unwrap();
        assert!(text.contains(line), "{source}\n  gave {text}\n  wanted {line}");
    }
    assert!(write_out_linear_sums("float f(float a) { return a @ 2; }").is_err());
}

#[test]
fn the_vocabulary_reads_written_out_sums_only_when_asked() {
    let source = parrot::find("sobel").unwrap().source;
    let as_written = Vocabulary::default();
    let written_out = Vocabulary::default().with_linear_sums(LinearSums::WrittenOut);
    assert_eq!(as_written.linear_sums(), LinearSums::AsWritten);
    let plain = as_written.encode_program(source, usize::MAX).unwrap();
    let canonical = written_out.encode_program(source, usize::MAX).unwrap();
    let rewritten = write_out_linear_sums(source).unwrap();
    assert_eq!(canonical.ids, as_written.encode_program(&rewritten, usize::MAX).unwrap().ids);
    assert_ne!(plain.ids, canonical.ids);
    // Every weight of gx and gy is now a literal the encoder reads the value of.
    let weights = |e: &compnet_datasets::c_tokens::EncodedProgram| e.values.iter().filter(|v| v.abs() == 1.0).count();
    assert!(weights(&canonical) >= weights(&plain) + 8, "{} → {}", weights(&plain), weights(&canonical));
}
