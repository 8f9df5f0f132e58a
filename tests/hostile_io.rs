//! The core does no file and no network I/O once a processor is built: the
//! pricing files are read by `Processor::new` and never again. Checked with
//! strace (skipped where strace is not installed): a child process builds a
//! processor, then processes every kind of batch between two marker
//! `stat` calls; no file or network system call may fall between them.

mod support;

use std::process::Command;

use otelcol_genai::{Processor, Signal};
use prost::Message;
use support::workloads::{genai_logs, genai_metrics, genai_spans, plain_workload};

const START: &str = "/nonexistent/genai-io-marker-start";
const END: &str = "/nonexistent/genai-io-marker-end";

/// Run by the parent under strace only (GENAI_IO_CHILD is set).
#[test]
#[ignore = "child of no_file_or_network_io_after_construction"]
fn io_child() {
    if std::env::var_os("GENAI_IO_CHILD").is_none() {
        return;
    }
    let pricing = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pricing/prices.yaml"
    );
    let config =
        format!(r#"{{"cost":{{"pricing_files":[{{"path":"{pricing}","format":"yaml"}}]}}}}"#);
    let p = Processor::from_json(config.as_bytes()).unwrap();
    let (t, m, l) = plain_workload(20);
    let batches = [
        (Signal::Traces, genai_spans(50).encode_to_vec()),
        (Signal::Metrics, genai_metrics(50).encode_to_vec()),
        (Signal::Logs, genai_logs(50).encode_to_vec()),
        (Signal::Traces, t.encode_to_vec()),
        (Signal::Metrics, m.encode_to_vec()),
        (Signal::Logs, l.encode_to_vec()),
        (Signal::Traces, b"gen_ai.\xff\xff".to_vec()),
    ];
    let _ = std::fs::metadata(START);
    let mut changed = 0;
    for _ in 0..20 {
        for (signal, bytes) in &batches {
            if let Ok(out) = p.process(*signal, bytes) {
                changed += usize::from(out.output.is_some());
            }
        }
    }
    let _ = std::fs::metadata(END);
    assert!(changed > 0);
}

#[test]
fn no_file_or_network_io_after_construction() {
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!("strace not installed: skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!("genai-io-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("strace.out");
    let status = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=%file,%network", "-o"])
        .arg(&trace)
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "io_child", "--ignored", "--test-threads=1"])
        .env("GENAI_IO_CHILD", "1")
        // Under scripts/asan.sh: LeakSanitizer cannot run under ptrace.
        .env("ASAN_OPTIONS", "detect_leaks=0")
        .status()
        .unwrap();
    assert!(status.success(), "the child failed");
    let text = std::fs::read_to_string(&trace).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.contains(START))
        .expect("start marker traced");
    let end = lines
        .iter()
        .position(|l| l.contains(END))
        .expect("end marker traced");
    let between = &lines[start + 1..end];
    assert!(
        between.is_empty(),
        "file or network system calls while processing:\n{}",
        between.join("\n")
    );
    // The pricing file was read, before the start marker.
    assert!(
        lines[..start].iter().any(|l| l.contains("prices.yaml")),
        "the pricing file is read at construction"
    );
}
