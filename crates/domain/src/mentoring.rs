//! Reverse mentoring: senior people who opt in as *mentees* are paired with more junior people who
//! are stronger on social media (*mentors*).
//!
//! Who opts in, and the seniority bar for mentees (4–5), are decided where people sign up; this
//! module only pairs the people it is given. A pair is eligible when the mentor is strictly more
//! skilled and strictly more junior than the mentee (and is someone else). Its gain is the skill
//! difference. [`propose`] finds the matching with the largest total gain (each mentee at most one
//! mentor, each mentor at most `capacity` mentees) and, among those, the one with the most pairs
//! across departments. [`check`] validates the pairs an admin ends up with after adjusting a
//! proposal.
//!
//! The matching is exact, not greedy: letting each mentee in turn take the best mentor left can
//! give a mentor to someone who had alternatives and leave someone who had none without one (the
//! tests show such a case). Each mentor is expanded into one column per place they offer and the
//! assignment problem is solved with the Hungarian algorithm, O(n²·m) for n mentees and m places.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::{DepartmentId, UserId};

/// A senior person who wants to learn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mentee {
    pub user: UserId,
    /// 1 (most junior) to 5 (most senior).
    pub seniority: u8,
    pub department: Option<DepartmentId>,
    /// 1 to 5, self-rated or measured by the quiz.
    pub skill: u8,
}

/// A more junior person who offers to teach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mentor {
    pub user: UserId,
    /// 1 (most junior) to 5 (most senior).
    pub seniority: u8,
    pub department: Option<DepartmentId>,
    /// 1 to 5, self-rated or measured by the quiz.
    pub skill: u8,
    /// How many mentees they take on (0: none this round).
    pub capacity: u8,
}

/// One proposed mentee–mentor pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pair {
    pub mentee: UserId,
    pub mentor: UserId,
    /// `mentor.skill - mentee.skill`, at least 1.
    pub gain: u8,
    /// Both departments are known and differ.
    pub cross_department: bool,
}

/// The outcome of [`propose`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    /// In mentee input order.
    pub pairs: Vec<Pair>,
    /// The sum of the pairs' gains.
    pub total_gain: u32,
    /// How many pairs are across departments.
    pub cross_department: u32,
    /// Mentees left without a mentor, in input order.
    pub unmatched: Vec<UserId>,
}

/// Why a mentor cannot mentor a mentee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Reason {
    SamePerson,
    /// The mentor's skill is not above the mentee's.
    NotMoreSkilled,
    /// The mentor's seniority is not below the mentee's.
    NotMoreJunior,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Reason::SamePerson => "nobody can mentor themselves",
            Reason::NotMoreSkilled => "the mentor must be more skilled than the mentee",
            Reason::NotMoreJunior => "the mentor must be more junior than the mentee",
        })
    }
}

/// Why an adjusted set of pairs was refused; names the person at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    #[error("{0} is not among the mentees")]
    UnknownMentee(UserId),
    #[error("{0} is not among the mentors")]
    UnknownMentor(UserId),
    #[error("{mentor} cannot mentor {mentee}: {reason}")]
    Ineligible { mentee: UserId, mentor: UserId, reason: Reason },
    #[error("{0} is given more than one mentor")]
    MenteeTwice(UserId),
    #[error("{mentor} is given more than their {capacity} mentee(s)")]
    OverCapacity { mentor: UserId, capacity: u8 },
}

/// Why the pair is not allowed, or `None` when it is.
pub fn ineligibility(mentee: &Mentee, mentor: &Mentor) -> Option<Reason> {
    if mentee.user == mentor.user {
        Some(Reason::SamePerson)
    } else if mentor.skill <= mentee.skill {
        Some(Reason::NotMoreSkilled)
    } else if mentor.seniority >= mentee.seniority {
        Some(Reason::NotMoreJunior)
    } else {
        None
    }
}

/// Strictly more skilled, strictly more junior, and someone else.
pub fn eligible(mentee: &Mentee, mentor: &Mentor) -> bool {
    ineligibility(mentee, mentor).is_none()
}

