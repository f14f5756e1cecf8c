//! A small, stable, non-cryptographic hash: the same bytes give the same value on every
//! platform and with every Rust version (std's hashers promise neither), which what is stored
//! needs: the importer journal's input fingerprint, the sync state's profile hashes. Word-at-a-time mixing (FxHash style) in two independent lanes,
//! finished with murmur3's `fmix64`.

const K1: u64 = 0x517c_c1b7_2722_0a95;
const K2: u64 = 0x9e37_79b9_7f4a_7c15;

/// Hashes byte strings, each written with its length so that `("ab", "c")` and `("a", "bc")`
/// differ.
#[derive(Debug, Clone)]
pub struct StableHasher {
    a: u64,
    b: u64,
}

impl Default for StableHasher {
    fn default() -> Self {
        Self {
            a: 0x243f_6a88_85a3_08d3,
            b: 0x1319_8a2e_0370_7344,
        }
    }
}

impl StableHasher {
    /// A hasher with nothing added.
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn mix(&mut self, w: u64) {
        self.a = (self.a.rotate_left(5) ^ w).wrapping_mul(K1);
        self.b = (self.b ^ w.rotate_left(29))
            .wrapping_mul(K2)
            .rotate_left(31);
    }

    /// Adds `bytes`, length first.
    pub fn bytes(&mut self, bytes: &[u8]) {
        self.u64(bytes.len() as u64);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(word));
        }
    }

    /// Adds a number.
    pub fn u64(&mut self, n: u64) {
        self.mix(n);
    }

    /// The 64-bit value.
    pub fn finish64(&self) -> u64 {
        fmix64(self.a ^ fmix64(self.b))
    }

    /// The 128-bit value.
    pub fn finish128(&self) -> u128 {
        (u128::from(fmix64(self.a)) << 64) | u128::from(fmix64(self.b ^ self.a.rotate_left(17)))
    }

    /// The 128-bit value, as 32 lowercase hex digits.
    pub fn finish_hex(&self) -> String {
        format!("{:032x}", self.finish128())
    }
}

fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

/// The 64-bit hash of one or more byte strings.
pub fn hash_parts(parts: &[&[u8]]) -> u64 {
    let mut h = StableHasher::new();
    for p in parts {
        h.bytes(p);
    }
    h.finish64()
}

/// A [`StableHasher`] as an [`io::Write`](std::io::Write): what is written is hashed in
/// fixed blocks, so the value depends on the bytes alone, not on how the writes split them
/// (a serializer's output hashed without being held in memory).
#[derive(Debug, Clone, Default)]
pub struct HashWriter {
    hasher: StableHasher,
    block: Vec<u8>,
}

impl HashWriter {
    /// The block size.
    const BLOCK: usize = 4096;

    /// A writer with nothing written.
    pub fn new() -> Self {
        Self::default()
    }

    /// The hasher, with everything written added.
    pub fn finish(mut self) -> StableHasher {
        self.hasher.bytes(&self.block);
        self.hasher
    }
}

impl std::io::Write for HashWriter {
    fn write(&mut self, mut buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len();
        while !buf.is_empty() {
            let take = (Self::BLOCK - self.block.len()).min(buf.len());
            self.block.extend_from_slice(&buf[..take]);
            buf = &buf[take..];
            if self.block.len() == Self::BLOCK {
                self.hasher.bytes(&self.block);
                self.block.clear();
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_writer_ignores_how_writes_are_split() {
        use std::io::Write as _;
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut whole = HashWriter::new();
        whole.write_all(&data).expect("write");
        let mut pieces = HashWriter::new();
        for chunk in data.chunks(7) {
            pieces.write_all(chunk).expect("write");
        }
        assert_eq!(whole.finish().finish_hex(), pieces.finish().finish_hex());
        let mut other = HashWriter::new();
        other.write_all(&data[1..]).expect("write");
        let mut again = HashWriter::new();
        again.write_all(&data).expect("write");
        assert_ne!(other.finish().finish_hex(), again.finish().finish_hex());
    }

    #[test]
    fn stable_and_length_prefixed() {
        assert_eq!(hash_parts(&[b"ab", b"c"]), hash_parts(&[b"ab", b"c"]));
        assert_ne!(hash_parts(&[b"ab", b"c"]), hash_parts(&[b"a", b"bc"]));
        assert_ne!(hash_parts(&[b""]), hash_parts(&[b"\0"]));
        // Pinned: the journal's fingerprints depend on it.
        let mut h = StableHasher::new();
        h.bytes(b"okta-idsrc");
        assert_eq!(h.finish_hex(), "fd85d094773c514291d7e8b0b15418f9");
        assert_eq!(hash_parts(&[b"u1"]), 10_961_307_039_839_335_221);
    }
}
