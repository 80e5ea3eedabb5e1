//! `include/compnet.h` is generated from this crate's source by cbindgen; this test regenerates
//! it and fails when the committed file differs. `COMPNET_BLESS=1` rewrites the committed file.

use std::path::Path;

#[test]
fn committed_header_matches_the_source() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("reading cbindgen.toml");
    // cbindgen follows the `mod` items of lib.rs.
    let builder = cbindgen::Builder::new().with_config(config).with_src(dir.join("src/lib.rs"));
    let mut generated = Vec::new();
    builder.generate().expect("cbindgen failed on the crate's source").write(&mut generated);
    let generated = String::from_utf8(generated).expect("cbindgen writes UTF-8");
    let path = dir.join("include/compnet.h");
    if std::env::var_os("COMPNET_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("writing include/compnet.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let line = committed.lines().zip(generated.lines()).position(|(a, b)| a != b).map_or_else(
            || format!("lengths differ: {} vs {} lines", committed.lines().count(), generated.lines().count()),
            |i| format!("first difference at line {}", i + 1),
        );
        panic!(
            "{} is out of date with the Rust source ({line}).\nRegenerate it with:\n    \
             COMPNET_BLESS=1 cargo test -p compnet-capi --test header\nand commit the result.",
            path.display()
        );
    }
}
