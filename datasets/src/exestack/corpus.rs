//! Where ExeStack's C files come from: a folder of C files, or Debian source packages fetched with
//! `apt-get source` through `deb-src` entries derived from the machine's own apt sources.
//!
//! Debian packages are fetched into a cache folder with a private apt state (its own source list
//! and package lists under `CACHE/apt/`), so the machine's apt configuration is never changed and no
//! host name is written anywhere in this project: the `deb-src` entries are the machine's `deb`
//! entries with the type changed.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::preprocess::SYSTEM_HEADERS;

/// Numeric C code in Debian: math libraries, signal and image processing, physics, astronomy,
/// statistics. Packages whose sources are mostly C++ or Fortran are left out.
#[rustfmt::skip]
pub const DEFAULT_PACKAGES: &[&str] = &[
    // math libraries and C libraries' libm
    "gsl", "musl", "newlib", "picolibc", "dietlibc", "glibc", "uclibc", "klibc", "mingw-w64",
    "libcerf", "cminpack", "nlopt", "glpk", "qhull", "libxc", "sundials", "cubature", "r-base",
    "dieharder", "gretl", "pspp", "gnumeric", "libm4ri", "fftw3", "kissfft", "mpfit", "gnuplot",
    "units", "igraph", "lp-solve", "libmatheval", "nauty", "apcalc", "euler", "libctl", "mpb",
    "r-cran-expint", "r-cran-mgcv", "r-cran-desolve", "r-cran-rmutil", "r-cran-statmod",
    // signal and audio processing
    "libsamplerate", "libsoxr", "libsndfile", "speex", "speexdsp", "opus", "codec2", "sox",
    "swh-plugins", "tap-plugins", "ladspa-sdk", "blop", "cmt", "omins",
    "invada-studio-plugins-ladspa", "x42-plugins", "libbs2b", "libebur128", "libvorbis", "flac",
    "lame", "twolame", "libgsm", "mpg123", "faad2", "libmad", "a52dec", "libdca", "soundtouch",
    "aubio", "csound", "puredata", "fluidsynth", "snd", "liquid-dsp", "pulseaudio", "alsa-lib",
    "portaudio19", "jack-audio-connection-kit", "libao", "libxmp", "libmikmod", "flite",
    // image and video processing, graphics, geometry
    "libgd2", "netpbm-free", "libjpeg-turbo", "libwebp", "openjpeg2", "lcms2", "pixman", "libpng1.6",
    "potrace", "graphicsmagick", "imagemagick", "siril", "gts", "libccd", "shapelib", "gimp", "gegl",
    "vips", "gdal", "leptonlib", "darktable", "dcraw", "tiff", "giflib", "libexif", "freetype",
    "cairo", "libart-lgpl", "libharu", "mupdf", "ghostscript", "graphviz", "plplot", "grace",
    "mesa", "freeglut", "libsdl2", "libsdl1.2", "chipmunk", "admesh", "rasmol", "gravit",
    "libvpx", "x264", "dav1d", "libtheora", "mjpegtools", "mpv", "zbar", "gstreamer1.0",
    // speech, radio, media, scripting
    "ffmpeg", "direwolf", "dump1090-mutability", "pocketsphinx", "sphinxbase", "sqlite3", "lua5.4",
    // physics, astronomy, geodesy, navigation, circuits
    "erfa", "libnova", "wcslib", "cfitsio", "starlink-pal", "xplanet", "gpsd", "geographiclib",
    "libgeotiff", "astrometry.net", "cdo", "nco", "netcdf", "gmt", "rtklib", "ngspice", "magic",
    "wcstools", "gnuastro", "source-extractor", "swarp", "scamp", "psfex", "cpl", "gpredict",
    "sunclock", "grass", "eccodes", "udunits", "ncview", "calculix-ccx", "pcb", "xcircuit",
    // more math and statistics
    "xppaut", "yorick", "genius", "mathomatic", "spglib", "superlu", "suitesparse", "mpfr4", "ent",
    "bc", "gawk", "mawk", "mujs", "jq", "luajit", "r-cran-actuar", "r-cran-survival",
    "r-cran-cluster", "r-cran-rpart", "r-cran-e1071", "r-cran-randomforest", "r-cran-truncnorm",
    "r-cran-tseries", "r-cran-robustbase", "r-cran-vgam", "r-cran-gsl", "r-cran-sp", "r-cran-matrix",
    "r-cran-spatial", "r-cran-class", "r-cran-expm",
    // bioinformatics: phylogenetics and sequence statistics
    "hmmer", "infernal", "mrbayes", "paml", "phyml", "fasttree", "tree-puzzle", "phylip", "raxml",
    "bcftools", "htslib",
    // more images, fonts, 3D and game math, audio and radio
    "babl", "libmypaint", "libpano13", "libimagequant", "pngquant", "zopfli", "xscreensaver",
    "mtpaint", "grafx2", "imlib2", "libavif", "fontforge", "xfig", "sane-backends", "tuxpaint",
    "ioquake3", "neverball", "darkplaces", "espeak-ng", "timidity", "wildmidi", "multimon-ng",
    "rtl-433", "wavpack",
];