/// The skill difference of an eligible pair; `None` when the pair is not eligible.
pub fn gain(mentee: &Mentee, mentor: &Mentor) -> Option<u8> {
    eligible(mentee, mentor).then(|| mentor.skill - mentee.skill)
}

/// Only when both departments are known: an unknown department says nothing about distance.
fn cross_department(mentee: &Mentee, mentor: &Mentor) -> bool {
    matches!((mentee.department, mentor.department), (Some(a), Some(b)) if a != b)
}

/// The first entry for each person: a list that names someone twice counts them once, the same
/// way [`check`] looks people up.
fn first_entries<T>(items: &[T], user: impl Fn(&T) -> UserId) -> Vec<&T> {
    let mut seen = HashSet::new();
    items.iter().filter(|item| seen.insert(user(item))).collect()
}

/// The optimal matching. Pairs in mentee input order.
///
/// Maximises the total gain and, among matchings with the same total gain, the number of
/// cross-department pairs. The result depends only on the inputs and their order: the solver
/// takes mentees in input order and, between equally good places, the earliest one (mentors in
/// input order). A person listed twice in the same list counts once, with their first entry.
pub fn propose(mentees: &[Mentee], mentors: &[Mentor]) -> Proposal {
    let mentees = first_entries(mentees, |m| m.user);
    let mentors = first_entries(mentors, |m| m.user);
    let n = mentees.len();

    // Lexicographic weight: a cross-department pair earns 1, a unit of gain earns n + 1. A
    // matching has at most n pairs, so all its department bonuses together stay below one unit
    // of gain: the department preference only ever decides between matchings of equal gain and
    // never trades any gain away.
    let unit = n as i64 + 1;
    let weight =
        |e: &Mentee, r: &Mentor| gain(e, r).map(|g| i64::from(g) * unit + i64::from(cross_department(e, r)));

    // One column per place a mentor offers, but never more places than there are mentees who
    // could use them (a capacity of 255 with three mentees makes at most three columns).
    let mut places: Vec<usize> = Vec::new();
    for (r, mentor) in mentors.iter().enumerate() {
        let takers = mentees.iter().filter(|e| eligible(e, mentor)).count();
        let count = usize::from(mentor.capacity).min(takers);
        places.extend(std::iter::repeat_n(r, count));
    }

    // Square-ish padding: with fewer places than mentees, empty columns stand for "no mentor".
    // Ineligible cells and padding weigh 0, like having no mentor, and are dropped below.
    let columns = places.len().max(n);
    let cost: Vec<Vec<i64>> = mentees
        .iter()
        .map(|e| {
            (0..columns)
                .map(|c| places.get(c).and_then(|&r| weight(e, mentors[r])).map_or(0, |w| -w))
                .collect()
        })
        .collect();
    let assigned = hungarian(&cost, columns);

    let mut proposal =
        Proposal { pairs: Vec::new(), total_gain: 0, cross_department: 0, unmatched: Vec::new() };
    for (e, mentee) in mentees.iter().enumerate() {
        let mentor = assigned.get(e).and_then(|&c| places.get(c)).map(|&r| mentors[r]);
        match mentor.and_then(|r| gain(mentee, r).map(|g| (r, g))) {
            Some((mentor, gain)) => {
                let cross = cross_department(mentee, mentor);
                proposal.total_gain += u32::from(gain);
                proposal.cross_department += u32::from(cross);
                proposal.pairs.push(Pair {
                    mentee: mentee.user,
                    mentor: mentor.user,
                    gain,
                    cross_department: cross,
                });
            }
            None => proposal.unmatched.push(mentee.user),
        }
    }
    proposal
}

