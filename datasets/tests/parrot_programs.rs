//! The six ParrotBench C programs against their independent Rust reimplementations, run through the
//! harness on inputs from their domains and from real photographs.

use compnet_datasets::harness::{Harness, HarnessConfig};
use compnet_datasets::images::ImageSet;
use compnet_datasets::parrot::inputs::{self, Split};
use compnet_datasets::parrot::reference::{self, JPEG_LUMINANCE_QUANT};
use compnet_datasets::parrot::{self, ParrotProgram};
use compnet_datasets::signature::Signature;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn harness() -> Harness {
    Harness::new(HarnessConfig { runs: 1, ..HarnessConfig::default() })
}

fn images() -> ImageSet {
    ImageSet::fetch(&ImageSet::default_cache_dir()).expect("the scikit-image photos (pip download)")
}

/// `n` inputs drawn uniformly from the program's domain, plus the domain's two corners.
fn domain_inputs(p: &ParrotProgram, n: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut v: Vec<f32> = p.domain.iter().map(|d| d.0).chain(p.domain.iter().map(|d| d.1)).collect();
    for _ in 0..n {
        v.extend(p.domain.iter().map(|&(lo, hi)| lo + rng.random::<f32>() * (hi - lo)));
    }
    v
}

/// Runs the C program through the harness; returns (inputs, C outputs, Rust outputs).
fn c_and_rust(p: &ParrotProgram, inputs: Vec<f32>) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let sig = p.parsed_signature().unwrap();
    let pairs = harness().evaluate(p.source, &sig, &inputs).unwrap_or_else(|e| panic!("{}: {e}", p.name));
    assert_eq!(pairs.len(), inputs.len() / p.n_in());
    let rust = p.reference_outputs(&inputs);
    (inputs, pairs.outputs().to_vec(), rust)
}

fn assert_close(p: &ParrotProgram, inputs: Vec<f32>, tol: f32) -> usize {
    let n = inputs.len() / p.n_in();
    let (xs, c, rust) = c_and_rust(p, inputs);
    for (i, (a, b)) in c.iter().zip(&rust).enumerate() {
        let pair = i / p.n_out();
        assert!(
            (a - b).abs() <= tol,
            "{}: pair {pair} {:?}: output {} is {a} in C, {b} in Rust",
            p.name,
            &xs[pair * p.n_in()..(pair + 1) * p.n_in()],
            i % p.n_out()
        );
    }
    n
}

#[test]
fn sources_define_exactly_the_declared_signatures() {
    for p in parrot::programs() {
        let declared = Signature::parse(p.signature).unwrap();
        let defined = Signature::from_source(p.source, p.function).unwrap();
        assert_eq!(declared, defined, "{}", p.name);
        assert_eq!((declared.n_in(), declared.n_out()), (p.n_in(), p.n_out()), "{}", p.name);
        assert_eq!(declared.function, p.function);
    }
}

#[test]
fn splits_compute_their_parents_output_in_c() {
    // Each single-output split, compiled by the system C compiler, against its parent's C output
    // on the parent's training inputs (the data the evaluation finetunes on).
    for s in parrot::splits() {
        let parent = s.parent();
        let declared = s.parsed_signature().unwrap();
        assert_eq!(declared, Signature::from_source(s.source, s.name).unwrap(), "{}", s.name);
        let data = inputs::generate(parent, Split::Train, &ImageSet::synthetic(), 5).unwrap();
        let x = data[..parent.n_in() * 1000].to_vec();
        let whole = harness().evaluate(parent.source, &parent.parsed_signature().unwrap(), &x).unwrap();
        let alone = harness().evaluate(s.source, &declared, &x).unwrap_or_else(|e| panic!("{}: {e}", s.name));
        assert_eq!(alone.outputs(), s.pairs(&whole).outputs(), "{}", s.name);
        // And against the independent Rust reference's column.
        let rust = parent.reference_outputs(&x);
        for (i, a) in alone.outputs().iter().enumerate() {
            let b = rust[i * parent.n_out() + s.output];
            assert!((a - b).abs() <= 1e-5, "{} pair {i}: {a} in C, {b} in Rust", s.name);
        }
    }
}

#[test]
fn numeric_programs_match_rust_on_their_domain() {
    // inversek2j's domain is the box around the reachable positions; only those are tested (below).
    for name in ["fft", "kmeans", "sobel"] {
        let p = parrot::find(name).unwrap();
        let n = assert_close(p, domain_inputs(p, 500, 1), 1e-5);
        assert!(n >= 100);
    }
    let p = parrot::find("inversek2j").unwrap();
    let data = inputs::generate(p, Split::Train, &ImageSet::synthetic(), 3).unwrap();
    assert_close(p, data[..2 * 2000].to_vec(), 1e-5);
}

#[test]
fn image_programs_match_rust_on_photos() {
    let images = images();
    for name in ["sobel", "kmeans"] {
        let p = parrot::find(name).unwrap();
        let test = inputs::generate(p, Split::Test, &images, 5).unwrap();
        let n = assert_close(p, test[..p.n_in() * 5000].to_vec(), 1e-5);
        assert!(n >= 100);
    }
}

