//! The `metadata_props` keys of a compnet ONNX file and how their values are written.
//!
//! Every value is text. Floats are written in Rust's shortest round-trip notation (`1.5e-3`), so
//! they read back to the same bits; infinities and NaN, which JSON has no numbers for, are the
//! strings `"inf"`, `"-inf"` and `"NaN"`.

use crate::OnnxError;
use compnet_runtime::Metadata;

/// Program name (`sobel`).
pub const PROGRAM: &str = "compnet.program";
/// C signature of the function the surrogate replaces.
pub const SIGNATURE: &str = "compnet.signature";
/// Trained domain per input, JSON `[[lo, hi], …]`.
pub const INPUT_DOMAIN: &str = "compnet.input_domain";
/// FNV-1a 64 hash of the C source, 16 lower-case hex digits.
pub const SOURCE_HASH: &str = "compnet.source_hash";
/// Test MSE measured at export (`NaN` if unknown).
pub const EXPORT_ERROR: &str = "compnet.export_error";
/// Weight storage: `f32` or `f16`.
pub const PRECISION: &str = "compnet.precision";
/// Producer `compnet`, as in the model's `producer_name`.
pub const PRODUCER: &str = "compnet";

/// A float as JSON: a number in shortest round-trip notation, or a string for non-finite values.
fn json_f32(v: f32) -> String {
    if v.is_finite() { format!("{v:?}") } else { format!("\"{v:?}\"") }
}

/// JSON `[[lo, hi], …]` for a domain.
pub(crate) fn domain_to_json(domain: &[(f32, f32)]) -> String {
    let pairs: Vec<String> = domain.iter().map(|&(lo, hi)| format!("[{},{}]", json_f32(lo), json_f32(hi))).collect();
    format!("[{}]", pairs.join(","))
}

/// Reads [`domain_to_json`]'s output back.
pub(crate) fn domain_from_json(text: &str) -> Result<Vec<(f32, f32)>, OnnxError> {
    let bad = |why: String| OnnxError::Metadata { key: INPUT_DOMAIN.into(), value: text.into(), why };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let number = |v: &serde_json::Value| -> Result<f32, OnnxError> {
        match v {
            serde_json::Value::Number(n) => n.as_f64().map(|x| x as f32).ok_or_else(|| bad(format!("{n} is no float"))),
            serde_json::Value::String(s) => s.parse::<f32>().map_err(|_| bad(format!("{s:?} is no float"))),
            other => Err(bad(format!("{other} is no float"))),
        }
    };
    let pairs = value.as_array().ok_or_else(|| bad("expected a JSON array of [lo, hi] pairs".into()))?;
    pairs
        .iter()
        .map(|p| match p.as_array().map(Vec::as_slice) {
            Some([lo, hi]) => Ok((number(lo)?, number(hi)?)),
            _ => Err(bad(format!("{p} is not a [lo, hi] pair"))),
        })
        .collect()
}

/// `f32` or `f16`, the value of [`PRECISION`].
pub(crate) fn precision_name(p: compnet_runtime::Precision) -> &'static str {
    match p {
        compnet_runtime::Precision::F32 => "f32",
        compnet_runtime::Precision::F16 => "f16",
    }
}

/// The metadata entries written for `meta` and `domain`, in file order.
pub(crate) fn entries(
    meta: &Metadata,
    domain: &[(f32, f32)],
    precision: compnet_runtime::Precision,
) -> Vec<(&'static str, String)> {
    vec![
        (PROGRAM, meta.name.clone()),
        (SIGNATURE, meta.signature.clone()),
        (INPUT_DOMAIN, domain_to_json(domain)),
        (SOURCE_HASH, format!("{:016x}", meta.source_hash)),
        (EXPORT_ERROR, format!("{:?}", meta.export_error)),
        (PRECISION, precision_name(precision).to_owned()),
    ]
}

/// Parses a source hash written by [`entries`].
pub(crate) fn parse_hash(text: &str) -> Result<u64, OnnxError> {
    u64::from_str_radix(text, 16).map_err(|e| OnnxError::Metadata {
        key: SOURCE_HASH.into(),
        value: text.into(),
        why: format!("expected 16 hex digits: {e}"),
    })
}

/// Parses an export error written by [`entries`].
pub(crate) fn parse_error(text: &str) -> Result<f32, OnnxError> {
    text.parse::<f32>().map_err(|e| OnnxError::Metadata {
        key: EXPORT_ERROR.into(),
        value: text.into(),
        why: format!("expected a float: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_round_trips_bit_for_bit() {
        let d = vec![
            (-1.0, 1.0),
            (f32::NEG_INFINITY, f32::INFINITY),
            (1e-30, 3.402_823_5e38),
            (0.1, 0.2),
            (-7.654_321e-5, 1.234_567_9e7),
        ];
        let text = domain_to_json(&d);
        assert_eq!(&text[..20], "[[-1.0,1.0],[\"-inf\",");
        let back = domain_from_json(&text).unwrap();
        for (a, b) in d.iter().zip(&back) {
            assert_eq!((a.0.to_bits(), a.1.to_bits()), (b.0.to_bits(), b.1.to_bits()));
        }
        // Many values spread over the exponent range read back to the same bits.
        let many: Vec<(f32, f32)> = (0..5000u32)
            .map(|i| (f32::from_bits(i.wrapping_mul(2_654_435_761) & 0x7f7f_ffff), -(i as f32) / 7.0))
            .collect();
        assert_eq!(domain_from_json(&domain_to_json(&many)).unwrap(), many);
        assert!(domain_from_json("[[1.0]]").is_err());
        assert!(domain_from_json("{").is_err());
        assert!(domain_from_json("[[\"x\", 1]]").is_err());
    }

    #[test]
    fn scalars_parse_back() {
        assert_eq!(parse_hash(&format!("{:016x}", 0x0123_4567_89ab_cdefu64)).unwrap(), 0x0123_4567_89ab_cdef);
        assert!(parse_error("NaN").unwrap().is_nan());
        assert_eq!(parse_error(&format!("{:?}", 1.5e-3f32)).unwrap(), 1.5e-3);
        assert!(parse_hash("xyz").is_err());
    }
}