/// Minimum-cost assignment of every row to a distinct column (`rows <= columns`), Kuhn–Munkres
/// with potentials. Returns each row's column.
///
/// Rows are added one at a time in order; each time the shortest augmenting path is grown from
/// the lowest-numbered column among equal reduced costs, so the answer is deterministic.
fn hungarian(cost: &[Vec<i64>], columns: usize) -> Vec<usize> {
    const INF: i64 = i64::MAX / 4;
    let rows = cost.len();
    debug_assert!(rows <= columns);
    // 1-based, with row 0 and column 0 as the virtual start of each augmenting path.
    let mut u = vec![0i64; rows + 1];
    let mut v = vec![0i64; columns + 1];
    // row_of[j]: the row in column j (0: free). via[j]: the previous column on the path to j.
    let mut row_of = vec![0usize; columns + 1];
    let mut via = vec![0usize; columns + 1];
    for row in 1..=rows {
        row_of[0] = row;
        let mut j0 = 0;
        let mut min_to = vec![INF; columns + 1];
        let mut done = vec![false; columns + 1];
        loop {
            done[j0] = true;
            let i0 = row_of[j0];
            let mut delta = INF;
            let mut j1 = 0;
            for j in 1..=columns {
                if done[j] {
                    continue;
                }
                let reduced = cost[i0 - 1][j - 1] - u[i0] - v[j];
                if reduced < min_to[j] {
                    min_to[j] = reduced;
                    via[j] = j0;
                }
                if min_to[j] < delta {
                    delta = min_to[j];
                    j1 = j;
                }
            }
            for j in 0..=columns {
                if done[j] {
                    u[row_of[j]] += delta;
                    v[j] -= delta;
                } else {
                    min_to[j] -= delta;
                }
            }
            j0 = j1;
            if row_of[j0] == 0 {
                break;
            }
        }
        // Flip the augmenting path back to the start.
        while j0 != 0 {
            let prev = via[j0];
            row_of[j0] = row_of[prev];
            j0 = prev;
        }
    }
    let mut column_of = vec![0usize; rows];
    for (j, &row) in row_of.iter().enumerate().skip(1) {
        if row != 0 {
            column_of[row - 1] = j - 1;
        }
    }
    column_of
}

