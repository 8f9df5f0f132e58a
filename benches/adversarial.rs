//! Time per input byte of `Processor::process_edits` (the collector's call)
//! on the adversarial shapes of issue 24 (`tests/support/adversarial.rs`)
//! at about 1 KB, 1 MB and 16 MB each: linear work shows the same time per
//! byte at 1 MB and 16 MB (at 1 KB the per-call overhead adds to it).
//! Throughput is in input bytes, so criterion's time per iteration over
//! the size is the time per byte; `scripts/bench.sh` turns the figures
//! into a table in BENCHMARKS.md. Run alone with
//! `cargo bench --features mimalloc --bench adversarial`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use otelcol_genai::Processor;
use support::adversarial::SHAPES;

/// The sizes, named as the report reads them, with the samples taken at
/// each: few for the large inputs, so the whole run takes minutes.
const SIZES: [(&str, usize, usize, Duration); 3] = [
    ("1KB", 1024, 20, Duration::from_secs(1)),
    ("1MB", 1024 * 1024, 10, Duration::from_secs(2)),
    ("16MB", 16 * 1024 * 1024, 10, Duration::from_secs(3)),
];

fn bench(c: &mut Criterion) {
    for shape in SHAPES {
        let p = Processor::from_json(shape.config.as_bytes()).expect("bench config is valid");
        let mut group = c.benchmark_group(format!("adversarial_{}", shape.name));
        for (size, n, samples, time) in SIZES {
            let input = (shape.build)(n);
            group
                .throughput(Throughput::Bytes(input.len() as u64))
                .sample_size(samples)
                .measurement_time(time)
                // One iteration count for every sample: a 16 MB input takes
                // up to a second, too long for criterion's growing counts.
                .sampling_mode(SamplingMode::Flat);
            group.bench_function(size, |b| {
                // Refused (`deep_nesting`) or edited, the call is the cost.
                b.iter(|| black_box(p.process_edits(shape.signal, black_box(&input))))
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500));
    targets = bench
}
criterion_main!(benches);
