//! The anonymous knowledge survey (SPEC §3): question definitions, answer checking, and the
//! privacy rules every report obeys.
//!
//! Anonymity is a property of what is stored, decided here in plain code:
//! - a response carries no person and no time; its department and seniority band are kept only
//!   when the group they describe has at least *k* members ([`disclosure`]);
//! - a report shows a group only when at least *k* responses fall in it, and hides further groups
//!   when the hidden remainder could otherwise be worked out by subtraction ([`visible_groups`]).

use crate::error::Invalid;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The smallest group any report shows, unless an organization raises it.
pub const DEFAULT_K: u32 = 5;
/// Raising *k* is allowed; this is only a sanity bound on the form.
pub const MAX_K: u32 = 1_000;

pub const MAX_QUESTIONS: usize = 100;
pub const MAX_PROMPT: usize = 500;
pub const MAX_OPTIONS: usize = 10;
pub const MAX_OPTION: usize = 120;
pub const MAX_TOPICS: usize = 5;
pub const MAX_TOPIC: usize = 40;
/// Open answers are for a sentence or a paragraph, not an essay.
pub const MAX_TEXT_ANSWER: usize = 2_000;

/// Where a survey is in its life: written, answered, finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SurveyStatus {
    /// Being written; nobody can answer.
    Draft,
    /// Open for answers until it is closed or its closing time passes.
    Open,
    /// No more answers; results can be read.
    Closed,
}

impl SurveyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Draft, Self::Open, Self::Closed].into_iter().find(|s| s.as_str() == raw)
    }
}

/// Answers are moved out of the waiting room in batches of at least this many, so a response
/// can be traced at best to a crowd. Twice k: when the survey closes with fewer than k left
/// over, up to k − 1 earlier responses are rewritten with them, and every batch still keeps
/// more than k.
pub fn batch_size(k: u32) -> u32 {
    k.saturating_mul(2).max(10)
}

/// What kind of answer a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// Multiple choice with one correct answer: knowledge, scored.
    Choice,
    /// A scale (frequency, agreement): habits, not scored.
    Likert,
    /// Yes or no, with an optional "why or why not?" text.
    YesNo,
    /// Free text.
    Text,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 4] = [Self::Choice, Self::Likert, Self::YesNo, Self::Text];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Choice => "choice",
            Self::Likert => "likert",
            Self::YesNo => "yes_no",
            Self::Text => "text",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| Invalid::new("kind", "must be one of choice, likert, yes_no, text"))
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Choice => "Multiple choice (scored)",
            Self::Likert => "Scale",
            Self::YesNo => "Yes / no",
            Self::Text => "Open text",
        }
    }
}

/// A question as an admin writes it, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionSpec {
    pub kind: QuestionKind,
    pub prompt: String,
    /// The choices (choice, likert); `["Yes", "No"]` for yes/no; empty for text.
    pub options: Vec<String>,
    /// Index of the correct choice (choice questions only).
    pub correct: Option<u8>,
    /// The follow-up asked with a yes/no ("Why or why not?").
    pub follow_up: Option<String>,
    /// What the question tests or asks about ("X basics", "LinkedIn").
    pub topics: Vec<String>,
}

