//! What the standard headers a candidate starts with ([`STD_HEADERS`]) already provide, and the
//! names the compiler knows without any declaration.
//!
//! A candidate never copies from its unit what these headers declare (its `#include`s provide it),
//! never redefines it (that would clash in the harness, whose driver includes the same headers),
//! and never uses as an identifier a name they define as a macro (it would expand differently
//! than in the original file). The sets are computed once per process by preprocessing the headers
//! with `$CC`/`cc -std=gnu11`, as the harness compiles.

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::Duration;

use super::preprocess::{self, STD_HEADERS};
use super::translation_unit::{Source, items, parse};

/// Names the compiler knows without a declaration: keywords tree-sitter-c reads as identifiers,
/// GNU builtins and predefined identifiers.
pub(crate) fn is_builtin_name(name: &str) -> bool {
    const NAMES: &str = "int char float double void _Bool _Complex _Imaginary __complex__ __real__ __imag__ \
        __real __imag __func__ __FUNCTION__ __PRETTY_FUNCTION__ __int128 __int128_t __uint128_t _Float16 \
        _Float32 _Float64 _Float128 _Float32x _Float64x __float128 __float80 __ibm128 __label__ __typeof__ \
        __typeof typeof __auto_type __extension__ __attribute__ __attribute __asm__ __asm asm __volatile__ \
        __inline __const __const__ __signed__ __signed __restrict _Static_assert _Alignof _Alignas \
        __alignof__ __alignof _Generic _Atomic _Thread_local __thread __seg_fs __seg_gs";
    ["__builtin", "__sync_", "__atomic_"].iter().any(|p| name.starts_with(p))
        || NAMES.split_whitespace().any(|n| n == name)
}

/// What the standard headers of [`STD_HEADERS`] declare: names a candidate must not copy from the
/// unit (the headers provide them) and must not redefine, and the macros they define.
pub(crate) struct StdNames {
    /// Ordinary names and tags (`struct x`) the headers declare.
    pub names: HashSet<String>,
    /// Macros the headers define, other than the compiler's predefined ones and macros that
    /// expand to their own name (`#define stdin stdin`).
    pub macros: HashSet<String>,
}

/// [`StdNames`] for `$CC`/`cc` with `-std=gnu11`, computed once per process.
pub(crate) fn std_names() -> Result<&'static StdNames, String> {
    static NAMES: OnceLock<Result<StdNames, String>> = OnceLock::new();
    NAMES.get_or_init(compute_std_names).as_ref().map_err(Clone::clone)
}

fn compute_std_names() -> Result<StdNames, String> {
    let cc = preprocess::default_cc();
    let includes: String = STD_HEADERS.iter().map(|h| format!("#include <{h}>\n")).collect();
    let run = |extra: &[&str], input: &str| -> Result<String, String> {
        let mut args = vec!["-E".to_string(), "-std=gnu11".to_string()];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend(["-x", "c", "-"].map(String::from));
        let out =
            preprocess::run_compiler(&cc, &args, Some(input.as_bytes().to_vec()), Duration::from_secs(60), 256 << 20)
                .map_err(|e| match e {
                preprocess::RunError::Spawn(e) => format!("cannot run the C compiler `{cc}`: {e}"),
                preprocess::RunError::Timeout => format!("`{cc} -E` on the standard headers ran over 60 s"),
                preprocess::RunError::TooLarge => format!("`{cc} -E` on the standard headers wrote too much"),
            })?;
        if !out.status.success() {
            return Err(format!("`{cc} -E` on the standard headers failed: {}", out.stderr.trim()));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let text = run(&[], &includes)?;
    let src = Source::new(&text);
    let tree = parse(&src.text, None).map_err(|_| "tree-sitter-c cannot parse the standard headers".to_string())?;
    let (items, _) = items(&tree, &src);
    let names = items.iter().flat_map(|i| i.declares.iter().map(|(n, _)| n.clone())).collect();
    let macro_names = |text: &str| -> Vec<(String, String)> {
        text.lines()
            .filter_map(|l| l.strip_prefix("#define "))
            .map(|l| {
                let end = l.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(l.len());
                (l[..end].to_string(), l[end..].trim().to_string())
            })
            .collect()
    };
    let predefined: HashSet<String> = macro_names(&run(&["-dM"], "")?).into_iter().map(|(n, _)| n).collect();
    let macros = macro_names(&run(&["-dM"], &includes)?)
        .into_iter()
        .filter(|(name, body)| !predefined.contains(name) && body != name)
        .map(|(name, _)| name)
        .collect();
    Ok(StdNames { names, macros })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_names_cover_the_headers() {
        let std = std_names().unwrap();
        for name in ["sin", "malloc", "memcpy", "printf", "int32_t", "FILE", "div_t"] {
            assert!(std.names.contains(name), "{name}");
        }
        for name in ["sincos_not_here", "__assert_fail"] {
            assert!(!std.names.contains(name), "{name}");
        }
        assert!(std.macros.contains("M_PI") && std.macros.contains("isnan") && std.macros.contains("INT_MAX"));
        assert!(!std.macros.contains("stdin") && !std.macros.contains("__x86_64__"));
    }
}
