//! The benchmark workloads are deterministic and have the documented shape.

mod support;

use prost::Message;
use support::workloads::*;

#[test]
fn workloads_are_deterministic() {
    assert_eq!(
        genai_spans(300).encode_to_vec(),
        genai_spans(300).encode_to_vec()
    );
    assert_eq!(
        genai_metrics(300).encode_to_vec(),
        genai_metrics(300).encode_to_vec()
    );
    assert_eq!(
        genai_logs(300).encode_to_vec(),
        genai_logs(300).encode_to_vec()
    );
}

#[test]
fn workloads_have_the_requested_sizes_and_shapes() {
    let spans = genai_spans(1000);
    let all: Vec<_> = spans
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
        .collect();
    assert_eq!(all.len(), 1000);
    let mean = all.iter().map(|s| s.attributes.len()).sum::<usize>() as f64 / 1000.0;
    assert!(
        (23.0..=27.0).contains(&mean),
        "about 25 attributes per span, got {mean}"
    );

    let points: usize = genai_metrics(1000)
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .map(|m| match &m.data {
            Some(opentelemetry_proto::tonic::metrics::v1::metric::Data::Histogram(h)) => {
                h.data_points.len()
            }
            _ => 0,
        })
        .sum();
    assert_eq!(points, 1000);

    let records: usize = genai_logs(1000)
        .resource_logs
        .iter()
        .flat_map(|r| &r.scope_logs)
        .map(|s| s.log_records.len())
        .sum();
    assert_eq!(records, 1000);
}

#[test]
fn plain_workload_has_no_genai_bytes() {
    let (t, m, l) = plain_workload(500);
    for bytes in [t.encode_to_vec(), m.encode_to_vec(), l.encode_to_vec()] {
        assert!(!bytes.windows(6).any(|w| w == b"gen_ai"));
    }
}

/// Writes the workloads as seed inputs for the `process` fuzz target (first
/// byte selects the signal). Run by scripts/fuzz.sh with GENAI_FUZZ_SEEDS set.
#[test]
#[ignore = "writes fuzz seeds; run by scripts/fuzz.sh"]
fn write_fuzz_seeds() {
    let Some(dir) = std::env::var_os("GENAI_FUZZ_SEEDS") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (t, m, l) = plain_workload(20);
    let seeds: [(&str, u8, Vec<u8>); 6] = [
        ("genai_spans", 0, genai_spans(40).encode_to_vec()),
        ("genai_metrics", 1, genai_metrics(40).encode_to_vec()),
        ("genai_logs", 2, genai_logs(40).encode_to_vec()),
        ("plain_spans", 0, t.encode_to_vec()),
        ("plain_metrics", 1, m.encode_to_vec()),
        ("plain_logs", 2, l.encode_to_vec()),
    ];
    for (name, selector, bytes) in seeds {
        let mut seed = vec![selector];
        seed.extend(bytes);
        std::fs::write(dir.join(name), seed).unwrap();
    }
}