impl QuestionSpec {
    /// Checks and normalizes a question: trimmed texts, topics de-duplicated, the options each
    /// kind needs.
    pub fn parse(
        kind: QuestionKind,
        prompt: &str,
        options: &[String],
        correct: Option<u8>,
        follow_up: Option<&str>,
        topics: &[String],
    ) -> Result<Self, Invalid> {
        let prompt = prompt.trim();
        if prompt.is_empty() {
            return Err(Invalid::new("prompt", "a question needs a prompt"));
        }
        if prompt.chars().count() > MAX_PROMPT {
            return Err(Invalid::new("prompt", format!("at most {MAX_PROMPT} characters")));
        }
        let options: Vec<String> =
            options.iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
        if options.iter().any(|o| o.chars().count() > MAX_OPTION) {
            return Err(Invalid::new("options", format!("each option has at most {MAX_OPTION} characters")));
        }
        if options.iter().collect::<BTreeSet<_>>().len() != options.len() {
            return Err(Invalid::new("options", "two options say the same thing"));
        }
        let follow_up = follow_up.map(str::trim).filter(|f| !f.is_empty()).map(str::to_owned);
        if follow_up.as_ref().is_some_and(|f| f.chars().count() > MAX_PROMPT) {
            return Err(Invalid::new("follow_up", format!("at most {MAX_PROMPT} characters")));
        }
        let (options, correct, follow_up) = match kind {
            QuestionKind::Choice => {
                if !(2..=MAX_OPTIONS).contains(&options.len()) {
                    return Err(Invalid::new(
                        "options",
                        format!("a choice needs 2 to {MAX_OPTIONS} options"),
                    ));
                }
                let Some(correct) = correct.filter(|c| usize::from(*c) < options.len()) else {
                    return Err(Invalid::new("correct", "mark which option is correct"));
                };
                (options, Some(correct), None)
            }
            QuestionKind::Likert => {
                if !(2..=MAX_OPTIONS).contains(&options.len()) {
                    return Err(Invalid::new("options", format!("a scale needs 2 to {MAX_OPTIONS} points")));
                }
                (options, None, None)
            }
            QuestionKind::YesNo => (vec!["Yes".to_owned(), "No".to_owned()], None, follow_up),
            QuestionKind::Text => (Vec::new(), None, None),
        };
        let mut seen = BTreeSet::new();
        let mut clean = Vec::new();
        for topic in topics.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            if topic.chars().count() > MAX_TOPIC {
                return Err(Invalid::new("topics", format!("each topic has at most {MAX_TOPIC} characters")));
            }
            if seen.insert(topic.to_lowercase()) {
                clean.push(topic.to_owned());
            }
        }
        if clean.len() > MAX_TOPICS {
            return Err(Invalid::new("topics", format!("at most {MAX_TOPICS} topics per question")));
        }
        Ok(Self { kind, prompt: prompt.to_owned(), options, correct, follow_up, topics: clean })
    }

    /// Whether a person must answer it (open texts and follow-ups are optional).
    pub fn required(&self) -> bool {
        self.kind != QuestionKind::Text
    }
}

/// One person's answer to one question, as stored (no person, no time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    /// The chosen option (choice, likert, yes/no: 0 is yes), with the follow-up text if any.
    Option {
        option: u8,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    Text {
        text: String,
    },
}

impl Answer {
    pub fn option(&self) -> Option<u8> {
        match self {
            Answer::Option { option, .. } => Some(*option),
            Answer::Text { .. } => None,
        }
    }

    pub fn text(&self) -> Option<&str> {
        match self {
            Answer::Option { text, .. } => text.as_deref(),
            Answer::Text { text } => Some(text),
        }
    }
}

/// What a person sent for one question, before checking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawAnswer {
    pub option: Option<i64>,
    pub text: Option<String>,
}

