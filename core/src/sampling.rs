//! Quality sampling of completed revisits (R13): which revisits a sample run draws, so that an
//! auditor can redraw it from the same frame and seed and get the same picks.
//!
//! The default design is one bureau's (docs/REQUIREMENTS.md, "Numbers we hold to"): 0.5 % of the
//! frame, at least 1,200 (all if fewer), stratified by channel × product type, equal intervals after
//! sorting by policy number, every problem case added. The sample size is allocated to the strata in
//! proportion to their size, rounded up, so each stratum gets at least the ratio of its own size.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// One revisit of the frame (the revisits archived in the period, by outcome).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameEntry {
    pub revisit_id: String,
    pub policy_number: String,
    /// The sales channel (individual agents, bank, other), when the insurer gave it.
    pub channel: Option<String>,
    /// The product type (participating, universal, investment-linked, other).
    pub product_type: String,
    /// Whether the revisit opened a problem case: always in the sample.
    pub problem: bool,
}

/// What the strata are made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strata {
    ChannelAndProductType,
    Channel,
    ProductType,
    /// One stratum: the whole frame.
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Sorted by policy number, every k-th from a start the seed gives.
    EqualInterval,
    /// Ranked by SHA-256(seed ‖ revisit id); the lowest n of each stratum.
    SeedRank,
}

/// The parameters of a run. The ratio is in basis points (50 = 0.5 %).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleSpec {
    pub ratio_bp: u32,
    pub minimum: u32,
    pub strata: Strata,
    pub method: Method,
    /// Hex; any length. Chosen when the run starts and stored with it.
    pub seed: String,
}