/// Möller's interval test (C) and the edge–triangle crossing test (Rust) must agree, except where a
/// pair is so close to touching that shrinking or growing both triangles by 1e-5 about their
/// centroids changes the Rust answer.
#[test]
fn jmeint_matches_rust_except_near_degenerate_pairs() {
    let p = parrot::find("jmeint").unwrap();
    let mut xs = inputs::generate(p, Split::Test, &ImageSet::synthetic(), 11).unwrap();
    xs.truncate(18 * 5000);
    // Hand-made cases: shared vertex, shared edge, coplanar overlap, coplanar apart, parallel planes.
    let cases: [[f32; 18]; 5] = [
        [0., 0., 0., 1., 0., 0., 0., 1., 0., 0., 0., 0., 0., 0., 1., 1., 1., 1.],
        [0., 0., 0., 1., 0., 0., 0., 1., 0., 0., 0., 0., 1., 0., 0., 0.5, 0.5, 1.],
        [0., 0., 0.5, 1., 0., 0.5, 0., 1., 0.5, 0.2, 0.2, 0.5, 0.9, 0.9, 0.5, 0.1, 0.6, 0.5],
        [0., 0., 0.5, 0.3, 0., 0.5, 0., 0.3, 0.5, 0.6, 0.6, 0.5, 0.9, 0.6, 0.5, 0.6, 0.9, 0.5],
        [0., 0., 0.25, 1., 0., 0.25, 0., 1., 0.25, 0., 0., 0.75, 1., 0., 0.75, 0., 1., 0.75],
    ];
    let expected = [true, true, true, false, false];
    for c in &cases {
        xs.extend_from_slice(c);
    }
    let (xs, c, rust) = c_and_rust(p, xs);
    let n = xs.len() / 18;
    let mut hits = 0;
    let mut degenerate = 0;
    for i in 0..n {
        let (c_yes, rust_yes) = (c[2 * i] > c[2 * i + 1], rust[2 * i] > rust[2 * i + 1]);
        assert!(c[2 * i..2 * i + 2] == [0.8, 0.2] || c[2 * i..2 * i + 2] == [0.2, 0.8]);
        hits += usize::from(c_yes);
        if i >= n - cases.len() {
            assert_eq!(c_yes, expected[i + cases.len() - n], "hand-made case {}", i + cases.len() - n);
        }
        if c_yes != rust_yes {
            let (v, u) = reference::jmeint_triangles(&xs[18 * i..18 * i + 18]);
            let scale = |t: &reference::Triangle, s: f64| {
                let m = [0, 1, 2].map(|k| (t[0][k] + t[1][k] + t[2][k]) / 3.0);
                t.map(|p| [0, 1, 2].map(|k| m[k] + s * (p[k] - m[k])))
            };
            let grown = reference::triangles_intersect(&scale(&v, 1.0 + 1e-5), &scale(&u, 1.0 + 1e-5));
            let shrunk = reference::triangles_intersect(&scale(&v, 1.0 - 1e-5), &scale(&u, 1.0 - 1e-5));
            assert!(grown != shrunk, "pair {i} {:?}: C says {c_yes}, Rust {rust_yes}", &xs[18 * i..18 * i + 18]);
            degenerate += 1;
        }
    }
    eprintln!("jmeint: {hits}/{n} pairs intersect; {degenerate} near-degenerate disagreements");
    assert!(degenerate * 1000 <= n, "{degenerate} disagreements in {n}");
    assert!(hits * 10 > n && hits * 10 < 9 * n, "intersection rate {hits}/{n} is not a useful mix");
}

/// jpeg's C sums the 2-D DCT directly, the Rust reference separably; a coefficient whose D/Q lies
/// (in exact arithmetic) exactly halfway between two integers can round either way depending on the
/// last bit of either sum. That happens for the DC term (D/Q = Σ(p − 128)/128) and a few others whose
/// basis products are rational. Such mismatches differ by exactly one quantisation step, are
/// allowed, and must be rare; any other mismatch fails.
#[test]
fn jpeg_matches_rust_up_to_rounding_ties() {
    let p = parrot::find("jpeg").unwrap();
    let images = images();
    let mut blocks = inputs::generate(p, Split::Test, &images, 0).unwrap();
    blocks.extend(domain_inputs(p, 300, 9).iter().map(|v| (v * 256.0).floor() / 256.0));
    let (xs, c, rust) = c_and_rust(p, blocks);
    let n = xs.len() / 64;
    let mut ties = 0;
    for i in 0..n {
        let d = reference::jpeg_dct(&xs[64 * i..64 * i + 64]);
        for k in 0..64 {
            let (a, b) = (c[64 * i + k], rust[64 * i + k]);
            if (a - b).abs() <= 1e-6 {
                continue;
            }
            let q = f64::from(JPEG_LUMINANCE_QUANT[k]);
            let r = d[k] / q;
            let at_tie = (r.abs().fract() - 0.5).abs() < 1e-9;
            let one_step = ((f64::from(a) - f64::from(b)).abs() * 256.0 - q).abs() < 1e-3;
            assert!(at_tie && one_step, "block {i} coefficient {k}: C {a}, Rust {b}, D/Q = {r}");
            ties += 1;
        }
    }
    eprintln!("jpeg: {n} blocks, {ties} coefficients differ at exact rounding ties");
    assert!(ties * 100 <= n, "{ties} rounding-tie mismatches in {n} blocks");
}