/// Checks a whole response against the questions (in order): every required question answered
/// with an option it has, texts within bounds. `None` in the result is a skipped optional one.
pub fn check_answers(questions: &[QuestionSpec], raw: &[RawAnswer]) -> Result<Vec<Option<Answer>>, Invalid> {
    if raw.len() != questions.len() {
        return Err(Invalid::new("answers", "the answers do not match the survey's questions"));
    }
    questions
        .iter()
        .zip(raw)
        .enumerate()
        .map(|(i, (q, a))| {
            let n = i + 1;
            let text = a.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
            if text.is_some_and(|t| t.chars().count() > MAX_TEXT_ANSWER) {
                return Err(Invalid::new(
                    "answers",
                    format!("answer {n}: at most {MAX_TEXT_ANSWER} characters"),
                ));
            }
            match q.kind {
                QuestionKind::Text => {
                    if a.option.is_some() {
                        return Err(Invalid::new(
                            "answers",
                            format!("question {n} takes text, not an option"),
                        ));
                    }
                    Ok(text.map(|t| Answer::Text { text: t.to_owned() }))
                }
                kind => {
                    let Some(option) = a.option else {
                        return Err(Invalid::new("answers", format!("question {n} needs an answer")));
                    };
                    let option = u8::try_from(option)
                        .ok()
                        .filter(|o| usize::from(*o) < q.options.len())
                        .ok_or_else(|| Invalid::new("answers", format!("question {n}: no such option")))?;
                    // Only a yes/no keeps its follow-up text; elsewhere text is not asked for.
                    let text = (kind == QuestionKind::YesNo).then_some(text).flatten().map(str::to_owned);
                    Ok(Some(Answer::Option { option, text }))
                }
            }
        })
        .collect()
}

// ------------------------------------------------------------------------------ groups and k

/// Seniority bands: groups large enough to report on, coarser than the 1–5 level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Seniority 1–2.
    Early,
    /// Seniority 3.
    Experienced,
    /// Seniority 4–5: senior people and executives.
    Senior,
}

impl Band {
    pub const ALL: [Band; 3] = [Self::Early, Self::Experienced, Self::Senior];

    pub fn of(seniority: u8) -> Option<Band> {
        match seniority {
            1 | 2 => Some(Band::Early),
            3 => Some(Band::Experienced),
            4 | 5 => Some(Band::Senior),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Band::Early => "early",
            Band::Experienced => "experienced",
            Band::Senior => "senior",
        }
    }

    pub fn parse(raw: &str) -> Option<Band> {
        Self::ALL.into_iter().find(|b| b.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Band::Early => "Early career (seniority 1–2)",
            Band::Experienced => "Experienced (3)",
            Band::Senior => "Senior and executives (4–5)",
        }
    }
}

/// Checks a *k* an organization asks for: never below the default, so it only goes up.
pub fn parse_k(raw: i64) -> Result<u32, Invalid> {
    u32::try_from(raw)
        .ok()
        .filter(|k| (DEFAULT_K..=MAX_K).contains(k))
        .ok_or_else(|| Invalid::new("k", format!("must be a whole number from {DEFAULT_K} to {MAX_K}")))
}

/// How many people a response's attributes describe, counted over the survey's audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupSizes {
    pub department: u32,
    pub band: u32,
    /// People in both the department and the band.
    pub both: u32,
}

/// Which attributes a response may keep: each only when its group has at least `k` members, and
/// both only when the people sharing both are `k` or more (a department's one senior person must
/// not be singled out by the pair). When only one may stay, the department does.
pub fn disclosure(sizes: GroupSizes, k: u32) -> (bool, bool) {
    let department = sizes.department >= k;
    let band = sizes.band >= k;
    if department && band && sizes.both < k { (true, false) } else { (department, band) }
}

/// Which groups of a partition a report may show.
///
/// `total` responses were split into `groups` (responses per group); responses whose attribute
/// was not kept belong to no group. A group is shown when it has at least `k` responses, and only
/// if the total itself is shown. What is hidden — small groups plus responses without the
/// attribute — is `total` minus the shown groups, which anyone can compute; when that remainder
/// is between 1 and `k - 1` the smallest shown groups are hidden too, until it is 0 or at least
/// `k`. So no subtraction of shown figures isolates fewer than `k` responses.
pub fn visible_groups(total: u32, groups: &[u32], k: u32) -> Vec<bool> {
    let k = k.max(1);
    if total < k {
        return vec![false; groups.len()];
    }
    let mut shown: Vec<bool> = groups.iter().map(|&n| n >= k).collect();
    let mut order: Vec<usize> = (0..groups.len()).collect();
    // Smallest first; ties by position so the outcome does not depend on sort stability.
    order.sort_by_key(|&i| (groups[i], i));
    loop {
        let visible: u32 = groups.iter().zip(&shown).filter(|(_, s)| **s).map(|(n, _)| *n).sum();
        let hidden = total.saturating_sub(visible);
        if hidden == 0 || hidden >= k {
            return shown;
        }
        match order.iter().find(|&&i| shown[i]) {
            Some(&i) => shown[i] = false,
            None => return shown,
        }
    }
}

