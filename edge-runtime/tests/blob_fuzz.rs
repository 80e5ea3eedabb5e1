//! A proptest campaign against the blob parser: valid blobs of random shapes, then mutated
//! (bit flips, truncation, extension, rewritten header fields with the CRC fixed up so that the
//! deeper checks are reached, or plain random bytes). Whatever the bytes, `parse` returns, never
//! panics; whatever parses, evaluates or errors, never panics, and reads only inside the blob.
//!
//! Cases: `COMPNET_FUZZ_CASES` (default 1,000,000: about 10 s; 64 under Miri).

use compnet_runtime::{Activation, Affine, Layer, Metadata, Precision, Surrogate, SurrogateView};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn crc32(bytes: &[u8]) -> u32 {
    // Bitwise CRC-32 (IEEE), independent of the runtime's table-driven one.
    let mut c = !0u32;
    for &b in bytes {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

#[derive(Debug, Clone)]
enum Mutation {
    None,
    Flip(Vec<(usize, u8)>),
    Truncate(usize),
    Extend(Vec<u8>),
    /// Overwrite bytes at an offset inside the first 64 (header, widths, codes), fix length and CRC.
    Field {
        offset: usize,
        bytes: Vec<u8>,
        fix_crc: bool,
    },
    /// Overwrite any bytes, then fix the CRC.
    Body {
        at: Vec<(usize, u8)>,
    },
    Random(Vec<u8>),
}

fn surrogate() -> impl Strategy<Value = (Surrogate, bool)> {
    (prop::collection::vec(1usize..12, 2..6), any::<u64>(), any::<bool>(), "[a-z]{0,12}").prop_map(
        |(widths, seed, f16, name)| {
            let mut rng = seed;
            let mut next = move || {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                (rng >> 40) as f32 / (1u64 << 24) as f32 * 4.0 - 2.0
            };
            let layers = Layer::chain(&widths, |k| Activation::ALL[(k + seed as usize) % 4], |_| next());
            let (n_in, n_out) = (widths[0], widths[widths.len() - 1]);
            let s = Surrogate::new(
                Metadata { name, signature: "void f(void)".into(), source_hash: seed, export_error: 0.5 },
                (0..n_in).map(|_| (-1.0, 1.0)).collect(),
                Affine { scale: (0..n_in).map(|_| next()).collect(), offset: (0..n_in).map(|_| next()).collect() },
                Affine { scale: (0..n_out).map(|_| next()).collect(), offset: (0..n_out).map(|_| next()).collect() },
                layers,
            )
            .unwrap();
            (s, f16)
        },
    )
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => Just(Mutation::None),
        3 => prop::collection::vec((any::<usize>(), 1u8..=255), 1..4).prop_map(Mutation::Flip),
        2 => any::<usize>().prop_map(Mutation::Truncate),
        1 => prop::collection::vec(any::<u8>(), 1..16).prop_map(Mutation::Extend),
        4 => (0usize..64, prop::collection::vec(any::<u8>(), 1..4), any::<bool>())
            .prop_map(|(offset, bytes, fix_crc)| Mutation::Field { offset, bytes, fix_crc }),
        2 => prop::collection::vec((any::<usize>(), any::<u8>()), 1..4).prop_map(|at| Mutation::Body { at }),
        1 => prop::collection::vec(any::<u8>(), 0..200).prop_map(Mutation::Random),
    ]
}

fn fix_crc(b: &mut [u8]) {
    if b.len() >= 36 {
        let n = b.len();
        let len = (n as u32).to_le_bytes();
        b[16..20].copy_from_slice(&len);
        let c = crc32(&b[..n - 4]);
        b[n - 4..].copy_from_slice(&c.to_le_bytes());
    }
}

fn apply(mut b: Vec<u8>, m: &Mutation) -> Vec<u8> {
    match m {
        Mutation::None => {}
        Mutation::Flip(flips) => {
            for &(i, x) in flips {
                let n = b.len();
                b[i % n] ^= x;
            }
        }
        Mutation::Truncate(cut) => b.truncate(cut % (b.len() + 1)),
        Mutation::Extend(extra) => b.extend_from_slice(extra),
        Mutation::Field { offset, bytes, fix_crc: fix } => {
            for (i, &x) in bytes.iter().enumerate() {
                if offset + i < b.len() {
                    b[offset + i] = x;
                }
            }
            if *fix {
                fix_crc(&mut b);
            }
        }
        Mutation::Body { at } => {
            for &(i, x) in at {
                let n = b.len() - 4;
                b[i % n] = x;
            }
            fix_crc(&mut b);
        }
        Mutation::Random(r) => {
            b = r.clone();
            if b.len() >= 4 && b[0] & 1 == 0 {
                b[..4].copy_from_slice(b"CPN\0");
            }
        }
    }
    b
}

fn exercise(bytes: &[u8]) {
    if let Ok(v) = SurrogateView::parse(bytes) {
        let x: Vec<f32> = (0..v.n_in()).map(|i| i as f32 * 0.1 - 0.3).collect();
        let mut y = vec![0.0f32; v.n_out()];
        let _ = v.eval::<16>(&x, &mut y);
        let _ = v.eval::<4096>(&x, &mut y);
        let _ = v.eval::<16>(&x[..x.len() - 1], &mut y);
        let _ = v.eval_batch::<16>(&[0.5; 7], &mut [0.0; 3]);
        let _ = v.out_of_domain(&x);
        let _ = (v.name(), v.signature(), v.source_hash(), v.export_error(), v.max_width());
        for i in 0..v.n_in() {
            let _ = (v.domain(i), v.input_norm(i));
        }
    }
}

#[test]
fn parser_never_panics_on_mutated_blobs() {
    let cases: u32 = if cfg!(miri) {
        64
    } else {
        std::env::var("COMPNET_FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000)
    };
    let start = std::time::Instant::now();
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let parsed = std::cell::Cell::new(0u64);
    runner
        .run(&(surrogate(), mutation()), |((s, f16), m)| {
            let blob = s.to_blob(if f16 { Precision::F16 } else { Precision::F32 });
            let bytes = apply(blob, &m);
            exercise(&bytes);
            if SurrogateView::parse(&bytes).is_ok() {
                parsed.set(parsed.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "blob fuzz: {cases} cases in {:.1} s, {} still parsed after mutation",
        start.elapsed().as_secs_f64(),
        parsed.get()
    );
}

#[test]
fn unmutated_blobs_always_parse_and_round_trip() {
    let mut runner = TestRunner::new(Config {
        cases: if cfg!(miri) { 8 } else { 500 },
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&surrogate(), |(s, _)| {
            let blob = s.to_blob(Precision::F32);
            let back = Surrogate::from_blob(&blob).expect("a freshly written blob parses");
            prop_assert_eq!(back, s);
            Ok(())
        })
        .unwrap();
}
