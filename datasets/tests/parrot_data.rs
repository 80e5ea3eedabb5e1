//! ParrotBench data: the photos, building all six data sets through the harness, Parquet files,
//! loading and its errors.

use std::time::Instant;

use compnet_datasets::harness::{Harness, HarnessConfig};
use compnet_datasets::images::{ImageError, ImageSet};
use compnet_datasets::parrot::{self, ParrotError, Split, build_dir, load};
use compnet_datasets::store::{read_records, write_records};

fn images() -> ImageSet {
    ImageSet::fetch(&ImageSet::default_cache_dir()).expect("the scikit-image photos (pip download)")
}

#[test]
fn photos_have_their_known_sizes() {
    let images = images();
    for (img, w, h) in [(&images.astronaut, 512, 512), (&images.coffee, 600, 400), (&images.chelsea, 451, 300)] {
        assert_eq!((img.width, img.height, img.rgb.len()), (w, h, 3 * w * h));
    }
    // Real photos, not blank: many distinct colours.
    let mut colours: Vec<[u8; 3]> = images.chelsea.rgb.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 10_000, "{}", colours.len());
}

#[test]
fn a_wheel_without_the_photos_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fake.whl");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    zip.start_file("skimage/__init__.py", zip::write::SimpleFileOptions::default()).unwrap();
    zip.finish().unwrap();
    let e = ImageSet::from_wheel(&path).unwrap_err();
    assert!(matches!(e, ImageError::PhotoMissing { .. }), "{e}");
    assert!(e.to_string().contains("fake.whl") && e.to_string().contains("skimage/data/astronaut.png"), "{e}");
    let e = ImageSet::from_wheel(&dir.path().join("absent.whl")).unwrap_err();
    assert!(e.to_string().contains("absent.whl"), "{e}");
}

/// Builds all six data sets, checks every file against the table and the Rust references, and
/// prints the measured facts (sizes, time, intersection rate).
#[test]
fn build_dir_writes_all_six_programs() {
    let images = images();
    let dir = tempfile::tempdir().unwrap();
    let harness = Harness::new(HarnessConfig { runs: 1, ..HarnessConfig::default() });
    let all: Vec<_> = parrot::programs().iter().collect();
    let start = Instant::now();
    let built = build_dir(dir.path(), &all, &harness, &images, 42);
    eprintln!("built all six in {:.1} s", start.elapsed().as_secs_f64());
    for b in &built {
        let p = b.program;
        let f = b.result.as_ref().unwrap_or_else(|e| panic!("{}: {e}", p.name));
        eprintln!("{:>10}: {:>7} train, {:>6} test, {:>9} bytes, {:.1} s", p.name, f.train, f.test, f.bytes, f.seconds);
        assert_eq!((f.train, f.test), (p.sizes.train, p.sizes.test), "{}", p.name);
        let data = load(dir.path(), p).unwrap();
        assert_eq!(data.train.len(), p.sizes.train);
        assert_eq!(data.test.len(), p.sizes.test);
        for pairs in [&data.train, &data.test] {
            for (k, &(lo, hi)) in p.domain.iter().enumerate() {
                assert!((0..pairs.len()).all(|i| (lo..=hi).contains(&pairs.input(i)[k])), "{} input {k}", p.name);
            }
            let rust = p.reference_outputs(pairs.inputs());
            let off = pairs.outputs().iter().zip(&rust).filter(|(a, b)| (*a - *b).abs() > 1e-5).count();
            // jpeg: coefficients at exact rounding ties may differ (see parrot_programs.rs).
            let allowed = if p.name == "jpeg" { pairs.len() / 100 } else { 0 };
            assert!(off <= allowed, "{}: {off} outputs differ from the Rust reference", p.name);
        }
        if p.name == "jmeint" {
            let hits = (0..data.train.len()).filter(|&i| data.train.output(i)[0] > 0.5).count();
            eprintln!("jmeint: {hits} of {} training pairs intersect", data.train.len());
        }
    }
    // Same seed, same inputs; the two splits differ.
    let fft = parrot::find("fft").unwrap();
    let again = parrot::inputs::generate(fft, Split::Train, &images, 42).unwrap();
    assert_eq!(load(dir.path(), fft).unwrap().train.inputs(), &again[..]);
    assert_ne!(&parrot::inputs::generate(fft, Split::Test, &images, 42).unwrap()[..100], &again[..100]);
}

#[test]
fn load_names_the_missing_file_and_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let e = load(dir.path(), parrot::find("sobel").unwrap()).unwrap_err();
    assert!(matches!(e, ParrotError::MissingFile { .. }));
    let msg = e.to_string();
    assert!(msg.contains("sobel.parquet") && msg.contains("compnet dataset parrot"), "{msg}");
}

#[test]
fn a_program_that_fails_is_reported_and_the_others_built() {
    // jpeg cannot be built from the synthetic images (its size check fails); fft needs no photo.
    let dir = tempfile::tempdir().unwrap();
    let harness = Harness::new(HarnessConfig { runs: 1, ..HarnessConfig::default() });
    let programs = [parrot::find("jpeg").unwrap(), parrot::find("fft").unwrap()];
    let built = build_dir(dir.path(), &programs, &harness, &ImageSet::synthetic(), 1);
    let e = built[0].result.as_ref().unwrap_err().to_string();
    assert!(e.contains("jpeg") && e.contains("scikit-image"), "{e}");
    assert!(built[1].result.is_ok());
    assert!(!dir.path().join("jpeg.parquet").exists());

    // A file built from another source is refused as stale.
    let path = dir.path().join("fft.parquet");
    let mut records = read_records(&path).unwrap();
    assert_eq!(records.iter().map(|r| r.split.as_str()).collect::<Vec<_>>(), ["train", "test"]);
    records[0].source.push_str("\n/* edited */\n");
    write_records(&path, &records).unwrap();
    let e = load(dir.path(), programs[1]).unwrap_err().to_string();
    assert!(e.contains("different source") && e.contains("compnet dataset parrot"), "{e}");
}
