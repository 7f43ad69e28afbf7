//! Equality of the short byte strings targeting compares on every resolve (attribute
//! names, `in` values, `starts_with` prefixes): inline fixed-size loads instead of a
//! call into libc's `memcmp`, whose call and size dispatch cost more than the compare
//! itself for strings of a few bytes. Longer strings fall back to the slice compare.

/// Whether `a` and `b` hold the same bytes.
#[inline]
pub fn eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && same_len_eq(a, b)
}

/// `eq` for slices of the same length: two overlapping loads of a power-of-two size
/// cover every length from that size to twice it.
#[inline]
fn same_len_eq(a: &[u8], b: &[u8]) -> bool {
    match a.len() {
        0 => true,
        1..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        4..=7 => ends_eq::<4>(a, b),
        8..=16 => ends_eq::<8>(a, b),
        _ => a == b,
    }
}

/// The first and the last `N` bytes of `a` and `b` agree (both at least `N` long).
#[inline]
fn ends_eq<const N: usize>(a: &[u8], b: &[u8]) -> bool {
    a.first_chunk::<N>() == b.first_chunk::<N>() && a.last_chunk::<N>() == b.last_chunk::<N>()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The same answer as the slice compare, for every length up to past the
        /// fallback and for strings that differ in one byte anywhere.
        #[test]
        fn agrees_with_the_slice_compare(
            a in prop::collection::vec(any::<u8>(), 0..40),
            flip in any::<prop::sample::Index>(),
            same_len in any::<bool>(),
        ) {
            let mut b = a.clone();
            if !b.is_empty() {
                let i = flip.index(b.len());
                b[i] ^= 1;
            }
            if !same_len {
                b.push(0);
            }
            prop_assert_eq!(super::eq(&a, &a), true);
            prop_assert_eq!(super::eq(&a, &b), a == b);
            prop_assert_eq!(super::eq(&b, &a), a == b);
        }
    }
}
