//! The compile-time path: the committed generated module must equal what the generator writes
//! today (drift check), and must compute bit for bit what the blob kernel computes.

use compnet_runtime::{Activation, Affine, Layer, Metadata, Precision, Surrogate, SurrogateView};

#[rustfmt::skip] // generated code, kept byte for byte as the generator writes it
#[path = "fixtures/sobel_like.rs"]
mod generated;

/// A deterministic 9→8→1 sigmoid surrogate with non-trivial normalisation.
fn sobel_like() -> Surrogate {
    let w = |n: usize, k: f32| (0..n).map(|i| ((i as f32 + 1.0) * k).sin() * 0.8).collect::<Vec<f32>>();
    Surrogate::new(
        Metadata {
            name: "sobel_like".into(),
            signature:
                "float sobel(float p0, float p1, float p2, float p3, float p4, float p5, float p6, float p7, float p8)"
                    .into(),
            source_hash: 0xfeed_beef,
            export_error: 1e-3,
        },
        vec![(0.0, 1.0); 9],
        Affine { scale: vec![3.5; 9], offset: vec![-1.75; 9] },
        Affine { scale: vec![0.2], offset: vec![0.3] },
        vec![
            Layer { n_in: 9, n_out: 8, weights: w(72, 0.7), biases: w(8, 1.3), activation: Activation::Sigmoid },
            Layer { n_in: 8, n_out: 1, weights: w(8, 2.1), biases: vec![0.1], activation: Activation::Identity },
        ],
    )
    .unwrap()
}

#[test]
#[cfg_attr(miri, ignore = "reads the committed file; Miri isolates the file system")]
fn generated_module_has_not_drifted() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sobel_like.rs");
    let fresh = sobel_like().to_rust_module();
    if std::env::var_os("COMPNET_BLESS").is_some() {
        std::fs::write(path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap();
    assert!(
        committed == fresh,
        "{path} differs from the generator's output; regenerate with COMPNET_BLESS=1 cargo test -p compnet-runtime --test fixed_path"
    );
}

#[test]
fn generated_module_computes_what_the_kernel_computes() {
    let blob = sobel_like().to_blob(Precision::F32);
    let view = SurrogateView::parse(&blob).unwrap();
    for i in 0..500u32 {
        let x: [f32; 9] = core::array::from_fn(|j| ((i * 31 + j as u32 * 7) % 97) as f32 / 96.0);
        let mut y = [0.0f32];
        view.eval::<16>(&x, &mut y).unwrap();
        assert_eq!(generated::eval(&x), y, "input {x:?}");
    }
    assert_eq!(generated::DOMAIN[3], (0.0, 1.0));
}
