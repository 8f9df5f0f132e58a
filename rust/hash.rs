//! Hashing for the maps the stages build from their configuration.

use std::hash::Hasher;

/// The rustc "Fx" hash, for maps whose keys come from the configuration
/// (normalization rules, the pricing table): fast on short keys. It is
/// unkeyed, so a map keyed by the sender's bytes uses a seeded hasher
/// instead (hashbrown's default).
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(SEED);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(SEED);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(SEED);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
