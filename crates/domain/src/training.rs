//! Training (SPEC §3): courses with ordered lessons and an auto-graded quiz, and the rules that
//! assign a course where a knowledge survey shows a gap. Plain rules, no I/O:
//! - what a course, a lesson and a quiz question may be ([`CourseSpec`], [`LessonSpec`],
//!   [`QuizQuestionSpec`]);
//! - grading an attempt ([`grade`]), passing ([`passed`]) and completing a course ([`completed`]);
//! - which report columns a gap rule targets ([`gap_targets`]).

use crate::{DepartmentId, error::Invalid, survey::Band};
use std::collections::BTreeSet;

pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 5_000;
pub const MAX_AUDIENCE: usize = 120;
pub const MAX_TOPICS: usize = 10;
/// The same bound as a survey question's topic, so every survey topic can be taught.
pub const MAX_TOPIC: usize = crate::survey::MAX_TOPIC;
pub const MAX_LESSON_BODY: usize = 50_000;
pub const MAX_LESSONS: usize = 100;
pub const MAX_QUESTIONS: usize = 50;
pub const MAX_PROMPT: usize = 500;
pub const MAX_OPTIONS: usize = 10;
pub const MAX_OPTION: usize = 200;
pub const MAX_REASON: usize = 300;
/// The pass mark a course gets unless its author sets another.
pub const DEFAULT_PASS_MARK: u8 = 80;

fn text(
    raw: &str,
    field: &'static str,
    max: usize,
    required: Option<&str>,
    problems: &mut Vec<Invalid>,
) -> String {
    let t = raw.trim();
    if t.is_empty() {
        if let Some(message) = required {
            problems.push(Invalid::new(field, message));
        }
    } else if t.chars().count() > max {
        problems.push(Invalid::new(field, format!("at most {max} characters")));
    }
    t.to_owned()
}

/// Trims a topic and checks its length.
pub fn parse_topic(raw: &str) -> Result<String, Invalid> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(Invalid::new("topic", "name the topic"));
    }
    if t.chars().count() > MAX_TOPIC {
        return Err(Invalid::new("topic", format!("at most {MAX_TOPIC} characters")));
    }
    Ok(t.to_owned())
}

/// Whether two topic names are the same topic ("x basics" is "X basics").
pub fn same_topic(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Checks a pass mark or a rule's threshold: a whole percent from 1 to 100.
pub fn parse_percent(raw: i64, field: &'static str) -> Result<u8, Invalid> {
    u8::try_from(raw)
        .ok()
        .filter(|p| (1..=100).contains(p))
        .ok_or_else(|| Invalid::new(field, "must be a whole percent from 1 to 100"))
}

/// A course as an admin writes it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseSpec {
    pub title: String,
    pub description: String,
    /// Who it is for, in words ("New to social media", "Executives").
    pub audience: String,
    /// What it teaches: the topic names the knowledge survey uses, de-duplicated caselessly.
    pub topics: Vec<String>,
    /// Percent of quiz answers needed to pass.
    pub pass_mark: u8,
}

impl CourseSpec {
    /// Checks every field at once; a missing pass mark is [`DEFAULT_PASS_MARK`].
    pub fn parse(
        title: &str,
        description: &str,
        audience: &str,
        topics: &[String],
        pass_mark: Option<i64>,
    ) -> Result<Self, Vec<Invalid>> {
        let mut problems = Vec::new();
        let title = text(title, "title", MAX_TITLE, Some("a course needs a title"), &mut problems);
        let description = text(description, "description", MAX_DESCRIPTION, None, &mut problems);
        let audience = text(audience, "audience", MAX_AUDIENCE, None, &mut problems);
        let mut seen = BTreeSet::new();
        let mut clean = Vec::new();
        for t in topics.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            if t.chars().count() > MAX_TOPIC {
                problems
                    .push(Invalid::new("topics", format!("each topic has at most {MAX_TOPIC} characters")));
                break;
            }
            if seen.insert(t.to_lowercase()) {
                clean.push(t.to_owned());
            }
        }
        if clean.len() > MAX_TOPICS {
            problems.push(Invalid::new("topics", format!("at most {MAX_TOPICS} topics per course")));
        }
        let pass_mark = match pass_mark {
            None => DEFAULT_PASS_MARK,
            Some(p) => parse_percent(p, "pass_mark").unwrap_or_else(|e| {
                problems.push(e);
                DEFAULT_PASS_MARK
            }),
        };
        if problems.is_empty() {
            Ok(Self { title, description, audience, topics: clean, pass_mark })
        } else {
            Err(problems)
        }
    }

    /// Whether the course teaches a topic.
    pub fn teaches(&self, topic: &str) -> bool {
        self.topics.iter().any(|t| same_topic(t, topic))
    }
}