// ----------------------------------------------------------------------------------- scoring

/// How many answered one option of one question, in one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub question: usize,
    pub option: u8,
    pub count: u32,
}

/// A topic's knowledge score: correct answers over answers to its scored questions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicScore {
    pub topic: String,
    pub correct: u32,
    pub answered: u32,
}

impl TopicScore {
    /// 0.0–1.0; `None` when nothing was answered.
    pub fn score(&self) -> Option<f64> {
        (self.answered > 0).then(|| f64::from(self.correct) / f64::from(self.answered))
    }
}

/// Knowledge score per topic from option tallies, weakest first (ties by name). Only choice
/// questions with a correct answer count.
pub fn topic_scores(questions: &[QuestionSpec], tallies: &[Tally]) -> Vec<TopicScore> {
    let mut by_topic: std::collections::BTreeMap<String, (String, u32, u32)> = Default::default();
    for t in tallies {
        let Some(q) = questions.get(t.question) else { continue };
        let Some(correct) = q.correct.filter(|_| q.kind == QuestionKind::Choice) else { continue };
        for topic in &q.topics {
            let entry = by_topic.entry(topic.to_lowercase()).or_insert_with(|| (topic.clone(), 0, 0));
            entry.2 += t.count;
            if t.option == correct {
                entry.1 += t.count;
            }
        }
    }
    let mut scores: Vec<TopicScore> = by_topic
        .into_values()
        .map(|(topic, correct, answered)| TopicScore { topic, correct, answered })
        .collect();
    scores.sort_by(|a, b| {
        let (x, y) = (a.score().unwrap_or(1.0), b.score().unwrap_or(1.0));
        x.total_cmp(&y).then_with(|| a.topic.cmp(&b.topic))
    });
    scores
}

// ---------------------------------------------------------------------------------- template