/// Checks an admin-adjusted set of `(mentee, mentor)` pairs: everyone named is known (first
/// entry wins if someone is listed twice), every pair is eligible, no mentee has two mentors and
/// no mentor has more mentees than their capacity. Reports the first problem in pair order.
pub fn check(pairs: &[(UserId, UserId)], mentees: &[Mentee], mentors: &[Mentor]) -> Result<(), MatchError> {
    let mentee_by_id: HashMap<UserId, &Mentee> =
        first_entries(mentees, |m| m.user).into_iter().map(|m| (m.user, m)).collect();
    let mentor_by_id: HashMap<UserId, &Mentor> =
        first_entries(mentors, |m| m.user).into_iter().map(|m| (m.user, m)).collect();
    let mut matched = HashSet::new();
    let mut load: HashMap<UserId, usize> = HashMap::new();
    for &(mentee_id, mentor_id) in pairs {
        let mentee = mentee_by_id.get(&mentee_id).ok_or(MatchError::UnknownMentee(mentee_id))?;
        let mentor = mentor_by_id.get(&mentor_id).ok_or(MatchError::UnknownMentor(mentor_id))?;
        if let Some(reason) = ineligibility(mentee, mentor) {
            return Err(MatchError::Ineligible { mentee: mentee_id, mentor: mentor_id, reason });
        }
        if !matched.insert(mentee_id) {
            return Err(MatchError::MenteeTwice(mentee_id));
        }
        let taken = load.entry(mentor_id).or_default();
        *taken += 1;
        if *taken > usize::from(mentor.capacity) {
            return Err(MatchError::OverCapacity { mentor: mentor_id, capacity: mentor.capacity });
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------- signing up

/// Mentees are senior people: seniority 4 or 5.
pub const MENTEE_MIN_SENIORITY: u8 = 4;
/// A mentor takes at most this many mentees at once.
pub const MAX_CAPACITY: u8 = 5;

/// A self-rated skill, 1 (beginner) to 5 (expert).
pub fn parse_skill(raw: i64) -> Result<u8, crate::Invalid> {
    u8::try_from(raw)
        .ok()
        .filter(|s| (1..=5).contains(s))
        .ok_or_else(|| crate::Invalid::new("skill", "must be a whole number from 1 to 5"))
}

pub fn parse_capacity(raw: i64) -> Result<u8, crate::Invalid> {
    u8::try_from(raw).ok().filter(|c| (1..=MAX_CAPACITY).contains(c)).ok_or_else(|| {
        crate::Invalid::new("capacity", format!("must be a whole number from 1 to {MAX_CAPACITY}"))
    })
}

/// One question of the skill quiz.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QuizQuestion {
    pub prompt: &'static str,
    pub options: &'static [&'static str],
    #[serde(skip)]
    pub correct: u8,
}

/// A short quiz that measures social media skill instead of asking people to rate themselves.
/// It is separate from the anonymous knowledge survey on purpose: a person's survey answers are
/// never tied to them, so they can never be a skill.
pub const SKILL_QUIZ: [QuizQuestion; 5] = [
    QuizQuestion {
        prompt: "A LinkedIn post gets more reach when…",
        options: &[
            "it links away in the first line",
            "people comment in the first hour",
            "it has 30 hashtags",
            "it is posted at midnight",
        ],
        correct: 1,
    },
    QuizQuestion {
        prompt: "On Bluesky, a custom feed is…",
        options: &[
            "a paid ad",
            "an algorithm anyone can build and others can follow",
            "a private list",
            "a direct message",
        ],
        correct: 1,
    },
    QuizQuestion {
        prompt: "Alt text on an image is for…",
        options: &[
            "search engines only",
            "people who cannot see the image, and it helps reach",
            "copyright",
            "the photographer's name",
        ],
        correct: 1,
    },
    QuizQuestion {
        prompt: "A good answer to a public complaint is to…",
        options: &[
            "argue the facts in the thread",
            "acknowledge it and take it to a private channel",
            "delete it",
            "ignore it",
        ],
        correct: 1,
    },
    QuizQuestion {
        prompt: "UTM tags on a link tell you…",
        options: &[
            "who clicked, by name",
            "which campaign and network brought a visit",
            "the post's reach",
            "nothing useful",
        ],
        correct: 1,
    },
];

/// The skill the quiz measured: one point per correct answer, at least 1.
pub fn skill_from_quiz(answers: &[i64]) -> Result<u8, crate::Invalid> {
    if answers.len() != SKILL_QUIZ.len() {
        return Err(crate::Invalid::new("quiz", format!("answer all {} questions", SKILL_QUIZ.len())));
    }
    let mut correct = 0u8;
    for (q, a) in SKILL_QUIZ.iter().zip(answers) {
        let a = u8::try_from(*a)
            .ok()
            .filter(|a| usize::from(*a) < q.options.len())
            .ok_or_else(|| crate::Invalid::new("quiz", "an answer is not one of the options"))?;
        correct += u8::from(a == q.correct);
    }
    Ok(correct.max(1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_skill_quiz_and_sign_up_values_are_checked() {
        assert_eq!(super::skill_from_quiz(&[1, 1, 1, 1, 1]), Ok(5));
        assert_eq!(super::skill_from_quiz(&[0, 0, 0, 0, 0]), Ok(1), "never below 1");
        assert_eq!(super::skill_from_quiz(&[1, 1, 0, 0, 1]), Ok(3));
        assert!(super::skill_from_quiz(&[1, 1]).is_err());
        assert!(super::skill_from_quiz(&[1, 1, 1, 1, 9]).is_err());
        assert!(super::parse_skill(0).is_err() && super::parse_skill(6).is_err());
        assert_eq!(super::parse_capacity(2), Ok(2));
        assert!(super::parse_capacity(0).is_err());
    }

    use super::*;
    use uuid::Uuid;

    fn user(n: u128) -> UserId {
        UserId(Uuid::from_u128(n))
    }

    fn dept(n: u128) -> Option<DepartmentId> {
        Some(DepartmentId(Uuid::from_u128(1000 + n)))
    }

    fn mentee(id: u128, seniority: u8, skill: u8, department: Option<DepartmentId>) -> Mentee {
        Mentee { user: user(id), seniority, department, skill }
    }

    fn mentor(id: u128, seniority: u8, skill: u8, capacity: u8, department: Option<DepartmentId>) -> Mentor {
        Mentor { user: user(id), seniority, department, skill, capacity }
    }

    /// Exhaustive search: every mentee gets no mentor or any eligible mentor with room left.
    /// Returns the best (total gain, cross-department pairs), compared lexicographically.
    fn brute_force(mentees: &[Mentee], mentors: &[Mentor]) -> (u32, u32) {
        fn go(e: usize, mentees: &[Mentee], mentors: &[Mentor], room: &mut [u8]) -> (u32, u32) {
            let Some(mentee) = mentees.get(e) else { return (0, 0) };
            let mut best = go(e + 1, mentees, mentors, room);
            for (r, mentor) in mentors.iter().enumerate() {
                let Some(g) = gain(mentee, mentor) else { continue };
                if room[r] == 0 {
                    continue;
                }
                room[r] -= 1;
                let (rest_gain, rest_cross) = go(e + 1, mentees, mentors, room);
                room[r] += 1;
                let here =
                    (rest_gain + u32::from(g), rest_cross + u32::from(cross_department(mentee, mentor)));
                best = best.max(here);
            }
            best
        }
        let mut room: Vec<u8> = mentors.iter().map(|m| m.capacity).collect();
        go(0, mentees, mentors, &mut room)
    }

    /// First-fit: each mentee in order takes the eligible mentor with room and the largest gain
    /// (the earliest on ties). Returns the total gain.
    fn greedy(mentees: &[Mentee], mentors: &[Mentor]) -> u32 {
        let mut room: Vec<u8> = mentors.iter().map(|m| m.capacity).collect();
        let mut total = 0;
        for e in mentees {
            let mut best: Option<(usize, u8)> = None;
            for (r, m) in mentors.iter().enumerate() {
                if let Some(g) = gain(e, m)
                    && room[r] > 0
                    && best.is_none_or(|(_, b)| g > b)
                {
                    best = Some((r, g));
                }
            }
            if let Some((r, g)) = best {
                room[r] -= 1;
                total += u32::from(g);
            }
        }
        total
    }

    fn as_ids(p: &Proposal) -> Vec<(UserId, UserId)> {
        p.pairs.iter().map(|p| (p.mentee, p.mentor)).collect()
    }

    /// Sales 1, Eng 2, Design 3. Mentors: 10 and 13 are junior enough for anyone; 11 and 12 are
    /// seniority 4, so only for the seniority-5 mentees.
    fn fixture() -> (Vec<Mentee>, Vec<Mentor>) {
        let mentees = vec![
            mentee(1, 5, 1, dept(2)),
            mentee(2, 5, 2, dept(1)),
            mentee(3, 4, 2, dept(2)),
            mentee(4, 4, 1, None),
            mentee(5, 4, 3, dept(2)),
            mentee(6, 5, 3, dept(2)),
        ];
        let mentors = vec![
            mentor(10, 2, 5, 2, dept(1)),
            mentor(11, 4, 4, 1, dept(2)),
            mentor(12, 4, 5, 2, dept(3)),
            mentor(13, 1, 3, 1, dept(2)),
        ];
        (mentees, mentors)
    }

    #[test]
    fn the_fixture_is_solved_optimally_where_first_fit_is_not() {
        let (mentees, mentors) = fixture();
        // First-fit by hand: 1 takes 10 (+4), 2 takes 10 (+3, now full), 3 can only use 10 or 13
        // and takes 13 (+1), 4 and 5 (seniority 4) find 10 and 13 gone, 6 takes 12 (+2): 10.
        assert_eq!(greedy(&mentees, &mentors), 10);
        // Optimal by hand: the seniority-4 mentees get 10, 10 and 13 (5 needs 10: skill 3),
        // the seniority-5 ones get 11 and 12, 12: every place used, total
        // (5+5+4+5+5+3) - (1+2+2+1+3+3) = 27 - 12 = 15. The department rule then puts 3 (Eng)
        // rather than 4 (no department) with 10 (Sales), and sends 2 (Sales) to 11 (Eng) so that
        // 1 and 6 (Eng) both get 12 (Design): 5 cross-department pairs, only 4's is not.
        let p = propose(&mentees, &mentors);
        assert_eq!((p.total_gain, p.cross_department), (15, 5));
        assert_eq!((p.total_gain, p.cross_department), brute_force(&mentees, &mentors));
        assert!(greedy(&mentees, &mentors) < p.total_gain);
        assert_eq!(
            as_ids(&p),
            vec![
                (user(1), user(12)),
                (user(2), user(11)),
                (user(3), user(10)),
                (user(4), user(13)),
                (user(5), user(10)),
                (user(6), user(12)),
            ]
        );
        assert!(p.unmatched.is_empty());
        assert_eq!(p.pairs.iter().map(|p| u32::from(p.gain)).sum::<u32>(), p.total_gain);
        assert_eq!(check(&as_ids(&p), &mentees, &mentors), Ok(()));
    }

    /// xorshift64*: a fixed seed, so the sweep is the same on every run.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) % n
        }
        fn department(&mut self) -> Option<DepartmentId> {
            match self.below(4) {
                0 => None,
                d => dept(u128::from(d)),
            }
        }
    }

    #[test]
    fn random_instances_match_exhaustive_search() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let (mut matched_somewhere, mut greedy_short) = (0, 0);
        for round in 0..300 {
            let mentees: Vec<Mentee> = (0..rng.below(7))
                .map(|i| {
                    // Seniority 3–5: mostly senior, as mentees are, so more pairs are eligible.
                    let (seniority, skill) = (3 + rng.below(3) as u8, 1 + rng.below(5) as u8);
                    mentee(i.into(), seniority, skill, rng.department())
                })
                .collect();
            let mut offered = HashSet::new();
            let mentors: Vec<Mentor> = (0..rng.below(5))
                .map(|i| {
                    // Now and then a mentee also offers to mentor (never themselves), once.
                    let mut id = 100 + u128::from(i);
                    if !mentees.is_empty() && rng.below(5) == 0 {
                        let candidate = rng.below(mentees.len() as u64).into();
                        if offered.insert(candidate) {
                            id = candidate;
                        }
                    }
                    let (seniority, skill) = (1 + rng.below(5) as u8, 1 + rng.below(5) as u8);
                    let capacity = rng.below(4) as u8;
                    mentor(id, seniority, skill, capacity, rng.department())
                })
                .collect();
            let p = propose(&mentees, &mentors);
            assert_eq!(
                (p.total_gain, p.cross_department),
                brute_force(&mentees, &mentors),
                "round {round}: {mentees:?} {mentors:?}"
            );
            assert_eq!(check(&as_ids(&p), &mentees, &mentors), Ok(()), "round {round}");
            // Every mentee once, in input order, either paired or unmatched.
            let mut seen =
                p.pairs.iter().map(|p| p.mentee).chain(p.unmatched.iter().copied()).collect::<Vec<_>>();
            seen.sort();
            assert_eq!(seen, mentees.iter().map(|m| m.user).collect::<Vec<_>>(), "round {round}");
            assert!(p.pairs.windows(2).all(|w| w[0].mentee < w[1].mentee));
            // The totals add up the pairs as they are reported.
            let sum = p
                .pairs
                .iter()
                .fold((0, 0), |(g, c), q| (g + u32::from(q.gain), c + u32::from(q.cross_department)));
            assert_eq!(sum, (p.total_gain, p.cross_department), "round {round}");
            assert!(p.unmatched.windows(2).all(|w| w[0] < w[1]));
            // The same input gives the same answer.
            assert_eq!(propose(&mentees, &mentors), p);
            matched_somewhere += usize::from(!p.pairs.is_empty());
            greedy_short += usize::from(greedy(&mentees, &mentors) < p.total_gain);
        }
        // The sweep is not vacuous: about a third of the rounds pair someone (107 with this seed)
        // and some defeat first-fit (12).
        assert!(matched_somewhere > 80, "{matched_somewhere}");
        assert!(greedy_short > 5, "{greedy_short}");
    }

    #[test]
    fn empty_inputs_and_no_capacity_match_nobody() {
        let empty = Proposal { pairs: vec![], total_gain: 0, cross_department: 0, unmatched: vec![] };
        assert_eq!(propose(&[], &[]), empty);
        assert_eq!(propose(&[], &[mentor(10, 1, 5, 3, None)]), empty);

        let mentees = [mentee(1, 5, 1, None), mentee(2, 4, 2, None)];
        let unmatched = Proposal { unmatched: vec![user(1), user(2)], ..empty.clone() };
        assert_eq!(propose(&mentees, &[]), unmatched);
        assert_eq!(propose(&mentees, &[mentor(10, 1, 5, 0, None)]), unmatched);
        // Nobody eligible: too senior, not skilled enough, or the same person.
        let mentors = [mentor(10, 5, 5, 2, None), mentor(11, 1, 1, 2, None), mentor(1, 1, 5, 2, None)];
        assert_eq!(propose(&mentees[..1], &mentors[..2]), Proposal { unmatched: vec![user(1)], ..empty });
        assert_eq!(
            propose(&mentees, &mentors).pairs,
            vec![Pair { mentee: user(2), mentor: user(1), gain: 3, cross_department: false }]
        );
    }

    #[test]
    fn a_large_capacity_serves_everyone_it_can() {
        let mentees = [mentee(1, 5, 1, None), mentee(2, 5, 2, None), mentee(3, 2, 5, None)];
        let p = propose(&mentees, &[mentor(10, 1, 5, 255, None)]);
        assert_eq!(p.total_gain, 4 + 3);
        assert_eq!(p.unmatched, vec![user(3)]);
    }

    #[test]
    fn many_large_capacities_stay_small_and_exact() {
        // 40 mentees and 10 mentors of capacity 255: at most 40 places per mentor, not 2550.
        let mentees: Vec<Mentee> =
            (0..40).map(|i| mentee(i, 4 + (i % 2) as u8, 1 + (i % 4) as u8, None)).collect();
        let mentors: Vec<Mentor> =
            (0..10).map(|i| mentor(100 + i, 1 + (i % 3) as u8, 2 + (i % 4) as u8, 255, None)).collect();
        let p = propose(&mentees, &mentors);
        // Mentors 103 and 107 have skill 5 and seniority 1 or 2, room for everyone, so each
        // mentee gets 5 - skill, the most possible: 10 × (4 + 3 + 2 + 1).
        assert_eq!(p.total_gain, 100);
        assert!(p.unmatched.is_empty());
        assert_eq!(check(&as_ids(&p), &mentees, &mentors), Ok(()));
    }

    #[test]
    fn a_person_listed_twice_counts_once_with_their_first_entry() {
        let e = mentee(1, 5, 1, None);
        let p =
            propose(&[e, e, mentee(2, 5, 1, None)], &[mentor(10, 1, 3, 1, None), mentor(10, 1, 5, 2, None)]);
        // One place (the first entry's capacity 1, gain 2), one entry for mentee 1.
        assert_eq!((p.total_gain, p.pairs.len(), p.unmatched.len()), (2, 1, 1));
        assert_eq!(check(&as_ids(&p), &[e, e], &[mentor(10, 1, 3, 1, None)]), Ok(()));
    }

    #[test]
    fn departments_break_ties_but_never_cost_gain() {
        let sales = mentee(1, 5, 2, dept(1));
        let same = mentor(10, 1, 4, 1, dept(1));
        let other = mentor(11, 1, 4, 1, dept(2));
        let unknown = mentor(12, 1, 4, 1, None);
        // Equal gain: the other department wins, whatever the order.
        assert_eq!(propose(&[sales], &[same, other]).pairs[0].mentor, user(11));
        assert_eq!(propose(&[sales], &[other, same]).pairs[0].mentor, user(11));
        // An unknown department is not "across": with equal gain the earlier mentor is kept.
        assert_eq!(propose(&[sales], &[same, unknown]).pairs[0].mentor, user(10));
        assert!(!propose(&[sales], &[unknown]).pairs[0].cross_department);
        // One more point of skill beats the department bonus.
        let better_same = mentor(13, 1, 5, 1, dept(1));
        let p = propose(&[sales], &[other, better_same]);
        assert_eq!((p.pairs[0].mentor, p.total_gain, p.cross_department), (user(13), 3, 0));
        // ... even when many department bonuses are at stake: four cross pairs (gain 4 in all)
        // lose to one same-department pair (gain 2) plus three cross pairs (gain 3).
        let team: Vec<Mentee> = (1..=4).map(|i| mentee(i, 5, 1, dept(1))).collect();
        let mentors = [mentor(10, 1, 2, 4, dept(2)), mentor(11, 1, 3, 1, dept(1))];
        let p = propose(&team, &mentors);
        assert_eq!((p.total_gain, p.cross_department), (3 + 2, 3));
        assert_eq!((p.total_gain, p.cross_department), brute_force(&team, &mentors));
    }

    #[test]
    fn eligibility_and_gain() {
        let e = mentee(1, 4, 2, None);
        assert_eq!(gain(&e, &mentor(10, 3, 5, 1, None)), Some(3));
        assert_eq!(gain(&e, &mentor(10, 4, 5, 1, None)), None);
        assert_eq!(gain(&e, &mentor(10, 3, 2, 1, None)), None);
        assert_eq!(gain(&e, &mentor(1, 3, 5, 1, None)), None);
        assert!(eligible(&e, &mentor(10, 1, 3, 0, None)));
        assert_eq!(ineligibility(&e, &mentor(10, 5, 1, 1, None)), Some(Reason::NotMoreSkilled));
    }

    #[test]
    fn check_refuses_with_the_person_at_fault() {
        let (mentees, mentors) = fixture();
        assert_eq!(check(&[], &mentees, &mentors), Ok(()));
        // 3 has seniority 4, like 11.
        assert_eq!(
            check(&[(user(3), user(11))], &mentees, &mentors),
            Err(MatchError::Ineligible { mentee: user(3), mentor: user(11), reason: Reason::NotMoreJunior })
        );
        assert_eq!(
            check(&[(user(1), user(10)), (user(1), user(12))], &mentees, &mentors),
            Err(MatchError::MenteeTwice(user(1)))
        );
        assert_eq!(
            check(&[(user(1), user(11)), (user(2), user(11))], &mentees, &mentors),
            Err(MatchError::OverCapacity { mentor: user(11), capacity: 1 })
        );
        let closed = [mentor(20, 1, 5, 0, None)];
        assert_eq!(
            check(&[(user(1), user(20))], &mentees, &closed),
            Err(MatchError::OverCapacity { mentor: user(20), capacity: 0 })
        );
        assert_eq!(
            check(&[(user(99), user(10))], &mentees, &mentors),
            Err(MatchError::UnknownMentee(user(99)))
        );
        assert_eq!(
            check(&[(user(1), user(99))], &mentees, &mentors),
            Err(MatchError::UnknownMentor(user(99)))
        );
        // A mentor is not a mentee just because they are in the other list.
        assert_eq!(
            check(&[(user(10), user(11))], &mentees, &mentors),
            Err(MatchError::UnknownMentee(user(10)))
        );
        let message = MatchError::OverCapacity { mentor: user(11), capacity: 1 }.to_string();
        assert!(message.contains(&user(11).to_string()) && message.contains('1'), "{message}");
    }
}