/// A lesson: a title and a Markdown body (media referenced by URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonSpec {
    pub title: String,
    pub body: String,
}

impl LessonSpec {
    pub fn parse(title: &str, body: &str) -> Result<Self, Vec<Invalid>> {
        let mut problems = Vec::new();
        let title = text(title, "title", MAX_TITLE, Some("a lesson needs a title"), &mut problems);
        let body = text(body, "body", MAX_LESSON_BODY, Some("write the lesson itself"), &mut problems);
        if problems.is_empty() { Ok(Self { title, body }) } else { Err(problems) }
    }
}

/// A multiple-choice quiz question with exactly one correct option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuizQuestionSpec {
    pub prompt: String,
    pub options: Vec<String>,
    /// Index of the correct option. Never shown to people taking the course.
    pub correct: u8,
}

impl QuizQuestionSpec {
    /// Checks a question: a prompt, 2 to [`MAX_OPTIONS`] different options (empty lines
    /// dropped), and a correct index among them (0-based).
    pub fn parse(prompt: &str, options: &[String], correct: Option<i64>) -> Result<Self, Vec<Invalid>> {
        let mut problems = Vec::new();
        let prompt = text(prompt, "prompt", MAX_PROMPT, Some("a question needs a prompt"), &mut problems);
        let options: Vec<String> =
            options.iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
        if !(2..=MAX_OPTIONS).contains(&options.len()) {
            problems.push(Invalid::new("options", format!("a question needs 2 to {MAX_OPTIONS} options")));
        } else if options.iter().any(|o| o.chars().count() > MAX_OPTION) {
            problems
                .push(Invalid::new("options", format!("each option has at most {MAX_OPTION} characters")));
        } else if options.iter().map(|o| o.to_lowercase()).collect::<BTreeSet<_>>().len() != options.len() {
            problems.push(Invalid::new("options", "two options say the same thing"));
        }
        let correct = match correct {
            None => {
                problems.push(Invalid::new("correct", "mark which option is correct"));
                0
            }
            Some(c) => match u8::try_from(c).ok().filter(|c| usize::from(*c) < options.len()) {
                Some(c) => c,
                None => {
                    problems.push(Invalid::new("correct", "must be one of the options"));
                    0
                }
            },
        };
        if problems.is_empty() { Ok(Self { prompt, options, correct }) } else { Err(problems) }
    }
}

/// Checks a reason given for an assignment; empty means "use the default".
pub fn parse_reason(raw: &str) -> Result<Option<String>, Invalid> {
    let t = raw.trim();
    if t.chars().count() > MAX_REASON {
        return Err(Invalid::new("reason", format!("at most {MAX_REASON} characters")));
    }
    Ok((!t.is_empty()).then(|| t.to_owned()))
}

// ------------------------------------------------------------------------------------ grading

/// Grades an attempt: `answers` holds the chosen option per question, in the quiz's order.
/// Answers the score in whole percent (rounded half up). Refuses answers that do not match the
/// quiz (wrong count, an option the question does not have).
pub fn grade(questions: &[QuizQuestionSpec], answers: &[i64]) -> Result<u8, Invalid> {
    if questions.is_empty() {
        return Err(Invalid::new("answers", "this course has no quiz"));
    }
    if answers.len() != questions.len() {
        return Err(Invalid::new(
            "answers",
            format!("answer each of the {} questions, in order, with one option each", questions.len()),
        ));
    }
    let mut right = 0usize;
    for (i, (q, a)) in questions.iter().zip(answers).enumerate() {
        let option = usize::try_from(*a)
            .ok()
            .filter(|o| *o < q.options.len())
            .ok_or_else(|| Invalid::new("answers", format!("question {}: no such option", i + 1)))?;
        if option == usize::from(q.correct) {
            right += 1;
        }
    }
    let score = (right * 200 + questions.len()) / (questions.len() * 2);
    Ok(u8::try_from(score).unwrap_or(100))
}

/// Whether a score reaches the pass mark.
pub fn passed(score: u8, pass_mark: u8) -> bool {
    score >= pass_mark
}

