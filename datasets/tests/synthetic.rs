//! The synthetic program generator: deterministic streams, signatures the parser agrees with,
//! programs the sandboxed harness accepts with finite, bounded outputs, and their token counts.

use compnet_datasets::c_tokens::{TokenKind, count_tokens, dedup_key, tokenize};
use compnet_datasets::harness::{Harness, HarnessConfig};
use compnet_datasets::signature::{ParamRole, Scalar, Signature};
use compnet_datasets::synthetic::{Family, SyntheticConfig, generate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[test]
fn the_same_seed_and_index_give_the_same_text() {
    let config = SyntheticConfig { seed: 11, ..SyntheticConfig::default() };
    let a = generate(&config, 123);
    // Other indices generated in between change nothing.
    for i in 0..50 {
        let _ = generate(&config, i);
    }
    assert_eq!(generate(&config, 123), a);
    assert_eq!(a.name, "syn_000123");
    assert_eq!(generate(&config, 1_234_567).name, "syn_1234567");
    assert_ne!(generate(&config, 124).source, a.source);
    assert_ne!(generate(&SyntheticConfig { seed: 12, ..config.clone() }, 123).source, a.source);
    // The first 500 programs are all different, even ignoring whitespace.
    let keys: std::collections::HashSet<String> =
        (0..500).map(|i| dedup_key(&generate(&config, i).source).unwrap()).collect();
    assert_eq!(keys.len(), 500);
}

#[test]
fn a_pinned_program_does_not_drift() {
    // Program 0 of seed 0 pinned by hash of its text: a change of the grammar or of the random
    // stream changes every program, which should be deliberate (bump the key's version tag).
    let p = generate(&SyntheticConfig::default(), 0);
    eprintln!("{}", p.source);
    let hash = compnet_datasets::c_tokens::fnv1a(p.source.as_bytes());
    assert_eq!(hash, PINNED_HASH, "program 0 of seed 0 changed:\n{}", p.source);
}

const PINNED_HASH: u64 = 11_023_914_051_862_832_051;

#[test]
fn signatures_match_the_parser_and_the_config() {
    let configs = [
        SyntheticConfig::default(),
        SyntheticConfig { max_inputs: 1, max_depth: 1, max_statements: 1, seed: 3, ..SyntheticConfig::default() },
        SyntheticConfig {
            loops: false,
            branches: false,
            double_share: 1.0,
            out_pointer_share: 1.0,
            ..Default::default()
        },
        SyntheticConfig { max_inputs: 0, max_depth: 0, max_statements: 0, double_share: 2.0, ..Default::default() },
        SyntheticConfig {
            max_inputs: 20,
            max_depth: 6,
            max_statements: 12,
            out_pointer_share: -1.0,
            ..Default::default()
        },
    ];
    for config in &configs {
        for i in 0..300 {
            let p = generate(config, i);
            let parsed = Signature::from_source(&p.source, &p.name).unwrap();
            assert_eq!(parsed, p.signature, "{}", p.source);
            let sig = &p.signature;
            assert!((1..=config.max_inputs.max(1)).contains(&sig.n_in()), "{}", p.source);
            assert!((1..=2).contains(&sig.n_out()));
            assert!(sig.ret.is_some());
            let ty = sig.ret.unwrap_or(Scalar::Float);
            assert!(sig.params.iter().all(|q| q.ty == ty));
            if let Some(out) = sig.params.iter().position(|q| q.role == ParamRole::Output) {
                assert_eq!(out, sig.params.len() - 1, "the out-pointer comes last");
            }
            assert_every_variable_is_read(&p.source);
            if config.double_share >= 1.0 {
                assert_eq!(ty, Scalar::Double);
            }
            if !config.loops {
                assert!(!p.source.contains("for ("), "{}", p.source);
            }
            if !config.branches {
                assert!(!p.source.contains("if (") && !p.source.contains(" ? "), "{}", p.source);
            }
        }
    }
}

/// Every parameter and every declared local or array appears again after its declaration: no
/// input is ignored and no computed value is dropped unread.
fn assert_every_variable_is_read(source: &str) {
    let tokens = tokenize(source).unwrap();
    let mut declared = Vec::new();
    for w in tokens.windows(3) {
        let is_type = w[0].kind == TokenKind::Keyword && matches!(w[0].text.as_str(), "float" | "double");
        if is_type && w[1].kind == TokenKind::Identifier && matches!(w[2].text.as_str(), "=" | "[" | "," | ")") {
            declared.push(w[1].text.clone());
        }
    }
    for name in declared.iter().filter(|n| !n.starts_with("syn_")) {
        let uses = tokens.iter().filter(|t| &t.text == name).count();
        assert!(uses >= 2, "`{name}` is never read:\n{source}");
    }
}

#[test]
fn token_counts_spread_mostly_under_512() {
    let config = SyntheticConfig::default();
    let mut counts: Vec<usize> = (0..2000).map(|i| count_tokens(&generate(&config, i).source).unwrap()).collect();
    counts.sort_unstable();
    let (min, median, p90, max) = (counts[0], counts[1000], counts[1800], counts[1999]);
    let over = counts.iter().filter(|&&n| n > 512).count();
    eprintln!("tokens of 2000 programs: min {min}, median {median}, p90 {p90}, max {max}, over 512: {over}");
    assert!(min < 40 && median > 60 && median < 300 && max > 300, "{min} {median} {max}");
    assert!(over * 100 <= counts.len() * 2, "{over} of 2000 over 512 tokens");
}

#[test]
fn the_harness_accepts_every_program_with_bounded_outputs() {
    let config = SyntheticConfig { seed: 5, ..SyntheticConfig::default() };
    let programs: Vec<_> = (0..64).map(|i| generate(&config, i)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let inputs: Vec<Vec<f32>> = programs
        .iter()
        .map(|p| {
            let n_in = p.signature.n_in();
            // The corners of the domain first, then U(−1, 1).
            let mut x: Vec<f32> = [-1.0f32, 0.0, 1.0].iter().flat_map(|&v| vec![v; n_in]).collect();
            x.extend((0..n_in * 509).map(|_| rng.random_range(-1.0f32..1.0)));
            x
        })
        .collect();
    let harness = Harness::new(HarnessConfig { runs: 2, max_abs_output: Some(10.0), ..HarnessConfig::default() });
    let jobs = programs.iter().zip(&inputs).map(|(p, x)| p.job(x));
    let outcomes = harness.evaluate_batch(jobs);
    let mut largest = 0f32;
    for (o, p) in outcomes.iter().zip(&programs) {
        let pairs = o.result.as_ref().unwrap_or_else(|r| panic!("{}: {r}\n{}", p.name, p.source));
        assert_eq!(pairs.len(), 512);
        assert!(pairs.outputs().iter().all(|y| y.is_finite() && y.abs() < 8.0 + 1e-3));
        largest = pairs.outputs().iter().fold(largest, |m, y| m.max(y.abs()));
        // Outputs depend on the inputs (no constant function).
        let first = pairs.output(0).to_vec();
        assert!((1..pairs.len()).any(|k| pairs.output(k) != first.as_slice()), "{}: constant\n{}", p.name, p.source);
    }
    eprintln!("64 of 64 synthetic programs accepted; largest |output| {largest}");
}

/// Affine programs are what they say: the harness's outputs at random inputs equal
/// `f(0) + Σ xᵢ (f(eᵢ) − f(0))` from its outputs at the origin and the unit vectors; every input
/// is read; bounded, as the generator promises.
#[test]
fn affine_programs_compute_an_affine_function() {
    let config =
        SyntheticConfig { family: Family::Affine, max_inputs: 4, double_share: 0.5, seed: 2, ..Default::default() };
    let programs: Vec<_> = (0..24).map(|i| generate(&config, i)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let inputs: Vec<Vec<f32>> = programs
        .iter()
        .map(|p| {
            let n = p.signature.n_in();
            let mut x = vec![0.0f32; n];
            for i in 0..n {
                x.extend((0..n).map(|j| if i == j { 1.0 } else { 0.0 }));
            }
            x.extend((0..n * 16).map(|_| rng.random_range(-1.0f32..1.0)));
            x
        })
        .collect();
    let harness = Harness::new(HarnessConfig { runs: 1, max_abs_output: Some(10.0), ..HarnessConfig::default() });
    let jobs = programs.iter().zip(&inputs).map(|(p, x)| p.job(x));
    for (o, p) in harness.evaluate_batch(jobs).iter().zip(&programs) {
        let pairs = o.result.as_ref().unwrap_or_else(|r| panic!("{}: {r}\n{}", p.name, p.source));
        let (n, m) = (p.signature.n_in(), p.signature.n_out());
        assert!(!p.source.contains("for") && !p.source.contains("if"), "{}", p.source);
        let origin = pairs.output(0).to_vec();
        for k in n + 1..pairs.len() {
            let x = pairs.input(k);
            for (o, &at_origin) in origin.iter().enumerate().take(m) {
                let slope = |i: usize| pairs.output(1 + i)[o] - at_origin;
                let predicted: f32 = at_origin + x.iter().enumerate().map(|(i, xi)| xi * slope(i)).sum::<f32>();
                let got = pairs.output(k)[o];
                assert!(
                    (predicted - got).abs() < 1e-4,
                    "{}: output {o} {got} vs affine {predicted}\n{}",
                    p.name,
                    p.source
                );
                assert!(got.abs() < 8.0);
            }
        }
        for i in 0..n {
            assert!((0..m).any(|o| pairs.output(1 + i)[o] != origin[o]), "{}: input {i} unread\n{}", p.name, p.source);
        }
    }
}

/// Which kind a kernel's source is, by the local it declares: 0 distance, 1 stencil, 2 phase,
/// 3 geometry, 4 neuron, 5 blend, 6 polynomial (none of those).
fn kernel_kind(source: &str) -> usize {
    let text = source.replace("double ", "float ");
    let markers = ["float dist", "float mag", "float angle", "float r2", "float z", "float u"];
    markers.iter().position(|m| text.contains(m)).unwrap_or(6)
}

/// Kernel programs are safe and bounded on [−1, 1] (corners included), never constant, and
/// cover all seven kinds; two kinds checked for what they compute: a phase's two outputs of
/// amplitude 1 are a sine and a cosine (y₀² + y₁² = 1), and a distance between two vectors is 0
/// where the vectors are equal. Outputs from the interpreter, which `c_eval.rs` holds to gcc on
/// this family.
#[test]
fn kernel_programs_are_bounded_varied_and_compute_their_kind() {
    use compnet_datasets::c_eval::Function;
    let config = SyntheticConfig { family: Family::Kernels, seed: 5, ..Default::default() };
    let mut kinds = [0usize; 7];
    let (mut phases, mut distances) = (0, 0);
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    for i in 0..600 {
        let p = generate(&config, i);
        let text = p.source.replace("double ", "float ");
        let kind = kernel_kind(&p.source);
        kinds[kind] += 1;
        let f = Function::parse(&p.source, &p.signature).unwrap_or_else(|e| panic!("{e}\n{}", p.source));
        let (n, m) = (p.signature.n_in(), p.signature.n_out());
        let mut points: Vec<Vec<f64>> = [-1.0, 0.0, 1.0].iter().map(|&v| vec![v; n]).collect();
        points.extend((0..128).map(|_| (0..n).map(|_| f64::from(rng.random_range(-1.0f32..1.0))).collect()));
        let mut y = vec![0.0; m];
        let mut outputs = Vec::new();
        for x in &points {
            f.run(x, &mut y);
            assert!(y.iter().all(|v| v.is_finite() && v.abs() < 8.0), "{y:?} at {x:?}\n{}", p.source);
            outputs.push(y.clone());
        }
        assert!(outputs.iter().any(|o| o != &outputs[0]), "constant\n{}", p.source);
        if text.contains("float angle") && m == 2 && !text.contains("* sin") && !text.contains("* cos") {
            phases += 1;
            for o in &outputs {
                assert!((o[0] * o[0] + o[1] * o[1] - 1.0).abs() < 1e-5, "{o:?}\n{}", p.source);
            }
        }
        let dims = n / 2;
        let paired = (0..dims).all(|k| {
            text.contains(&format!("= {} - {};", p.signature.params[k].name, p.signature.params[dims + k].name))
        });
        if kind == 0 && n >= 2 && n % 2 == 0 && paired {
            distances += 1;
            let half: Vec<f64> = (0..dims).map(|_| f64::from(rng.random_range(-1.0f32..1.0))).collect();
            let x: Vec<f64> = half.iter().chain(&half).copied().collect();
            f.run(&x, &mut y);
            assert_eq!(y[0], 0.0, "{x:?}\n{}", p.source);
        }
    }
    assert!(kinds.iter().all(|&k| k >= 20), "kinds {kinds:?}");
    assert!(phases >= 10 && distances >= 20, "phases {phases}, distances {distances}");
}

/// `kernel_kinds` restricts the family to the kinds named ([`kernel_kind`] tells them); naming
/// all seven leaves the stream as it is; an unknown name is refused with the list of kinds.
#[test]
fn kernel_kinds_select_what_is_drawn() {
    use compnet_datasets::synthetic::KernelKind;
    let all = SyntheticConfig { family: Family::Kernels, seed: 5, ..Default::default() };
    let named = SyntheticConfig { kernel_kinds: KernelKind::ALL.to_vec(), ..all.clone() };
    for i in 0..50 {
        assert_eq!(generate(&all, i), generate(&named, i));
    }
    let kinds: Vec<KernelKind> = vec!["distance".parse().unwrap(), "stencil".parse().unwrap()];
    let some = SyntheticConfig { kernel_kinds: kinds, ..all.clone() };
    let (mut distance, mut stencil) = (0, 0);
    for i in 0..200 {
        let source = generate(&some, i).source;
        match kernel_kind(&source) {
            0 => distance += 1,
            1 => stencil += 1,
            _ => panic!("neither a distance nor a stencil:\n{source}"),
        }
    }
    // weights 3 and 3: about half each
    assert!(distance > 70 && stencil > 70, "distance {distance}, stencil {stencil}");
    let err = "distances".parse::<KernelKind>().unwrap_err();
    assert!(err.contains("`distances`") && err.contains("distance, stencil, phase"), "{err}");
}