/// One C file of the corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusFile {
    /// The package (Debian) or first folder level (folder corpus) the file belongs to.
    pub package: String,
    /// A stable identifier: `package/relative/path.c`.
    pub id: String,
    /// The file on disk.
    pub path: PathBuf,
    /// Include folders for its preprocessing.
    pub include_dirs: Vec<PathBuf>,
    /// The package's folder (whose headers the [prefilter](super::prefilter) reads).
    pub root: PathBuf,
}

/// A package that could not be fetched or unpacked (the build goes on without it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PackageFailure {
    /// The package.
    pub package: String,
    /// What went wrong: apt's or curl's words, with the mirror's address left out when written
    /// to `stats.json` ([`without_mirror`]; the console shows it whole).
    #[serde(serialize_with = "serialize_without_mirror")]
    pub message: String,
}

fn serialize_without_mirror<S: serde::Serializer>(message: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&without_mirror(message))
}

/// `message` with apt's `[IP: address port]` notes dropped and every URL's scheme and host
/// replaced by `<mirror>` (the path stays: it names the file that failed), so that a stats file
/// names no host of the machine that built it.
pub fn without_mirror(message: &str) -> String {
    let mut text = message.to_owned();
    while let Some(i) = text.find("[IP: ") {
        let end = text[i..].find(']').map_or(text.len(), |k| i + k + 1);
        let start = if text[..i].ends_with(' ') { i - 1 } else { i };
        text.replace_range(start..end, "");
    }
    for scheme in ["http://", "https://", "ftp://"] {
        let mut from = 0;
        while let Some(k) = text[from..].find(scheme) {
            let (start, host) = (from + k, from + k + scheme.len());
            let end = text[host..].find(|c: char| c == '/' || c.is_whitespace()).map_or(text.len(), |e| host + e);
            text.replace_range(start..end, "<mirror>");
            from = start + "<mirror>".len();
        }
    }
    text
}

/// Why the corpus could not be listed at all.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// The folder does not exist or cannot be read.
    #[error("corpus folder {path}: {source}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// apt could not be set up (no sources found, `apt-get update` failed).
    #[error("cannot set up apt for Debian sources: {0}")]
    Apt(String),
}

/// Headers a package's header index never links: the C standard and POSIX headers (the
/// system's are used, see [`SYSTEM_HEADERS`]) and `config.h` (the fallback's empty one is).
fn never_indexed(name: &str) -> bool {
    name == "config.h" || SYSTEM_HEADERS.contains(&name)
}

/// The members unpacked from a source tarball: C sources, headers, and the fragments C files
/// include under other names.
const UNPACKED_PATTERNS: &[&str] = &["*.c", "*.h", "*.inc", "*.def"];

/// Files larger than this are skipped (generated tables, amalgamations).
const MAX_FILE_BYTES: u64 = 1 << 20;

/// Lists the `.c` files under `root`, sorted; the package of a file is its first folder below
/// `root` (or the root's own name for files directly in it).
pub fn folder_files(root: &Path, fallback_include: &Path) -> Result<Vec<CorpusFile>, CorpusError> {
    let err = |source| CorpusError::Folder { path: root.to_path_buf(), source };
    let meta = std::fs::metadata(root).map_err(err)?;
    if !meta.is_dir() {
        return Err(err(std::io::Error::other("not a folder")));
    }
    let root_name = root.file_name().map_or("corpus".into(), |n| n.to_string_lossy().into_owned());
    let mut paths = Vec::new();
    walk(root, &mut paths);
    paths.sort();
    let index_dir = fallback_include.with_file_name("header-index");
    let mut indexes: std::collections::HashMap<String, Vec<PathBuf>> = std::collections::HashMap::new();
    Ok(paths
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            let mut parts = rel.components();
            let package = match (parts.next(), parts.next()) {
                (Some(first), Some(_)) => first.as_os_str().to_string_lossy().into_owned(),
                _ => root_name.clone(),
            };
            let pkg_root = if package == root_name { root.to_path_buf() } else { root.join(&package) };
            let index = indexes.entry(package.clone()).or_insert_with(|| header_index(&pkg_root, &package, &index_dir));
            let include_dirs = include_dirs(&path, &pkg_root, index, fallback_include);
            CorpusFile {
                id: format!("{package}/{}", rel_after_package(&rel, &package, &root_name)),
                package,
                path,
                include_dirs,
                root: pkg_root,
            }
        })
        .collect())
}

