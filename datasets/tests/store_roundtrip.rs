//! Parquet files of programs: round trip, errors naming file and column, and a read by pyarrow.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use arrow::array::{RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use compnet_datasets::IoPairs;
use compnet_datasets::store::{ProgramRecord, StoreError, read_records, write_records};

fn record(name: &str, split: &str, n_in: usize, n_out: usize, len: usize) -> ProgramRecord {
    let inputs: Vec<f32> = (0..len * n_in).map(|i| i as f32 * 0.25 - 3.0).collect();
    let outputs: Vec<f32> = (0..len * n_out).map(|i| (i as f32).sin()).collect();
    ProgramRecord {
        name: name.into(),
        function: format!("{name}_fn"),
        source: format!("float {name}_fn(float x) {{ return x; }} /* ünïcode */"),
        signature: format!("float {name}_fn(float x)"),
        domain: (0..n_in).map(|i| (-1.0 - i as f32, 1.0 + i as f32)).collect(),
        split: split.into(),
        pairs: IoPairs::new(n_in, n_out, inputs, outputs).unwrap(),
    }
}

fn sample() -> Vec<ProgramRecord> {
    let mut v = vec![record("a", "train", 1, 2, 100), record("a", "test", 1, 2, 7), record("b", "train", 9, 1, 0)];
    v.extend((0..150).map(|i| record(&format!("p{i}"), "train", 1 + i % 5, 1 + i % 3, i % 17)));
    v
}

#[test]
fn round_trip_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/programs.parquet");
    let records = sample();
    let bytes = write_records(&path, &records).unwrap();
    assert_eq!(bytes, std::fs::metadata(&path).unwrap().len());
    assert_eq!(read_records(&path).unwrap(), records);
    // No temporary file is left beside the result.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("programs.parquet")]);
}

#[test]
fn errors_name_the_file_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.parquet");
    let e = read_records(&missing).unwrap_err();
    assert!(matches!(e, StoreError::Io { .. }) && e.to_string().contains("nope.parquet"), "{e}");

    // A Parquet file without the `inputs` column.
    let path = dir.path().join("partial.parquet");
    let schema = Arc::new(Schema::new(vec![Field::new("name", DataType::Utf8, false)]));
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(StringArray::from(vec!["x"]))]).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let e = read_records(&path).unwrap_err().to_string();
    assert!(e.contains("partial.parquet") && e.contains("column `function`") && e.contains("missing"), "{e}");

    // A domain that does not match the inputs is refused when writing.
    let mut bad = record("c", "train", 2, 1, 3);
    bad.domain.pop();
    let e = write_records(&dir.path().join("bad.parquet"), &[bad]).unwrap_err().to_string();
    assert!(e.contains("program `c`") && e.contains("domain"), "{e}");
    assert!(!dir.path().join("bad.parquet").exists());
}

fn pyarrow_available() -> bool {
    Command::new("python3").args(["-c", "import pyarrow"]).output().is_ok_and(|o| o.status.success())
}

#[test]
fn pyarrow_reads_the_file() {
    if !pyarrow_available() {
        println!("SKIPPED pyarrow_reads_the_file: python3 cannot import pyarrow (pip install pyarrow)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("programs.parquet");
    let records = sample();
    write_records(&path, &records).unwrap();
    let script = r#"
import sys, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
print(t.num_rows)
print(t.schema.field("inputs").type)
r = t.slice(0, 1).to_pylist()[0]
print(r["name"], r["split"], r["n_in"], r["n_out"], len(r["inputs"]))
print(repr(r["inputs"][3][0]), repr(r["outputs"][5][1]), repr(r["domain_lo"][0]), repr(r["domain_hi"][0]))
print(r["source"])
"#;
    let out = Command::new("python3").args(["-c", script]).arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let a = &records[0];
    assert_eq!(lines[0], records.len().to_string());
    assert_eq!(lines[1], "list<item: list<item: float not null> not null>");
    assert_eq!(lines[2], "a train 1 2 100");
    let nums: Vec<f64> = lines[3].split(' ').map(|v| v.parse().unwrap()).collect();
    let expect = [a.pairs.input(3)[0], a.pairs.output(5)[1], a.domain[0].0, a.domain[0].1];
    for (n, e) in nums.iter().zip(expect) {
        assert_eq!(*n, f64::from(e)); // f32 widened to a Python float is exact
    }
    assert_eq!(lines[4], a.source);
    let _ = Path::new(&path);
}

#[test]
fn files_pyarrow_rewrote_with_zstd_or_gzip_read_back_the_same() {
    if !pyarrow_available() {
        println!("SKIPPED files_pyarrow_rewrote_with_zstd_or_gzip_read_back_the_same: python3 cannot import pyarrow");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("programs.parquet");
    let records = sample();
    write_records(&path, &records).unwrap();
    for codec in ["zstd", "gzip", "none"] {
        let other = dir.path().join(format!("{codec}.parquet"));
        let script = "import sys, pyarrow.parquet as pq\n\
                      pq.write_table(pq.read_table(sys.argv[1]), sys.argv[2], compression=sys.argv[3])";
        let out = Command::new("python3").args(["-c", script]).arg(&path).arg(&other).arg(codec).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(read_records(&other).unwrap_or_else(|e| panic!("{codec}: {e}")), records, "{codec}");
    }
}