/// The shipped baseline questions (SPEC §3): platform basics, habits, open questions.
pub fn baseline_template() -> Vec<QuestionSpec> {
    fn q(
        kind: QuestionKind,
        prompt: &str,
        options: &[&str],
        correct: Option<u8>,
        follow: Option<&str>,
        topics: &[&str],
    ) -> QuestionSpec {
        let options: Vec<String> = options.iter().map(|s| (*s).to_owned()).collect();
        let topics: Vec<String> = topics.iter().map(|s| (*s).to_owned()).collect();
        QuestionSpec::parse(kind, prompt, &options, correct, follow, &topics)
            .expect("the shipped template is valid")
    }
    use QuestionKind::*;
    let often = ["Never", "Less than monthly", "Monthly", "Weekly", "Daily"];
    vec![
        q(
            Choice,
            "How many characters may a post on X have (without a paid plan)?",
            &["140", "280", "500", "2,200"],
            Some(1),
            None,
            &["X basics"],
        ),
        q(
            Choice,
            "What is a subreddit?",
            &[
                "A paid Reddit ad",
                "A community on Reddit about one topic",
                "A private message on Reddit",
                "Reddit's moderation team",
            ],
            Some(1),
            None,
            &["Reddit basics"],
        ),
        q(
            Choice,
            "What is usually the best way to use LinkedIn for the company?",
            &[
                "Post the same link every day",
                "Share what you learned or worked on, in your own words",
                "Only like the company's posts",
                "Send connection requests to strangers in bulk",
            ],
            Some(1),
            None,
            &["LinkedIn"],
        ),
        q(
            Choice,
            "What does a hashtag do on Mastodon?",
            &[
                "Nothing",
                "Makes the post searchable and followable by topic",
                "Makes the post private",
                "Pays for reach",
            ],
            Some(1),
            None,
            &["Mastodon basics"],
        ),
        q(
            Choice,
            "You may share a photo from a customer site when…",
            &[
                "It looks good",
                "The customer agreed and nothing confidential is visible",
                "Your manager is in it",
                "It is already on your phone",
            ],
            Some(1),
            None,
            &["Brand policy"],
        ),
        q(
            Choice,
            "Which should you NOT post about the company?",
            &[
                "A product launch that is public",
                "Unannounced results or confidential plans",
                "A team event photo everyone agreed to",
                "A job opening",
            ],
            Some(1),
            None,
            &["Brand policy"],
        ),
        q(Likert, "How often do you use LinkedIn?", &often, None, None, &["LinkedIn", "Habits"]),
        q(Likert, "How often do you use X?", &often, None, None, &["X basics", "Habits"]),
        q(Likert, "How often do you use Instagram?", &often, None, None, &["Habits"]),
        q(YesNo, "Do you follow the company's pages?", &[], None, Some("Why or why not?"), &["Habits"]),
        q(Text, "What would help you share more about your work?", &[], None, None, &["Open"]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn questions_are_checked_per_kind() {
        let choice = QuestionSpec::parse(
            QuestionKind::Choice,
            " What? ",
            &opts(&["a", "b"]),
            Some(1),
            None,
            &opts(&["X", "x", " "]),
        );
        let choice = choice.expect("valid");
        assert_eq!(choice.prompt, "What?");
        assert_eq!(choice.topics, vec!["X"], "topics are trimmed and de-duplicated caselessly");
        assert!(
            QuestionSpec::parse(QuestionKind::Choice, "Q", &opts(&["a", "b"]), None, None, &[]).is_err(),
            "a choice needs its correct answer"
        );
        assert!(
            QuestionSpec::parse(QuestionKind::Choice, "Q", &opts(&["a", "b"]), Some(2), None, &[]).is_err()
        );
        assert!(QuestionSpec::parse(QuestionKind::Choice, "Q", &opts(&["a"]), Some(0), None, &[]).is_err());
        assert!(QuestionSpec::parse(QuestionKind::Likert, "Q", &opts(&["a", "a"]), None, None, &[]).is_err());
        assert!(QuestionSpec::parse(QuestionKind::Text, "  ", &[], None, None, &[]).is_err());
        let yes_no =
            QuestionSpec::parse(QuestionKind::YesNo, "Q", &[], Some(0), Some("Why?"), &[]).expect("valid");
        assert_eq!(
            (yes_no.options.len(), yes_no.correct, yes_no.follow_up.as_deref()),
            (2, None, Some("Why?"))
        );
        let many = opts(&["a", "b", "c", "d", "e", "f"]);
        assert!(QuestionSpec::parse(QuestionKind::Text, "Q", &[], None, None, &many).is_err());
        assert!(QuestionKind::parse("essay").is_err());
        assert_eq!(baseline_template().len(), 11);
    }

    #[test]
    fn answers_are_checked_against_the_questions() {
        let qs = baseline_template();
        let mut raw: Vec<RawAnswer> = qs
            .iter()
            .map(|q| match q.kind {
                QuestionKind::Text => RawAnswer { option: None, text: Some("  more time  ".into()) },
                _ => RawAnswer { option: Some(0), text: Some("because".into()) },
            })
            .collect();
        let answers = check_answers(&qs, &raw).expect("valid");
        assert_eq!(answers[0], Some(Answer::Option { option: 0, text: None }), "text only rides on yes/no");
        assert_eq!(answers[9], Some(Answer::Option { option: 0, text: Some("because".into()) }));
        assert_eq!(answers[10], Some(Answer::Text { text: "more time".into() }));
        raw[10].text = None;
        assert_eq!(check_answers(&qs, &raw).expect("text is optional")[10], None);
        raw[0].option = Some(4);
        assert!(check_answers(&qs, &raw).is_err(), "no such option");
        raw[0].option = Some(-1);
        assert!(check_answers(&qs, &raw).is_err());
        raw[0].option = None;
        assert!(check_answers(&qs, &raw).is_err(), "required");
        assert!(check_answers(&qs, &raw[..3]).is_err(), "wrong number of answers");
        raw[0].option = Some(1);
        raw[10].text = Some("x".repeat(MAX_TEXT_ANSWER + 1));
        assert!(check_answers(&qs, &raw).is_err());
    }

    #[test]
    fn attributes_are_kept_only_for_groups_of_k() {
        let s = |department, band, both| GroupSizes { department, band, both };
        assert_eq!(disclosure(s(5, 5, 5), 5), (true, true));
        assert_eq!(disclosure(s(4, 9, 4), 5), (false, true));
        assert_eq!(disclosure(s(9, 4, 4), 5), (true, false));
        assert_eq!(disclosure(s(9, 9, 1), 5), (true, false), "the pair would single someone out");
        assert_eq!(disclosure(s(2, 2, 1), 5), (false, false));
        assert!(parse_k(4).is_err(), "k only goes up");
        assert_eq!(parse_k(7), Ok(7));
    }

    #[test]
    fn small_groups_are_hidden_and_cannot_be_recovered_by_subtraction() {
        // Three departments of 8, 7 and 3: showing the first two would give away the third as
        // total − 8 − 7, so the smaller of them is hidden as well.
        assert_eq!(visible_groups(18, &[8, 7, 3], 5), vec![true, false, false]);
        // Hidden remainder already ≥ k: nothing more to hide.
        assert_eq!(visible_groups(21, &[8, 7, 3, 3], 5), vec![true, true, false, false]);
        // Responses without a department count as hidden too.
        assert_eq!(visible_groups(17, &[8, 7], 5), vec![true, false]);
        assert_eq!(visible_groups(20, &[8, 7], 5), vec![true, true]);
        // Every group big enough, nothing hidden.
        assert_eq!(visible_groups(15, &[5, 5, 5], 5), vec![true, true, true]);
        // A total under k shows nothing at all.
        assert_eq!(visible_groups(4, &[4], 5), vec![false]);
        // Exhaustively: whatever is shown, the remainder is 0 or ≥ k.
        for a in 0..12u32 {
            for b in 0..12u32 {
                for c in 0..12u32 {
                    for unknown in 0..4u32 {
                        let total = a + b + c + unknown;
                        let shown = visible_groups(total, &[a, b, c], 5);
                        let visible: u32 =
                            [a, b, c].iter().zip(&shown).filter(|(_, s)| **s).map(|(n, _)| n).sum();
                        let hidden = total - visible;
                        assert!(
                            hidden == 0 || hidden >= 5 || shown.iter().all(|s| !s),
                            "{a} {b} {c} {unknown}: {shown:?}"
                        );
                        for (n, s) in [a, b, c].iter().zip(&shown) {
                            assert!(!s || *n >= 5);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn topics_are_scored_weakest_first() {
        let qs = baseline_template();
        // Q0 (X basics): 2 of 10 right. Q2 (LinkedIn): 9 of 10 right. Likert Q6 does not score.
        let tallies = [
            Tally { question: 0, option: 1, count: 2 },
            Tally { question: 0, option: 0, count: 8 },
            Tally { question: 2, option: 1, count: 9 },
            Tally { question: 2, option: 3, count: 1 },
            Tally { question: 6, option: 4, count: 10 },
        ];
        let scores = topic_scores(&qs, &tallies);
        assert_eq!(scores[0].topic, "X basics");
        assert_eq!(scores[0].score(), Some(0.2));
        assert_eq!(scores[1].topic, "LinkedIn");
        assert_eq!((scores[1].correct, scores[1].answered), (9, 10));
        assert_eq!(scores.len(), 2);
    }
}