fn rel_after_package(rel: &Path, package: &str, root_name: &str) -> String {
    let s = rel.to_string_lossy();
    if package == root_name { s.into_owned() } else { s.strip_prefix(&format!("{package}/")).unwrap_or(&s).to_owned() }
}

/// Recursively collects `.c` files (symlinks not followed, hidden folders skipped).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    walk_ext(dir, "c", out)
}

/// Recursively collects files with extension `ext` of at most [`MAX_FILE_BYTES`].
pub(crate) fn walk_ext(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if kind.is_dir() && !hidden {
            walk_ext(&path, ext, out);
        } else if kind.is_file()
            && path.extension().is_some_and(|e| e == ext)
            && entry.metadata().is_ok_and(|m| m.len() <= MAX_FILE_BYTES)
        {
            out.push(path);
        }
    }
}

/// The include folders tried for a file: its own folder, its parent, the package root and its
/// `include/` and `src/` folders, the package's header index (see [`header_index`]), then
/// `fallback` (which holds an empty `config.h`, so that the many autotools projects that include
/// it preprocess without running `configure`).
fn include_dirs(file: &Path, pkg_root: &Path, index: &[PathBuf], fallback: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = file.parent() {
        dirs.push(d.to_path_buf());
        if let Some(p) = d.parent().filter(|p| p.starts_with(pkg_root)) {
            dirs.push(p.to_path_buf());
        }
    }
    for d in [pkg_root.to_path_buf(), pkg_root.join("include"), pkg_root.join("src")] {
        if d.is_dir() && !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    dirs.extend(index.iter().filter(|d| !dirs.contains(d)).cloned().collect::<Vec<_>>());
    dirs.push(fallback.to_path_buf());
    dirs
}

/// A folder of symbolic links to every header of a package, as `NAME.h` and as `SHORT/NAME.h`
/// where `SHORT` is the package name without a `lib` prefix or version suffix: many projects
/// include their own headers as `<gsl/gsl_math.h>` from a folder that only their build creates.
/// The first header of a name (in sorted path order) wins. Returned with the package's folders
/// named `include` (up to 16; they hold `sys/…` and `machine/…` style headers): the extra include
/// folders of every file of the package. Empty when the package has no headers.
pub fn header_index(pkg_root: &Path, package: &str, dir: &Path) -> Vec<PathBuf> {
    let mut headers = Vec::new();
    walk_ext(pkg_root, "h", &mut headers);
    if headers.is_empty() {
        return Vec::new();
    }
    headers.sort();
    let short: String =
        package.trim_start_matches("lib").trim_end_matches(|c: char| c.is_ascii_digit() || c == '.').to_owned();
    let index = dir.join(package);
    let nested = index.join(if short.is_empty() { package } else { &short });
    let mut include_folders: Vec<PathBuf> = headers
        .iter()
        .filter_map(|h| h.ancestors().skip(1).find(|a| a.file_name().is_some_and(|n| n == "include")))
        .filter_map(|a| std::path::absolute(a).ok())
        .collect();
    include_folders.sort();
    include_folders.dedup();
    include_folders.truncate(16);
    if std::fs::create_dir_all(&nested).is_err() {
        return include_folders;
    }
    for h in &headers {
        let Some(name) = h.file_name() else { continue };
        // Links must not dangle wherever the corpus path was relative to.
        let Ok(h) = std::path::absolute(h) else { continue };
        // A package's own `math.h` (libcs, test folders) must not shadow the system's for every file.
        let flat = (!never_indexed(&name.to_string_lossy())).then(|| index.join(name));
        for link in flat.into_iter().chain([nested.join(name)]) {
            if std::fs::symlink_metadata(&link).is_err() {
                let _ = std::os::unix::fs::symlink(&h, &link);
            }
        }
    }
    let mut dirs = vec![index];
    dirs.extend(include_folders);
    dirs
}

/// Writes the fallback include folder (an empty `config.h`) under `dir` and returns it.
pub fn fallback_include_dir(dir: &Path) -> std::io::Result<PathBuf> {
    let d = dir.join("fallback-include");
    std::fs::create_dir_all(&d)?;
    let config = d.join("config.h");
    if !config.exists() {
        std::fs::write(&config, "/* compnet ExeStack: stands in for a configure-generated config.h */\n")?;
    }
    Ok(d)
}

/// apt with a private state under `cache/apt`: the arguments that point it there.
fn apt_args(cache: &Path) -> Vec<String> {
    let apt = cache.join("apt");
    vec![
        "-o".into(),
        "Dir::Etc::SourceList=/dev/null".into(),
        "-o".into(),
        format!("Dir::Etc::SourceParts={}", apt.join("sources").display()),
        "-o".into(),
        format!("Dir::State::Lists={}", apt.join("lists").display()),
        "-o".into(),
        "Debug::NoLocking=1".into(),
        "-q".into(),
    ]
}

/// The machine's `deb` entries rewritten as `deb-src`: deb822 `.sources` stanzas (`Types: deb`)
/// and one-line `sources.list` entries.
pub fn derive_deb_src(etc_apt: &Path) -> String {
    let mut out = String::new();
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(etc_apt.join("sources.list.d"))
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for f in &files {
        if f.extension().is_some_and(|e| e == "sources") {
            for stanza in read(f).split("\n\n") {
                if stanza.lines().any(|l| l.trim() == "Types: deb" || l.trim().starts_with("Types: deb ")) {
                    let s: Vec<String> = stanza
                        .lines()
                        .filter(|l| !l.trim_start().starts_with('#'))
                        .map(|l| {
                            if l.trim_start().starts_with("Types:") {
                                "Types: deb-src".to_owned()
                            } else {
                                l.to_owned()
                            }
                        })
                        .collect();
                    out += &format!("{}\n\n", s.join("\n"));
                }
            }
        } else if f.extension().is_some_and(|e| e == "list") {
            out += &one_line_entries(&read(f));
        }
    }
    let main = etc_apt.join("sources.list");
    if main.exists() {
        out += &one_line_entries(&read(&main));
    }
    out
}

/// One-line `deb …` entries as a deb822 stanza each.
fn one_line_entries(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines().map(str::trim).filter(|l| l.starts_with("deb ")) {
        let mut parts = line.split_whitespace().skip(1).peekable();
        let mut options = Vec::new();
        if parts.peek().is_some_and(|p| p.starts_with('[')) {
            for p in parts.by_ref() {
                options.push(p.trim_matches(|c| c == '[' || c == ']').to_owned());
                if p.ends_with(']') {
                    break;
                }
            }
        }
        let rest: Vec<&str> = parts.collect();
        if rest.len() < 2 {
            continue;
        }
        out +=
            &format!("Types: deb-src\nURIs: {}\nSuites: {}\nComponents: {}\n", rest[0], rest[1], rest[2..].join(" "));
        for o in options.iter().filter_map(|o| o.split_once('=')) {
            if o.0 == "signed-by" {
                out += &format!("Signed-By: {}\n", o.1);
            }
        }
        out += "\n";
    }
    out
}

/// Sets up the private apt state (once: the lists are reused while they exist).
fn apt_update(cache: &Path) -> Result<(), CorpusError> {
    let apt = cache.join("apt");
    let lists = apt.join("lists");
    let ready = lists.join(".compnet-updated");
    if ready.exists() {
        return Ok(());
    }
    let sources = derive_deb_src(Path::new("/etc/apt"));
    if sources.trim().is_empty() {
        return Err(CorpusError::Apt("no `deb` entries found in /etc/apt to derive deb-src entries from".into()));
    }
    let io = |e: std::io::Error| CorpusError::Apt(format!("{}: {e}", apt.display()));
    std::fs::create_dir_all(apt.join("sources")).map_err(io)?;
    std::fs::create_dir_all(lists.join("partial")).map_err(io)?;
    std::fs::write(apt.join("sources/compnet-deb-src.sources"), sources).map_err(io)?;
    let out = Command::new("apt-get")
        .args(apt_args(cache))
        .arg("update")
        .output()
        .map_err(|e| CorpusError::Apt(format!("cannot run apt-get: {e}")))?;
    if !out.status.success() {
        let tail = String::from_utf8_lossy(&out.stderr).lines().rev().take(3).collect::<Vec<_>>().join(" | ");
        return Err(CorpusError::Apt(format!("apt-get update failed: {tail}")));
    }
    std::fs::write(&ready, b"").map_err(io)
}

/// Fetches and unpacks one source package into `cache/pkgs/PACKAGE/src` (skipped when already
/// there); returns the unpacked root. A failure is remembered in `cache/pkgs/PACKAGE.failed`
/// (the mirror lacks many tarballs, and asking again costs seconds a package): delete that file
/// to try again.
fn fetch_package(cache: &Path, package: &str) -> Result<PathBuf, String> {
    let failed = cache.join("pkgs").join(format!("{package}.failed"));
    if let Ok(message) = std::fs::read_to_string(&failed) {
        return Err(format!("{} (remembered in {})", message.trim(), failed.display()));
    }
    fetch_package_now(cache, package).inspect_err(|message| {
        let _ = std::fs::write(&failed, message);
    })
}

fn fetch_package_now(cache: &Path, package: &str) -> Result<PathBuf, String> {
    let dir = cache.join("pkgs").join(package);
    let src = dir.join("src");
    let done = dir.join(".unpacked");
    if done.exists() {
        return Ok(src);
    }
    let dl = dir.join("dl");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dl).map_err(|e| format!("{}: {e}", dl.display()))?;
    let out = Command::new("apt-get")
        .args(apt_args(cache))
        .args(["source", "--download-only", package])
        .current_dir(&dl)
        .output()
        .map_err(|e| format!("cannot run apt-get: {e}"))?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stderr);
        let line = msg.lines().find(|l| l.starts_with("E:")).unwrap_or("apt-get source failed").to_owned();
        // A mirror that lacks a signature or the Debian patches may still have the upstream
        // tarball, which is all the corpus needs.
        fetch_upstream_tarball(cache, package, &dl).map_err(|why| format!("{line} (upstream tarball alone: {why})"))?;
    }
    // The upstream tarball (`*.orig.tar.*`), or the one tarball of a native package.
    let mut tarballs: Vec<PathBuf> = std::fs::read_dir(&dl)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().unwrap_or_default().to_string_lossy();
            n.contains(".tar.") && !n.contains(".debian.tar.") && !n.ends_with(".asc")
        })
        .collect();
    tarballs.sort();
    let tarball = tarballs
        .iter()
        .find(|p| p.to_string_lossy().contains(".orig.tar."))
        .or(tarballs.first())
        .ok_or_else(|| "no source tarball in the download".to_owned())?;
    std::fs::create_dir_all(&src).map_err(|e| e.to_string())?;
    // Only what C files are made of: test data, images and documentation would fill the disk
    // (a section-wide corpus is thousands of packages).
    let out = Command::new("tar")
        .arg("-xf")
        .arg(tarball)
        .arg("-C")
        .arg(&src)
        .args(["--no-same-owner", "--wildcards"])
        .args(UNPACKED_PATTERNS)
        .output()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A pattern no member matches is an error for tar, not for us.
    let real_errors: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.contains("Not found in archive") && !l.contains("Exiting with failure status"))
        .collect();
    if !out.status.success() && !real_errors.is_empty() {
        return Err(format!("tar -xf {}: {}", tarball.display(), real_errors.join(" | ")));
    }
    let _ = std::fs::remove_dir_all(&dl);
    std::fs::write(&done, b"").map_err(|e| e.to_string())?;
    Ok(src)
}

