//! Reordered input parameters: the C compiler runs the rewritten program on the reordered inputs
//! and must give the recorded outputs bit for bit.

use compnet_datasets::IoPairs;
use compnet_datasets::augment::{distinct_orders, permute_inputs};
use compnet_datasets::harness::{Harness, HarnessConfig};
use compnet_datasets::signature::Signature;
use compnet_datasets::store::ProgramRecord;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn harness() -> Harness {
    Harness::new(HarnessConfig { runs: 1, ..HarnessConfig::default() })
}

/// Programs whose inputs play different parts, with out-pointers between inputs, helpers,
/// comments and qualifiers inside the parameter list, and an integer input.
const PROGRAMS: &[(&str, &str)] = &[
    (
        "mix",
        "#include <math.h>\n\
         static double sq(double v) { return v * v; }\n\
         double mix(double x, double *p, const double y, /* scale */ int n, double z) {\n\
             *p = x * y - z / (20.0 + n);\n\
             return sqrt(sq(x) + 3.0 * sq(y)) / (1.0 + fabs(z)) + n * x;\n\
         }\n",
    ),
    (
        "lerp_clamped",
        "#include <math.h>\n\
         float lerp_clamped(float a,\n                   float b,\n                   float t)\n\
         {\n    float u = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);\n    return a + (b - a) * u * u;\n}\n",
    ),
];

fn record(name: &str, source: &str, pairs: usize, seed: u64) -> ProgramRecord {
    let signature = Signature::from_source(source, name).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ints: Vec<bool> = signature
        .params
        .iter()
        .filter(|p| p.role == compnet_datasets::signature::ParamRole::Input)
        .map(|p| !p.ty.is_floating())
        .collect();
    let inputs: Vec<f32> = (0..pairs)
        .flat_map(|_| {
            ints.iter()
                .map(|&int| if int { rng.random_range(-16i32..=16) as f32 } else { rng.random_range(-1.0f32..1.0) })
                .collect::<Vec<_>>()
        })
        .collect();
    let io: IoPairs = harness().evaluate(source, &signature, &inputs).unwrap();
    ProgramRecord {
        name: name.to_string(),
        function: name.to_string(),
        source: source.to_string(),
        signature: signature.to_string(),
        domain: ints.iter().map(|&int| if int { (-16.0, 16.0) } else { (-1.0, 1.0) }).collect(),
        split: "train".into(),
        pairs: io,
    }
}

#[test]
fn the_compiled_rewrite_on_reordered_inputs_gives_the_recorded_outputs() {
    for (k, (name, source)) in PROGRAMS.iter().enumerate() {
        let original = record(name, source, 64, k as u64);
        let orders = distinct_orders(original.pairs.n_in(), 10, 7);
        let expected = if original.pairs.n_in() == 4 { 10 } else { 5 };
        assert_eq!(orders.len(), expected, "{name}: 4 inputs have 23 other orders, 3 have 5");
        for order in orders {
            let copy = permute_inputs(&original, &order).unwrap();
            let signature = Signature::parse(&copy.signature).unwrap();
            assert_eq!(Signature::from_source(&copy.source, name).unwrap(), signature, "{name} {order:?}");
            let rerun = harness().evaluate(&copy.source, &signature, copy.pairs.inputs()).unwrap();
            assert_eq!(rerun.outputs(), original.pairs.outputs(), "{name} {order:?}:\n{}", copy.source);
            // The check can fail: the rewrite on the old order of inputs computes something else.
            let unordered = harness().evaluate(&copy.source, &signature, original.pairs.inputs()).unwrap();
            assert_ne!(unordered.outputs(), original.pairs.outputs(), "{name} {order:?}");
        }
    }
}
