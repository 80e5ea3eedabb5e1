//! `ci/install-capi.sh PREFIX` installs the libraries, the header and the pkg-config files; a C
//! program then builds with nothing but `pkg-config` flags, against the shared and the static
//! library, and both executables print the same results.
//!
//! The script runs a release build of this crate (cargo locks each profile's folder on its own,
//! so it does not wait for the `cargo test` that runs it).

mod common;

use common::{Gray, sobel_surrogate};
use compnet_runtime::Precision;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn pkg_config(pc_path: &Path, args: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("pkg-config");
    cmd.env("PKG_CONFIG_PATH", pc_path).args(args);
    let out =
        cmd.output().unwrap_or_else(|e| panic!("running pkg-config: {e} (install it: apt-get install pkg-config)"));
    assert!(out.status.success(), "pkg-config {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().split_whitespace().map(str::to_owned).collect()
}

#[test]
fn installed_library_links_through_pkg_config() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("prefix");
    let mut install = Command::new(root.join("ci/install-capi.sh"));
    install.arg(&prefix).env("CARGO", env!("CARGO"));
    run(&mut install);
    for file in ["lib/libcompnet.a", "lib/libcompnet.so", "include/compnet.h", "lib/pkgconfig/compnet.pc"] {
        assert!(prefix.join(file).is_file(), "{file} not installed");
    }
    let header = std::fs::read(prefix.join("include/compnet.h")).unwrap();
    assert_eq!(header, std::fs::read(root.join("edge-runtime/capi/include/compnet.h")).unwrap());

    let pc_path = prefix.join("lib/pkgconfig");
    let (include, libdir) = (prefix.join("include"), prefix.join("lib"));
    let flags = pkg_config(&pc_path, &["--cflags", "--libs", "compnet"]);
    assert_eq!(flags, [format!("-I{}", include.display()), format!("-L{}", libdir.display()), "-lcompnet".into()]);
    assert_eq!(pkg_config(&pc_path, &["--modversion", "compnet"]), [env!("CARGO_PKG_VERSION")]);
    let static_flags = pkg_config(&pc_path, &["--cflags", "--libs", "compnet-static"]);
    assert!(static_flags.contains(&libdir.join("libcompnet.a").display().to_string()), "{static_flags:?}");

    let picture = dir.path().join("picture.pgm");
    let blob = dir.path().join("sobel.cpn");
    std::fs::write(&picture, Gray::synthetic(40, 30).to_pgm()).unwrap();
    std::fs::write(&blob, sobel_surrogate(0.9).to_blob(Precision::F16)).unwrap();
    let mut outputs = Vec::new();
    for (name, flags) in [("shared", &flags), ("static", &static_flags)] {
        let exe: PathBuf = dir.path().join(format!("sobel_image_{name}"));
        run(Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
            .args(["-std=c11", "-O2", "-Wall", "-Werror"])
            .arg(root.join("edge-runtime/capi/examples/sobel_image.c"))
            .arg(root.join("datasets/programs/sobel.c"))
            .args(flags)
            .arg("-lm")
            .arg("-o")
            .arg(&exe));
        let out = run(Command::new(&exe).arg(&picture).arg(&blob).env("LD_LIBRARY_PATH", &libdir));
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.contains("image difference: "), "{stdout}");
        outputs.push(stdout);
    }
    assert_eq!(outputs[0], outputs[1], "the shared and the static library compute the same");
    // The shared executable does load libcompnet.so; the static one needs no libcompnet at all.
    let ldd = |exe: &str| {
        let out = Command::new("ldd").arg(dir.path().join(exe)).env("LD_LIBRARY_PATH", &libdir).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(ldd("sobel_image_shared").contains("libcompnet.so"));
    assert!(!ldd("sobel_image_static").contains("libcompnet"));
}