/// A course is completed when every lesson is done and the quiz is passed (best score kept
/// over retakes), or when it has no quiz. A course with neither lessons nor quiz has nothing
/// to complete yet.
pub fn completed(
    lessons: usize,
    lessons_done: usize,
    questions: usize,
    best_score: Option<u8>,
    pass_mark: u8,
) -> bool {
    (lessons > 0 || questions > 0)
        && lessons_done >= lessons
        && (questions == 0 || best_score.is_some_and(|s| passed(s, pass_mark)))
}

// -------------------------------------------------------------------------------- gap rules

/// A group of a survey report that a gap rule can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapGroup {
    /// The survey's whole audience (the report's `all` column).
    Everyone,
    Department(DepartmentId),
    Band(Band),
}

impl GapGroup {
    /// Reads a report column key: `all`, `d:<department id>` or `b:<band>`.
    pub fn parse_key(key: &str) -> Option<Self> {
        match key.split_once(':') {
            None if key == "all" => Some(Self::Everyone),
            Some(("d", d)) => d.parse().ok().map(Self::Department),
            Some(("b", b)) => Band::parse(b).map(Self::Band),
            _ => None,
        }
    }
}

/// Whether a shown score is a gap for a threshold. A hidden score (`None`) is never a gap.
pub fn below(score: Option<u32>, threshold: u8) -> bool {
    score.is_some_and(|s| s < u32::from(threshold))
}

