//! `compnet dataset exestack` killed with SIGKILL in the middle of the harness stage, then run
//! again, ends with the same dataset as a build that was never interrupted.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use compnet_datasets::store::read_records;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../datasets/tests/fixtures/corpus")
}

fn command(out: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_compnet"));
    c.args(["dataset", "exestack", "--pairs", "64", "--threads", "1", "--quiet", "--corpus"])
        .arg(corpus())
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map(|s| s.lines().count()).unwrap_or(0)
}

#[test]
fn killed_build_resumes_to_the_same_dataset() {
    let dir = tempfile::tempdir().unwrap();
    let (resumed, whole) = (dir.path().join("resumed"), dir.path().join("whole"));

    let mut child = command(&resumed).spawn().unwrap();
    let journal = resumed.join("work/functions.jsonl");
    let start = Instant::now();
    while lines(&journal) < 3 {
        assert!(child.try_wait().unwrap().is_none(), "the build finished before it could be killed");
        assert!(start.elapsed() < Duration::from_secs(120), "no harness progress in 120 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let journaled = lines(&journal);
    assert!(!resumed.join("train.parquet").exists(), "killed before writing the dataset");

    let out = command(&resumed).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(lines(&journal) > journaled, "the resumed build went on from the journal");
    let out = command(&whole).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    for file in ["train.parquet", "test.parquet"] {
        let a = read_records(&resumed.join(file)).unwrap();
        let b = read_records(&whole.join(file)).unwrap();
        assert!(!a.is_empty() || file == "test.parquet", "{file} is empty");
        assert_eq!(a, b, "{file} differs between the resumed and the uninterrupted build");
    }
    // Each function went through the harness once over both runs of the resumed build.
    let ids: Vec<String> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap().to_owned())
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "a function was run twice");
    assert_eq!(ids.len(), lines(&whole.join("work/functions.jsonl")));
}