/// Downloads just the upstream tarball of `package` (URI and SHA-256 from
/// `apt-get source --print-uris`) into `dl`, checking its hash.
fn fetch_upstream_tarball(cache: &Path, package: &str, dl: &Path) -> Result<(), String> {
    let out = Command::new("apt-get")
        .args(apt_args(cache))
        .args(["source", "--print-uris", package])
        .output()
        .map_err(|e| format!("cannot run apt-get: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    // Lines: 'URI' FILE SIZE SHA256:HEX
    let entries: Vec<Vec<&str>> =
        text.lines().filter(|l| l.starts_with('\'')).map(|l| l.split_whitespace().collect()).collect();
    let wanted = |f: &str| f.contains(".tar.") && !f.ends_with(".asc") && !f.contains(".debian.tar.");
    let entry = entries
        .iter()
        .find(|e| e.len() >= 4 && e[1].contains(".orig.tar.") && wanted(e[1]))
        .or_else(|| entries.iter().find(|e| e.len() >= 4 && wanted(e[1])))
        .ok_or("no tarball listed")?;
    let (uri, file, hash) = (entry[0].trim_matches('\''), entry[1], entry[3].strip_prefix("SHA256:").unwrap_or(""));
    let target = dl.join(file);
    let got = Command::new("curl")
        .args(["-fsSL", "--max-time", "600", "-o"])
        .arg(&target)
        .arg(uri)
        .status()
        .map_err(|e| format!("cannot run curl: {e}"))?;
    if !got.success() {
        return Err(format!("curl could not fetch {file}"));
    }
    let sum = Command::new("sha256sum").arg(&target).output().map_err(|e| format!("cannot run sha256sum: {e}"))?;
    let sum = String::from_utf8_lossy(&sum.stdout);
    if hash.is_empty() || !sum.starts_with(hash) {
        let _ = std::fs::remove_file(&target);
        return Err(format!("{file}: SHA-256 does not match the archive's"));
    }
    Ok(())
}

/// Fetches the packages (each at most once per cache, `jobs` downloads at a time) and lists their
/// `.c` files, in the order of `packages`. A package that fails is reported and skipped.
pub fn debian_files(
    packages: &[String],
    cache: &Path,
    fallback_include: &Path,
    jobs: usize,
    mut on_package: impl FnMut(&str, Result<usize, &str>),
) -> Result<(Vec<CorpusFile>, Vec<PackageFailure>), CorpusError> {
    // apt runs in each package's download folder: every path handed to it must be absolute.
    std::fs::create_dir_all(cache).map_err(|e| CorpusError::Apt(format!("{}: {e}", cache.display())))?;
    let cache = &std::path::absolute(cache).map_err(|e| CorpusError::Apt(format!("{}: {e}", cache.display())))?;
    apt_update(cache)?;
    // Downloads wait on the network, not the processor: several run at once. Results are
    // reported as they arrive but collected in list order, so the corpus order never depends on
    // which download finished first.
    let mut fetched: Vec<Option<Result<PathBuf, String>>> = vec![None; packages.len()];
    let all_reported = super::workers::parallel(
        packages,
        jobs,
        |package| fetch_package(cache, package),
        |i, result| -> Result<(), std::convert::Infallible> {
            if let Err(message) = &result {
                on_package(&packages[i], Err(message));
            }
            fetched[i] = Some(result);
            Ok(())
        },
    );
    let Ok(()) = all_reported;
    let mut files = Vec::new();
    let mut failures = Vec::new();
    for (package, result) in packages.iter().zip(fetched) {
        match result.unwrap_or_else(|| Err("not fetched".to_owned())) {
            Ok(root) => {
                let first = files.len();
                let mut paths = Vec::new();
                walk(&root, &mut paths);
                paths.sort();
                // The tarball's top folder (e.g. `gsl-2.7.1/`) is the package root.
                let pkg_root = single_subfolder(&root).unwrap_or(root.clone());
                let index = header_index(&pkg_root, package, &fallback_include.with_file_name("header-index"));
                for path in paths {
                    let rel = path.strip_prefix(&pkg_root).unwrap_or(&path).to_string_lossy().into_owned();
                    let include_dirs = include_dirs(&path, &pkg_root, &index, fallback_include);
                    files.push(CorpusFile {
                        package: package.clone(),
                        id: format!("{package}/{rel}"),
                        path,
                        include_dirs,
                        root: pkg_root.clone(),
                    });
                }
                on_package(package, Ok(files.len() - first));
            }
            Err(message) => failures.push(PackageFailure { package: package.clone(), message }),
        }
    }
    Ok((files, failures))
}

/// The archive sections that hold numeric C code, which `--sections numeric` names at once (what
/// they add to the default list is measured in docs/exestack.md).
pub const NUMERIC_SECTIONS: &[&str] =
    &["math", "science", "sound", "graphics", "video", "electronics", "hamradio", "gnu-r", "libs", "games"];

/// `sections` with the preset `numeric` replaced by [`NUMERIC_SECTIONS`], each section once, in
/// the order given.
pub fn expand_sections(sections: &[String]) -> Vec<String> {
    let named = sections.iter().flat_map(|s| if s == "numeric" { NUMERIC_SECTIONS.to_vec() } else { vec![s.as_str()] });
    let mut out: Vec<String> = Vec::new();
    for name in named {
        if !out.iter().any(|o| o == name) {
            out.push(name.to_owned());
        }
    }
    out
}

/// What decides which Debian source packages a section-wide corpus takes.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionQuery {
    /// Archive sections (`math`, `science`, `sound`, …): a source package is taken when one of
    /// its binary packages is in one of them.
    pub sections: Vec<String>,
    /// Largest upstream tarball taken, in bytes (data-heavy packages hold little code).
    pub max_tarball_bytes: u64,
}

/// Build dependencies that mark a package as written in another language than C (its C files,
/// if any, are bindings): such packages are not fetched for a section-wide corpus.
///
/// Fortran, R and Python are not among them: an architecture-dependent package that builds with
/// `gfortran` (FFTW, HDF5, ARPACK, …), `dh-r` (R packages' `src/`) or `dh-python` (extension
/// modules) holds numeric C beside the other language, which is what ExeStack looks for; its
/// binding files fail the type filter like any other non-numeric C.
const OTHER_LANGUAGE_BUILD_DEPS: &[&str] = &[
    "default-jdk",
    "dh-golang",
    "golang-go",
    "cargo",
    "rustc",
    "ghc",
    "haskell-devscripts",
    "ocaml",
    "dh-ocaml",
    "mono-devel",
    "fp-compiler",
    "nodejs",
    "libmodule-build-perl",
];

/// The source packages of the mirror's `Sources` index (through the private apt state under
/// `cache`) that match `query`: built for some architecture (not `all` alone), with a binary
/// package in one of the sections, an upstream tarball of at most the size limit, and no build
/// dependency from [`OTHER_LANGUAGE_BUILD_DEPS`]. Sorted by name, without duplicates.
pub fn packages_in_sections(cache: &Path, query: &SectionQuery) -> Result<Vec<String>, CorpusError> {
    std::fs::create_dir_all(cache).map_err(|e| CorpusError::Apt(format!("{}: {e}", cache.display())))?;
    let cache = &std::path::absolute(cache).map_err(|e| CorpusError::Apt(format!("{}: {e}", cache.display())))?;
    apt_update(cache)?;
    let run = |args: &[&str], program: &str| -> Result<String, CorpusError> {
        let mut cmd = Command::new(program);
        if program == "apt-get" {
            cmd.args(apt_args(cache));
        }
        let out = cmd.args(args).output().map_err(|e| CorpusError::Apt(format!("cannot run {program}: {e}")))?;
        if !out.status.success() {
            return Err(CorpusError::Apt(format!(
                "{program} {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let index_files = run(&["indextargets", "--format", "$(FILENAME)", "Identifier: Sources"], "apt-get")?;
    let mut picked = std::collections::BTreeSet::new();
    for file in index_files.lines().map(str::trim).filter(|l| !l.is_empty()) {
        // apt keeps its lists compressed (lz4, …); its helper reads any of them.
        let text = run(&["cat-file", file], "/usr/lib/apt/apt-helper")?;
        for stanza in text.split("\n\n") {
            if let Some(name) = stanza_matches(stanza, query) {
                picked.insert(name.to_owned());
            }
        }
    }
    Ok(picked.into_iter().collect())
}

/// The package name of a `Sources` stanza that matches `query`.
fn stanza_matches<'s>(stanza: &'s str, query: &SectionQuery) -> Option<&'s str> {
    let field = |name: &str| -> Option<String> {
        let mut lines = stanza.lines().skip_while(|l| !l.starts_with(&format!("{name}:")));
        let first = lines.next()?.split_once(':')?.1.trim().to_owned();
        let rest: Vec<&str> = lines.take_while(|l| l.starts_with(' ')).collect();
        Some(std::iter::once(first.as_str()).chain(rest.iter().map(|l| l.trim())).collect::<Vec<_>>().join("\n"))
    };
    let name = stanza.lines().find_map(|l| l.strip_prefix("Package:"))?.trim();
    if field("Architecture")?.split_whitespace().all(|a| a == "all") {
        return None;
    }
    // Package-List lines: NAME TYPE SECTION PRIORITY …; a section may carry an area (`contrib/math`).
    let in_section = field("Package-List")?.lines().any(|l| {
        l.split_whitespace()
            .nth(2)
            .is_some_and(|s| query.sections.iter().any(|q| q == s.rsplit('/').next().unwrap_or(s)))
    });
    if !in_section {
        return None;
    }
    let deps = [field("Build-Depends"), field("Build-Depends-Arch"), field("Build-Depends-Indep")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(",");
    let other_language = deps.split([',', '|']).any(|d| {
        let d = d.trim().split([' ', '(', ':', '[']).next().unwrap_or("");
        OTHER_LANGUAGE_BUILD_DEPS.contains(&d)
    });
    if other_language {
        return None;
    }
    // Checksums-Sha256 lines: HASH SIZE FILE; the upstream tarball is the largest non-Debian one.
    let tarball = field("Checksums-Sha256")?
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let (_, size, file) = (parts.next()?, parts.next()?.parse::<u64>().ok()?, parts.next()?);
            (file.contains(".tar.") && !file.contains(".debian.tar.") && !file.ends_with(".asc")).then_some(size)
        })
        .max()?;
    (tarball <= query.max_tarball_bytes).then_some(name)
}

fn single_subfolder(dir: &Path) -> Option<PathBuf> {
    let entries: Vec<PathBuf> = std::fs::read_dir(dir).ok()?.flatten().map(|e| e.path()).collect();
    match entries.as_slice() {
        [only] if only.is_dir() => Some(only.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_messages_name_no_mirror() {
        let apt = "E: Failed to fetch http://mirror.invalid/debian/pool/main/g/gsl/gsl_2.7.orig.tar.gz  404  Not Found \
                   [IP: 192.0.2.7 80] (upstream tarball alone: curl could not fetch gsl_2.7.orig.tar.gz)";
        assert_eq!(
            without_mirror(apt),
            "E: Failed to fetch <mirror>/debian/pool/main/g/gsl/gsl_2.7.orig.tar.gz  404  Not Found \
             (upstream tarball alone: curl could not fetch gsl_2.7.orig.tar.gz)"
        );
        assert_eq!(without_mirror("see https://a.invalid"), "see <mirror>");
        assert_eq!(without_mirror("no C files"), "no C files");
        let failure = PackageFailure { package: "gsl".into(), message: apt.into() };
        let json = serde_json::to_string(&failure).unwrap();
        assert!(!json.contains("mirror.invalid") && !json.contains("192.0.2.7"), "{json}");
        assert_eq!(failure.message, apt, "the message itself stays whole");
    }

    #[test]
    fn the_numeric_preset_expands_to_its_sections_once() {
        let given: Vec<String> = ["sound", "numeric", "devel", "math"].iter().map(|s| s.to_string()).collect();
        let got = expand_sections(&given);
        assert_eq!(got[0], "sound");
        assert_eq!(got.iter().filter(|s| *s == "sound").count(), 1);
        assert_eq!(got.iter().filter(|s| *s == "math").count(), 1);
        assert!(got.contains(&"devel".to_string()) && got.contains(&"gnu-r".to_string()));
        assert_eq!(got.len(), NUMERIC_SECTIONS.len() + 1);
        assert_eq!(expand_sections(&["graphics".to_string()]), vec!["graphics".to_string()]);
    }

    #[test]
    fn deb_src_entries_are_derived_from_both_formats() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sources.list.d")).unwrap();
        std::fs::write(
            dir.path().join("sources.list.d/debian.sources"),
            "Types: deb\n# a comment\nURIs: http://mirror.invalid/debian\nSuites: stable\nComponents: main\n\n\
             Types: deb-src\nURIs: http://other.invalid\nSuites: x\nComponents: main\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("sources.list"),
            "deb [arch=amd64 signed-by=/k.gpg] http://one.invalid/debian stable main contrib\n# deb http://no\n",
        )
        .unwrap();
        let s = derive_deb_src(dir.path());
        assert_eq!(s.matches("Types: deb-src").count(), 2, "{s}");
        assert!(s.contains("URIs: http://mirror.invalid/debian\nSuites: stable\nComponents: main"), "{s}");
        assert!(
            s.contains("URIs: http://one.invalid/debian\nSuites: stable\nComponents: main contrib\nSigned-By: /k.gpg"),
            "{s}"
        );
        assert!(!s.contains("other.invalid") && !s.contains("a comment"), "{s}");
    }

    #[test]
    fn section_query_reads_binary_sections_sizes_and_languages() {
        let q = SectionQuery { sections: vec!["math".into(), "sound".into()], max_tarball_bytes: 1000 };
        let stanza = |name: &str, arch: &str, section: &str, deps: &str, size: u32| {
            format!(
                "Package: {name}\nBinary: {name}-bin\nArchitecture: {arch}\nBuild-Depends: debhelper-compat (= 13),\n {deps}\n\
                 Checksums-Sha256:\n aa 20 {name}_1.dsc\n bb {size} {name}_1.orig.tar.gz\n cc 5000 {name}_1.debian.tar.xz\n\
                 Package-List: \n {name}-bin deb {section} optional arch=any\n lib{name}-dev deb libdevel optional arch=any\n\
                 Directory: pool/main/x/{name}\nSection: misc"
            )
        };
        assert_eq!(stanza_matches(&stanza("gsl", "any", "math", "gawk", 900), &q), Some("gsl"));
        assert_eq!(stanza_matches(&stanza("sox", "any all", "contrib/sound", "libmad0-dev", 10), &q), Some("sox"));
        // Too large, another section, architecture-independent, another language.
        assert_eq!(stanza_matches(&stanza("big", "any", "math", "gawk", 1001), &q), None);
        assert_eq!(stanza_matches(&stanza("web", "any", "httpd", "gawk", 10), &q), None);
        assert_eq!(stanza_matches(&stanza("docs", "all", "math", "gawk", 10), &q), None);
        assert_eq!(stanza_matches(&stanza("go", "any", "math", "dh-golang, golang-any", 10), &q), None);
        assert_eq!(stanza_matches(&stanza("rs", "any", "sound", "cargo:native (>= 0.5)", 10), &q), None);
        // C beside Fortran, R or Python is taken.
        assert_eq!(stanza_matches(&stanza("fftw3", "any", "math", "gfortran, texinfo", 10), &q), Some("fftw3"));
        assert_eq!(stanza_matches(&stanza("mgcv", "any", "math", "dh-r, r-base-dev", 10), &q), Some("mgcv"));
        assert_eq!(stanza_matches(&stanza("pyx", "any", "math", "dh-python, python3-all-dev", 10), &q), Some("pyx"));
    }

    #[test]
    fn a_remembered_fetch_failure_is_not_retried() {
        // The failure is answered from the cache: no apt, no network.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pkgs")).unwrap();
        std::fs::write(dir.path().join("pkgs/nopkg.failed"), "upstream tarball not on this mirror\n").unwrap();
        let e = fetch_package(dir.path(), "nopkg").unwrap_err();
        assert!(e.starts_with("upstream tarball not on this mirror (remembered in "), "{e}");
        assert!(e.contains("nopkg.failed"), "{e}");
    }

    #[test]
    fn folder_corpus_names_packages_by_first_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("corpus");
        std::fs::create_dir_all(root.join("alpha/src")).unwrap();
        std::fs::write(root.join("alpha/src/a.c"), "double f(double x){return x;}").unwrap();
        std::fs::write(root.join("top.c"), "").unwrap();
        std::fs::write(root.join("alpha/notes.txt"), "").unwrap();
        let fb = fallback_include_dir(dir.path()).unwrap();
        let files = folder_files(&root, &fb).unwrap();
        let ids: Vec<&str> = files.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["alpha/src/a.c", "corpus/top.c"]);
        assert_eq!(files[0].package, "alpha");
        assert!(files[0].include_dirs.contains(&root.join("alpha/src")));
        assert_eq!(files[0].include_dirs.last(), Some(&fb));
        assert!(folder_files(&dir.path().join("nope"), &fb).is_err());
    }
}
