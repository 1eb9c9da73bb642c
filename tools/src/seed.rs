//! The seed of a test run: the one type every seed has, from the command line and the JSON files
//! to wasmtime and Nix. A test export takes it as a wasm `i64` and `wasmtime run --invoke` parses
//! it as one, so a seed is an integer from 0 to `i64::MAX`; a larger one is rejected where it is
//! read, never handed on.

use serde::{Deserialize, Serialize};

/// A seed: 0 to `i64::MAX` (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct Seed(u64);

/// The largest seed.
pub const MAX: u64 = i64::MAX as u64;

impl Seed {
    /// The seed of the matrix's checks.
    pub const ONE: Seed = Seed(1);

    /// The seed `n`, if it is one.
    pub fn new(n: u64) -> Result<Seed, String> {
        if n > MAX {
            Err(format!(
                "seed {n} is above {MAX}, the largest the tests take (a wasm i64)"
            ))
        } else {
            Ok(Seed(n))
        }
    }

    /// Parses a seed: a decimal integer from 0 to `i64::MAX`.
    pub fn parse(s: &str) -> Result<Seed, String> {
        let n = s
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("expected a seed (an integer from 0 to {MAX}), got {s:?}"))?;
        Seed::new(n)
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl From<u32> for Seed {
    fn from(n: u32) -> Seed {
        Seed(n.into())
    }
}

impl TryFrom<u64> for Seed {
    type Error = String;
    fn try_from(n: u64) -> Result<Seed, String> {
        Seed::new(n)
    }
}

impl From<Seed> for u64 {
    fn from(s: Seed) -> u64 {
        s.0
    }
}

impl PartialEq<u64> for Seed {
    fn eq(&self, n: &u64) -> bool {
        self.0 == *n
    }
}

impl std::fmt::Display for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_wasm_i64s_that_are_not_negative() {
        assert_eq!(Seed::parse("0").unwrap().get(), 0);
        assert_eq!(
            Seed::parse("9223372036854775807").unwrap().get(),
            i64::MAX as u64
        );
        for bad in ["9223372036854775808", "18446744073709551615", "-1", "x", ""] {
            assert!(Seed::parse(bad).is_err(), "{bad}");
        }
        let e: Result<Seed, _> = serde_json::from_str("9223372036854775808");
        assert!(e.unwrap_err().to_string().contains("above"));
        assert_eq!(serde_json::to_string(&Seed::from(7)).unwrap(), "7");
        assert_eq!(serde_json::from_str::<Seed>("7").unwrap(), Seed::from(7));
    }
}