impl Default for SampleSpec {
    fn default() -> Self {
        SampleSpec {
            ratio_bp: 50,
            minimum: 1_200,
            strata: Strata::ChannelAndProductType,
            method: Method::EqualInterval,
            seed: String::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PickReason {
    Drawn,
    /// Not drawn, but every problem case is reviewed.
    ProblemCase,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    pub revisit_id: String,
    pub stratum: String,
    pub reason: PickReason,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StratumDraw {
    pub stratum: String,
    pub population: u32,
    pub drawn: u32,
}

/// A drawn sample: per stratum how many, and the picks sorted by revisit id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub frame_size: u32,
    pub frame_digest: String,
    pub size: u32,
    pub strata: Vec<StratumDraw>,
    pub picks: Vec<Pick>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SampleError {
    #[error("the ratio must be between 1 and 10000 basis points")]
    Ratio,
    #[error("the seed must be hex, 16 to 128 digits")]
    Seed,
    #[error("revisit {0} appears twice in the frame")]
    Duplicate(String),
}

/// The stratum key of an entry under `strata`.
fn stratum_of(entry: &FrameEntry, strata: Strata) -> String {
    let channel = entry.channel.as_deref().unwrap_or("unknown");
    match strata {
        Strata::ChannelAndProductType => format!("{channel} × {}", entry.product_type),
        Strata::Channel => channel.to_string(),
        Strata::ProductType => entry.product_type.clone(),
        Strata::None => "all".to_string(),
    }
}

/// SHA-256 over the frame in revisit-id order: what a redraw must find again.
pub fn frame_digest(frame: &[FrameEntry]) -> String {
    let mut sorted: Vec<&FrameEntry> = frame.iter().collect();
    sorted.sort_by(|a, b| a.revisit_id.cmp(&b.revisit_id));
    let mut hash = Sha256::new();
    for e in sorted {
        // Length-prefixed fields, so no two frames hash alike by shifting text between fields.
        for field in [
            e.revisit_id.as_str(),
            e.policy_number.as_str(),
            e.channel.as_deref().unwrap_or("\u{0}"),
            e.product_type.as_str(),
            if e.problem { "1" } else { "0" },
        ] {
            hash.update((field.len() as u64).to_be_bytes());
            hash.update(field.as_bytes());
        }
    }
    hex::encode(hash.finalize())
}

/// How many to draw from `population`: the ratio rounded up, at least the minimum, at most all.
pub fn sample_size(population: u32, ratio_bp: u32, minimum: u32) -> u32 {
    let by_ratio = (u64::from(population) * u64::from(ratio_bp)).div_ceil(10_000);
    (by_ratio.max(u64::from(minimum)).min(u64::from(population))) as u32
}

fn seed_bytes(seed: &str) -> Result<Vec<u8>, SampleError> {
    if !(16..=128).contains(&seed.len()) {
        return Err(SampleError::Seed);
    }
    hex::decode(seed).map_err(|_| SampleError::Seed)
}

fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut hash = Sha256::new();
    for p in parts {
        hash.update(p);
    }
    hash.finalize().into()
}

/// Draws the sample. Deterministic: the same frame (in any order), spec and seed give the same picks.
pub fn draw(frame: &[FrameEntry], spec: &SampleSpec) -> Result<Sample, SampleError> {
    if !(1..=10_000).contains(&spec.ratio_bp) {
        return Err(SampleError::Ratio);
    }
    let seed = seed_bytes(&spec.seed)?;
    let mut seen = BTreeSet::new();
    let mut strata: BTreeMap<String, Vec<&FrameEntry>> = BTreeMap::new();
    for entry in frame {
        if !seen.insert(entry.revisit_id.as_str()) {
            return Err(SampleError::Duplicate(entry.revisit_id.clone()));
        }
        strata
            .entry(stratum_of(entry, spec.strata))
            .or_default()
            .push(entry);
    }
    let frame_size = frame.len() as u32;
    let size = sample_size(frame_size, spec.ratio_bp, spec.minimum);
    let mut draws = Vec::new();
    let mut picks = Vec::new();
    for (key, mut members) in strata {
        let population = members.len() as u32;
        // Proportional allocation, rounded up (so each stratum holds the ratio of its own size).
        let share = if frame_size == 0 {
            0
        } else {
            (u64::from(size) * u64::from(population)).div_ceil(u64::from(frame_size)) as u32
        };
        let n = share.min(population);
        let chosen: Vec<&FrameEntry> = match spec.method {
            Method::EqualInterval => {
                members.sort_by(|a, b| {
                    (&a.policy_number, &a.revisit_id).cmp(&(&b.policy_number, &b.revisit_id))
                });
                let start_digest = digest(&[&seed, b"\x00start\x00", key.as_bytes()]);
                let start = u64::from_be_bytes(start_digest[..8].try_into().unwrap_or([0; 8]))
                    % u64::from(population.max(1));
                (0..u64::from(n))
                    .map(|i| members[((start + i * u64::from(population)) / u64::from(n)) as usize])
                    .collect()
            }
            Method::SeedRank => {
                members.sort_by_cached_key(|e| digest(&[&seed, e.revisit_id.as_bytes()]));
                members.iter().take(n as usize).copied().collect()
            }
        };
        let drawn: BTreeSet<&str> = chosen.iter().map(|e| e.revisit_id.as_str()).collect();
        for e in &members {
            let reason = if drawn.contains(e.revisit_id.as_str()) {
                PickReason::Drawn
            } else if e.problem {
                PickReason::ProblemCase
            } else {
                continue;
            };
            picks.push(Pick {
                revisit_id: e.revisit_id.clone(),
                stratum: key.clone(),
                reason,
            });
        }
        draws.push(StratumDraw {
            stratum: key,
            population,
            drawn: n,
        });
    }
    picks.sort_by(|a, b| a.revisit_id.cmp(&b.revisit_id));
    Ok(Sample {
        frame_size,
        frame_digest: frame_digest(frame),
        size,
        strata: draws,
        picks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEED: &str = "00112233445566778899aabbccddeeff";

    fn entry(i: u32, channel: &str, product: &str, problem: bool) -> FrameEntry {
        FrameEntry {
            revisit_id: format!("rv{i:07}"),
            policy_number: format!("P{:08}", (i * 7919) % 100_000),
            channel: Some(channel.into()),
            product_type: product.into(),
            problem,
        }
    }

    fn spec(method: Method) -> SampleSpec {
        SampleSpec {
            seed: SEED.into(),
            method,
            ..SampleSpec::default()
        }
    }

    #[test]
    fn the_bureaus_numbers() {
        assert_eq!(sample_size(1_000_000, 50, 1_200), 5_000, "0.5 %");
        assert_eq!(sample_size(100_000, 50, 1_200), 1_200, "at least 1,200");
        assert_eq!(sample_size(900, 50, 1_200), 900, "all if fewer");
        assert_eq!(sample_size(0, 50, 1_200), 0);
        assert_eq!(sample_size(240_001, 50, 1_200), 1_201, "rounded up");
    }

    #[test]
    fn a_small_frame_is_drawn_whole_and_a_large_one_by_stratum() {
        let small: Vec<_> = (0..50)
            .map(|i| entry(i, "agent", "participating", false))
            .collect();
        let s = draw(&small, &spec(Method::EqualInterval)).expect("drawn");
        assert_eq!((s.size, s.picks.len()), (50, 50));

        let channels = ["agent", "bank", "other"];
        let products = ["participating", "universal", "other"];
        let big: Vec<_> = (0..300_000u32)
            .map(|i| {
                entry(
                    i,
                    channels[(i % 3) as usize],
                    products[((i / 3) % 3) as usize],
                    i % 5_000 == 0,
                )
            })
            .collect();
        for method in [Method::EqualInterval, Method::SeedRank] {
            let s = draw(&big, &spec(method)).expect("drawn");
            assert_eq!(s.size, 1_500);
            assert_eq!(s.strata.len(), 9);
            for st in &s.strata {
                assert!(st.drawn * 10_000 >= st.population * 50, "{st:?}");
            }
            let drawn = s
                .picks
                .iter()
                .filter(|p| p.reason == PickReason::Drawn)
                .count();
            assert!((1_500..=1_509).contains(&drawn), "{drawn}");
            for e in big.iter().filter(|e| e.problem) {
                assert!(
                    s.picks.iter().any(|p| p.revisit_id == e.revisit_id),
                    "problem case {} missing",
                    e.revisit_id
                );
            }
        }
    }

    #[test]
    fn equal_intervals_are_even_in_policy_number_order() {
        let frame: Vec<_> = (0..1_000)
            .map(|i| entry(i, "agent", "other", false))
            .collect();
        let spec = SampleSpec {
            minimum: 10,
            ratio_bp: 100,
            strata: Strata::None,
            ..spec(Method::EqualInterval)
        };
        let s = draw(&frame, &spec).expect("drawn");
        let mut sorted: Vec<&FrameEntry> = frame.iter().collect();
        sorted.sort_by(|a, b| a.policy_number.cmp(&b.policy_number));
        let mut positions: Vec<usize> = s
            .picks
            .iter()
            .map(|p| {
                sorted
                    .iter()
                    .position(|e| e.revisit_id == p.revisit_id)
                    .expect("in frame")
            })
            .collect();
        positions.sort_unstable();
        let gaps: BTreeSet<usize> = positions.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(gaps, [100].into(), "{positions:?}");
    }

    #[test]
    fn bad_specs_are_refused() {
        let frame = vec![entry(1, "a", "b", false), entry(1, "a", "b", false)];
        assert_eq!(
            draw(&frame, &spec(Method::SeedRank)),
            Err(SampleError::Duplicate("rv0000001".into()))
        );
        assert_eq!(
            draw(
                &frame[..1],
                &SampleSpec {
                    seed: "xyz".into(),
                    ..spec(Method::SeedRank)
                }
            ),
            Err(SampleError::Seed)
        );
        assert_eq!(
            draw(
                &frame[..1],
                &SampleSpec {
                    ratio_bp: 0,
                    ..spec(Method::SeedRank)
                }
            ),
            Err(SampleError::Ratio)
        );
    }

    fn any_frame() -> impl Strategy<Value = Vec<FrameEntry>> {
        proptest::collection::vec(
            (
                0u8..3,
                0u8..3,
                proptest::bool::weighted(0.05),
                0u32..1_000_000,
            ),
            0..3_000,
        )
        .prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (c, p, problem, policy))| FrameEntry {
                    revisit_id: format!("rv{i:07}"),
                    policy_number: format!("P{policy:08}"),
                    channel: (c > 0).then(|| format!("c{c}")),
                    product_type: format!("p{p}"),
                    problem,
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn samplers_hold_ratio_minimum_and_problem_cases(
            frame in any_frame(),
            ratio_bp in 1u32..2_000,
            minimum in 0u32..400,
            rank in any::<bool>(),
            seed in "[0-9a-f]{32}",
        ) {
            let method = if rank { Method::SeedRank } else { Method::EqualInterval };
            let spec = SampleSpec { ratio_bp, minimum, strata: Strata::ChannelAndProductType, method, seed };
            let s = draw(&frame, &spec).expect("drawn");
            let n = frame.len() as u32;
            // The whole holds the size; each stratum its ratio; the picks are unique and from the frame.
            let drawn: u32 = s.strata.iter().map(|st| st.drawn).sum();
            prop_assert!(drawn >= s.size && drawn <= n);
            prop_assert!(s.size >= minimum.min(n));
            for st in &s.strata {
                prop_assert!(u64::from(st.drawn) * 10_000 >= u64::from(st.population) * u64::from(ratio_bp));
                prop_assert!(st.drawn <= st.population);
            }
            let ids: BTreeSet<&str> = s.picks.iter().map(|p| p.revisit_id.as_str()).collect();
            prop_assert_eq!(ids.len(), s.picks.len(), "no duplicates");
            prop_assert_eq!(s.picks.iter().filter(|p| p.reason == PickReason::Drawn).count() as u32, drawn);
            for e in &frame {
                if e.problem {
                    prop_assert!(ids.contains(e.revisit_id.as_str()));
                }
            }
            // Deterministic, whatever the frame's order.
            let mut reversed = frame.clone();
            reversed.reverse();
            prop_assert_eq!(draw(&reversed, &spec).expect("drawn"), s);
        }
    }
}
