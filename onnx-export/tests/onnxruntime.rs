//! The reference tools: `ci/onnx_check.py` runs onnx's checker (full_check) and onnxruntime on
//! exported files and compares onnxruntime's outputs with the runtime kernel's.
//!
//! Without `onnx` and `onnxruntime` for python3 the test prints a notice and passes, unless the
//! environment variable `CI` is set (CI installs them with `pip install onnx onnxruntime`).

mod common;

use std::path::Path;
use std::process::Command;

use compnet_onnx::{ExportOptions, to_onnx};
use compnet_runtime::Precision;

#[test]
fn onnx_checker_and_onnxruntime_agree_with_the_kernel() {
    let probe = Command::new("python3").args(["-c", "import onnx, onnxruntime"]).output();
    if !matches!(&probe, Ok(o) if o.status.success()) {
        let why = match &probe {
            Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_owned(),
            Err(e) => format!("python3: {e}"),
        };
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but python3 cannot import onnx and onnxruntime ({why}): pip install onnx onnxruntime"
        );
        // Straight to stderr, past the test harness's capture, so the skip is seen.
        let notice = format!("notice: skipping the onnx/onnxruntime check ({why}); pip install onnx onnxruntime\n");
        let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (k, s) in common::all().iter().enumerate() {
        for (precision, opset) in [(Precision::F32, 17), (Precision::F16, 13)] {
            let batch = 16;
            let bytes = to_onnx(s, &ExportOptions { precision, batch, opset }).unwrap();
            let xs = common::inputs(s, batch, 100 + k as u64);
            let ys = common::kernel(s, precision, &xs);
            let rows = |v: &[f32], n: usize| v.chunks(n).map(<[f32]>::to_vec).collect::<Vec<_>>();
            let case = serde_json::json!({ "inputs": rows(&xs, s.n_in()), "outputs": rows(&ys, s.n_out()) });
            let stem = format!("{}_{precision:?}", s.meta.name).to_lowercase();
            std::fs::write(dir.path().join(format!("{stem}.onnx")), bytes).unwrap();
            std::fs::write(dir.path().join(format!("{stem}.json")), case.to_string()).unwrap();
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ci/onnx_check.py");
    let out = Command::new("python3").arg(&script).arg(dir.path()).output().expect("run python3");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("{text}");
    assert!(out.status.success(), "{} failed:\n{text}", script.display());
    assert!(text.contains("8 of 8 files ok"), "{text}");
}