/// Which columns of a report a rule targets, given each column's group and its score for the
/// rule's topic (`None`: hidden, or not answered in that group).
///
/// Every department or band column whose shown score is below the threshold is a target. When
/// no group column shows a score at all, the whole audience is the target if its score is
/// below. Groups with hidden scores are never singled out, and when some groups show scores
/// that are all fine, the whole audience is not targeted for what hidden groups pulled down.
pub fn gap_targets(columns: &[(GapGroup, Option<u32>)], threshold: u8) -> Vec<usize> {
    let groups: Vec<usize> = (0..columns.len()).filter(|&i| columns[i].0 != GapGroup::Everyone).collect();
    if groups.iter().any(|&i| columns[i].1.is_some()) {
        return groups.into_iter().filter(|&i| below(columns[i].1, threshold)).collect();
    }
    columns.iter().position(|(g, s)| *g == GapGroup::Everyone && below(*s, threshold)).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn fields(e: Vec<Invalid>) -> Vec<&'static str> {
        e.iter().map(|i| i.field).collect()
    }

    #[test]
    fn courses_are_checked_and_topics_cleaned() {
        let c = CourseSpec::parse(
            " X for beginners ",
            "",
            "New to social media",
            &strings(&["X basics", "x BASICS", " "]),
            None,
        )
        .expect("valid");
        assert_eq!(c.title, "X for beginners");
        assert_eq!(c.topics, vec!["X basics"]);
        assert_eq!(c.pass_mark, DEFAULT_PASS_MARK);
        assert!(c.teaches("x basics ") && !c.teaches("LinkedIn"));
        let e = CourseSpec::parse(
            " ",
            &"d".repeat(MAX_DESCRIPTION + 1),
            &"a".repeat(MAX_AUDIENCE + 1),
            &[],
            Some(0),
        )
        .expect_err("invalid");
        assert_eq!(fields(e), vec!["title", "description", "audience", "pass_mark"]);
        assert!(CourseSpec::parse("T", "", "", &[], Some(101)).is_err());
        assert_eq!(CourseSpec::parse("T", "", "", &[], Some(100)).map(|c| c.pass_mark), Ok(100));
        let many: Vec<String> = (0..=MAX_TOPICS).map(|i| format!("Topic {i}")).collect();
        assert!(CourseSpec::parse("T", "", "", &many, None).is_err());
        assert!(CourseSpec::parse("T", "", "", &["t".repeat(MAX_TOPIC + 1)], None).is_err());
    }

    #[test]
    fn lessons_and_questions_are_checked() {
        assert!(LessonSpec::parse("Intro", "Read **this**").is_ok());
        assert_eq!(fields(LessonSpec::parse(" ", " ").expect_err("invalid")), vec!["title", "body"]);
        let q =
            QuizQuestionSpec::parse(" How long? ", &strings(&["140", "", "280"]), Some(1)).expect("valid");
        assert_eq!((q.prompt.as_str(), q.options.len(), q.correct), ("How long?", 2, 1));
        assert!(
            QuizQuestionSpec::parse("Q", &strings(&["only one"]), Some(0)).is_err(),
            "two options at least"
        );
        assert!(
            QuizQuestionSpec::parse("Q", &strings(&["a", "b"]), Some(2)).is_err(),
            "correct out of range"
        );
        assert!(QuizQuestionSpec::parse("Q", &strings(&["a", "b"]), Some(-1)).is_err());
        assert!(QuizQuestionSpec::parse("Q", &strings(&["a", "b"]), None).is_err());
        assert!(
            QuizQuestionSpec::parse("Q", &strings(&["a", "A"]), Some(0)).is_err(),
            "the same option twice"
        );
        assert!(parse_reason(&"r".repeat(MAX_REASON + 1)).is_err());
        assert_eq!(parse_reason("  "), Ok(None));
        assert!(parse_percent(0, "threshold").is_err() && parse_percent(101, "threshold").is_err());
        assert_eq!(parse_percent(60, "threshold"), Ok(60));
        assert!(parse_topic(" ").is_err());
    }

    #[test]
    fn attempts_are_graded_and_checked_against_the_quiz() {
        let q =
            |correct| QuizQuestionSpec { prompt: "Q".into(), options: strings(&["a", "b", "c"]), correct };
        let quiz = [q(1), q(0)];
        assert_eq!(grade(&quiz, &[1, 0]), Ok(100));
        assert_eq!(grade(&quiz, &[1, 2]), Ok(50));
        assert_eq!(grade(&quiz, &[0, 2]), Ok(0));
        assert_eq!(grade(&[q(0), q(0), q(0)], &[0, 1, 1]), Ok(33));
        assert_eq!(grade(&[q(0), q(0), q(0)], &[0, 0, 1]), Ok(67), "rounded half up");
        assert!(grade(&quiz, &[1]).is_err(), "one answer per question");
        assert!(grade(&quiz, &[1, 3]).is_err(), "no such option");
        assert!(grade(&quiz, &[1, -1]).is_err());
        assert!(grade(&[], &[]).is_err(), "no quiz to take");
        assert!(passed(80, 80) && !passed(79, 80));
    }

    #[test]
    fn a_course_is_completed_with_every_lesson_and_a_pass() {
        assert!(completed(2, 2, 2, Some(100), 80));
        assert!(!completed(2, 1, 2, Some(100), 80), "a lesson is missing");
        assert!(!completed(2, 2, 2, Some(50), 80), "not passed");
        assert!(!completed(2, 2, 2, None, 80), "not taken");
        assert!(completed(2, 2, 0, None, 80), "no quiz: the lessons are enough");
        assert!(completed(0, 0, 1, Some(80), 80));
        assert!(!completed(0, 0, 0, None, 80), "an empty course has nothing to complete");
    }

    #[test]
    fn gap_rules_target_shown_groups_below_the_threshold() {
        let sales = DepartmentId::new();
        let legal = DepartmentId::new();
        assert_eq!(GapGroup::parse_key("all"), Some(GapGroup::Everyone));
        assert_eq!(GapGroup::parse_key(&format!("d:{sales}")), Some(GapGroup::Department(sales)));
        assert_eq!(GapGroup::parse_key("b:senior"), Some(GapGroup::Band(Band::Senior)));
        assert_eq!(GapGroup::parse_key("b:nobody"), None);
        assert_eq!(GapGroup::parse_key("d:nope"), None);

        let columns = [
            (GapGroup::Everyone, Some(40)),
            (GapGroup::Department(sales), Some(20)),
            (GapGroup::Department(legal), Some(90)),
            (GapGroup::Band(Band::Early), None),
            (GapGroup::Band(Band::Senior), Some(59)),
        ];
        assert_eq!(gap_targets(&columns, 60), vec![1, 4], "hidden groups and high scorers are left alone");
        assert_eq!(gap_targets(&columns, 10), Vec::<usize>::new());
        // No group shows a score: everyone, if everyone is below.
        let only_all = [(GapGroup::Everyone, Some(40)), (GapGroup::Department(sales), None)];
        assert_eq!(gap_targets(&only_all, 60), vec![0]);
        assert_eq!(gap_targets(&only_all, 40), Vec::<usize>::new(), "at the threshold is not below");
        assert_eq!(gap_targets(&[(GapGroup::Everyone, None)], 60), Vec::<usize>::new());
        // Groups shown and all fine: the whole audience is not targeted for hidden groups.
        let fine = [(GapGroup::Everyone, Some(50)), (GapGroup::Department(legal), Some(90))];
        assert_eq!(gap_targets(&fine, 60), Vec::<usize>::new());
        assert!(same_topic("X Basics", " x basics"));
    }
}
