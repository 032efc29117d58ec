//! One least-significant-digit radix sort of integers by a range of their bits, for the text
//! side's hot sorts: each block's tagged n-gram keys when counting ([`super::gram_keys`]) and
//! each document's column numbers in predict ([`super::vocabulary`]).

/// The widest digit: a pass scatters to 512 places at once, few enough for the first-level
/// cache (of 36 bits, four passes of 9 took half the time of three of 12).
const RADIX_BITS: u32 = 9;

/// Sorts `values` stably by their bits `low..low + width` (the others ride along), in as few
/// passes of at most [`RADIX_BITS`] as cover `width`, counted for every pass in one read; a pass
/// whose digit is the same everywhere is skipped. `scratch` is reused memory.
pub(super) fn sort_bits<T: Copy + Default + Into<u64>>(
    values: &mut Vec<T>,
    scratch: &mut Vec<T>,
    low: u32,
    width: u32,
) {
    if width == 0 || values.len() < 2 {
        return;
    }
    let passes = width.div_ceil(RADIX_BITS);
    let digit = width.div_ceil(passes);
    let (size, mask) = (1usize << digit, (1u64 << digit) - 1);
    let mut counts = vec![0usize; passes as usize * size];
    for &v in values.iter() {
        let v: u64 = v.into();
        for (p, c) in counts.chunks_exact_mut(size).enumerate() {
            c[((v >> (low + p as u32 * digit)) & mask) as usize] += 1;
        }
    }
    scratch.resize(values.len(), T::default());
    for (p, c) in counts.chunks_exact_mut(size).enumerate() {
        if c.contains(&values.len()) {
            continue;
        }
        let mut sum = 0;
        for n in c.iter_mut() {
            (*n, sum) = (sum, sum + *n);
        }
        let shift = low + p as u32 * digit;
        for &v in values.iter() {
            let b = ((v.into() >> shift) & mask) as usize;
            scratch[c[b]] = v;
            c[b] += 1;
        }
        std::mem::swap(values, scratch);
    }
}
