//! Submissions and their review workflow (SPEC §2 steps 1–3, §6).

use crate::Invalid;
use std::{fmt, str::FromStr};

/// What a contributor hands the social team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Photo,
    Video,
    Article,
    BlogPost,
    Podcast,
    Infographic,
    Idea,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Photo,
        Kind::Video,
        Kind::Article,
        Kind::BlogPost,
        Kind::Podcast,
        Kind::Infographic,
        Kind::Idea,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Photo => "photo",
            Kind::Video => "video",
            Kind::Article => "article",
            Kind::BlogPost => "blog_post",
            Kind::Podcast => "podcast",
            Kind::Infographic => "infographic",
            Kind::Idea => "idea",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Photo => "Photo",
            Kind::Video => "Video",
            Kind::Article => "Article (link)",
            Kind::BlogPost => "Blog post",
            Kind::Podcast => "Podcast",
            Kind::Infographic => "Infographic",
            Kind::Idea => "Idea",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s.trim()).ok_or_else(|| {
            Invalid::new(
                "kind",
                "must be one of photo, video, article, blog_post, podcast, infographic, idea",
            )
        })
    }
}

/// Where a submission stands in its life (SPEC §6 `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    LeadReview,
    TeamReview,
    ChangesRequested,
    Approved,
    Rejected,
    Scheduled,
    Published,
    Archived,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Draft,
        Status::LeadReview,
        Status::TeamReview,
        Status::ChangesRequested,
        Status::Approved,
        Status::Rejected,
        Status::Scheduled,
        Status::Published,
        Status::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::LeadReview => "lead_review",
            Status::TeamReview => "team_review",
            Status::ChangesRequested => "changes_requested",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Scheduled => "scheduled",
            Status::Published => "published",
            Status::Archived => "archived",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::LeadReview => "Waiting for the department lead",
            Status::TeamReview => "Waiting for the social media team",
            Status::ChangesRequested => "Changes requested",
            Status::Approved => "Approved",
            Status::Rejected => "Rejected",
            Status::Scheduled => "Scheduled",
            Status::Published => "Published",
            Status::Archived => "Archived",
        }
    }

    /// Waiting for a reviewer.
    pub fn in_review(self) -> bool {
        matches!(self, Status::LeadReview | Status::TeamReview)
    }

    /// Approved content and what became of it: the library shows these.
    pub fn is_approved(self) -> bool {
        matches!(self, Status::Approved | Status::Scheduled | Status::Published)
    }

    /// The author (and co-authors) can change the content.
    pub fn with_author(self) -> bool {
        matches!(self, Status::Draft | Status::ChangesRequested)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| Invalid::new("status", format!("unknown status {:?}", s.trim())))
    }
}

/// A reviewer's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    RequestChanges,
    Reject,
}

impl Decision {
    pub const ALL: [Decision; 3] = [Decision::Approve, Decision::RequestChanges, Decision::Reject];

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::RequestChanges => "request_changes",
            Decision::Reject => "reject",
        }
    }

    /// A request for changes says what to change; a rejection says why.
    pub fn needs_comment(self) -> bool {
        !matches!(self, Decision::Approve)
    }
}

impl FromStr for Decision {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Decision::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| Invalid::new("decision", "must be one of approve, request_changes, reject"))
    }
}

/// How the person acting relates to one submission. Computed by the use case from the
/// submission's authors and department and the actor's role and leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Standing {
    /// The author or a co-author.
    pub author: bool,
    /// Leads the submission's department.
    pub lead: bool,
    /// On the social media team, or an owner or admin: the final say.
    pub team: bool,
}

/// One step of the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Hand the submission in (from a draft, or again after changes were requested).
    Submit,
    Decide(Decision),
    /// The author takes a submission back from review to keep working on it.
    Withdraw,
    /// Take approved or rejected content out of circulation.
    Archive,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Submit => "submit",
            Step::Decide(d) => d.as_str(),
            Step::Withdraw => "withdraw",
            Step::Archive => "archive",
        }
    }
}

impl FromStr for Step {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "submit" => Step::Submit,
            "withdraw" => Step::Withdraw,
            "archive" => Step::Archive,
            other => Step::Decide(other.parse::<Decision>().map_err(|_| {
                Invalid::new(
                    "decision",
                    "must be one of submit, approve, request_changes, reject, withdraw, archive",
                )
            })?),
        })
    }
}

/// Why a step was refused. `Forbidden` is about who is asking (HTTP 403); `Illegal` is about
/// where the submission stands (HTTP 409) and lists what is possible from there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Forbidden(&'static str),
    Illegal { from: Status, step: &'static str, allowed: Vec<&'static str> },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Forbidden(why) => f.write_str(why),
            Refusal::Illegal { from, step, allowed } if allowed.is_empty() => {
                write!(f, "cannot {step} a submission that is {from}: nothing can be done to it now")
            }
            Refusal::Illegal { from, step, allowed } => write!(
                f,
                "cannot {step} a submission that is {from}; allowed from {from}: {}",
                allowed.join(", ")
            ),
        }
    }
}

/// Organization settings and facts that shape the route through review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The organization keeps the department-lead stage (on by default).
    pub lead_stage_enabled: bool,
    /// The author's department has a lead other than the author.
    pub department_has_lead: bool,
}

impl Route {
    /// Where a submission goes when handed in.
    pub fn first_stage(self) -> Status {
        if self.lead_stage_enabled && self.department_has_lead {
            Status::LeadReview
        } else {
            Status::TeamReview
        }
    }
}

/// Every step the workflow knows, for listing what is allowed.
const STEPS: [Step; 6] = [
    Step::Submit,
    Step::Decide(Decision::Approve),
    Step::Decide(Decision::RequestChanges),
    Step::Decide(Decision::Reject),
    Step::Withdraw,
    Step::Archive,
];

/// The state machine of SPEC §6: where `step` takes a submission that is `from`.
/// Pure: the caller checks the result against the stored version and records the transition.
pub fn next(from: Status, step: Step, route: Route) -> Option<Status> {
    use Status::*;
    match (from, step) {
        (Draft | ChangesRequested, Step::Submit) => Some(route.first_stage()),
        (LeadReview, Step::Decide(Decision::Approve)) => Some(TeamReview),
        (TeamReview, Step::Decide(Decision::Approve)) => Some(Approved),
        (LeadReview | TeamReview, Step::Decide(Decision::RequestChanges)) => Some(ChangesRequested),
        (LeadReview | TeamReview, Step::Decide(Decision::Reject)) => Some(Rejected),
        (LeadReview | TeamReview, Step::Withdraw) => Some(Draft),
        (Approved | Rejected | ChangesRequested, Step::Archive) => Some(Archived),
        _ => None,
    }
}

/// Who may take `step` on a submission that is `from`.
fn permitted(from: Status, step: Step, who: Standing) -> Result<(), &'static str> {
    let ok = match step {
        Step::Submit | Step::Withdraw => who.author,
        // The lead stage is the department's: its lead decides (never on their own work), or
        // the team, who keep the final say. The team stage is the team's alone.
        Step::Decide(_) if from == Status::LeadReview => (who.lead && !who.author) || who.team,
        Step::Decide(_) => who.team,
        Step::Archive => who.team,
    };
    if ok {
        return Ok(());
    }
    Err(match step {
        Step::Submit => "only the author or a co-author can submit this",
        Step::Withdraw => "only the author or a co-author can withdraw this",
        Step::Decide(_) if from == Status::LeadReview => {
            "only the department's lead or the social media team can decide at this stage"
        }
        Step::Decide(_) => "only the social media team can decide at this stage",
        Step::Archive => "only the social media team can archive content",
    })
}

/// Checks one step completely: the state machine first (409 with what is allowed), then who is
/// asking (403). A lead approving at the lead stage sends the submission on to the team; the
/// team approving at the lead stage approves it outright, since theirs is the final say.
pub fn transition(from: Status, step: Step, who: Standing, route: Route) -> Result<Status, Refusal> {
    let Some(mut to) = next(from, step, route) else {
        return Err(Refusal::Illegal {
            from,
            step: step.as_str(),
            allowed: STEPS
                .into_iter()
                .filter(|s| next(from, *s, route).is_some())
                .map(Step::as_str)
                .collect(),
        });
    };
    permitted(from, step, who).map_err(Refusal::Forbidden)?;
    if from == Status::LeadReview && step == Step::Decide(Decision::Approve) && who.team && !who.lead {
        to = Status::Approved;
    }
    Ok(to)
}

/// Who can see a submission: its authors always; reviewers once it has been handed in; everyone
/// once it is approved, and ideas once they are on the board.
pub fn visible(status: Status, kind: Kind, who: Standing) -> bool {
    if who.author {
        return true;
    }
    match status {
        Status::Draft => false,
        s if s.is_approved() => true,
        _ if kind == Kind::Idea && status != Status::Rejected => true,
        _ => who.team || who.lead,
    }
}

/// Who can change the content now. Authors work on drafts and requested changes; reviewers may
/// edit the caption while it waits for them (every edit becomes a revision).
pub fn editable(status: Status, who: Standing) -> bool {
    match status {
        Status::Draft | Status::ChangesRequested => who.author,
        Status::LeadReview => (who.lead && !who.author) || who.team,
        Status::TeamReview | Status::Approved => who.team,
        _ => false,
    }
}

/// Ideas gather votes and comments on the idea board while they are alive.
pub fn open_for_votes(status: Status, kind: Kind) -> bool {
    kind == Kind::Idea && !matches!(status, Status::Draft | Status::Rejected | Status::Archived)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITH_LEAD: Route = Route { lead_stage_enabled: true, department_has_lead: true };
    const NO_LEAD: Route = Route { lead_stage_enabled: true, department_has_lead: false };
    const STAGE_OFF: Route = Route { lead_stage_enabled: false, department_has_lead: true };
    const AUTHOR: Standing = Standing { author: true, lead: false, team: false };
    const LEAD: Standing = Standing { author: false, lead: true, team: false };
    const TEAM: Standing = Standing { author: false, lead: false, team: true };
    const OTHER: Standing = Standing { author: false, lead: false, team: false };

    #[test]
    fn submission_goes_to_the_lead_only_when_there_is_one_and_the_stage_is_on() {
        assert_eq!(transition(Status::Draft, Step::Submit, AUTHOR, WITH_LEAD), Ok(Status::LeadReview));
        assert_eq!(transition(Status::Draft, Step::Submit, AUTHOR, NO_LEAD), Ok(Status::TeamReview));
        assert_eq!(transition(Status::Draft, Step::Submit, AUTHOR, STAGE_OFF), Ok(Status::TeamReview));
    }

    #[test]
    fn the_full_happy_path() {
        let s = transition(Status::Draft, Step::Submit, AUTHOR, WITH_LEAD).expect("submit");
        let s = transition(s, Step::Decide(Decision::Approve), LEAD, WITH_LEAD).expect("lead");
        assert_eq!(s, Status::TeamReview);
        let s = transition(s, Step::Decide(Decision::Approve), TEAM, WITH_LEAD).expect("team");
        assert_eq!(s, Status::Approved);
    }

    #[test]
    fn changes_requested_goes_back_to_the_author_who_resubmits() {
        let s = transition(Status::TeamReview, Step::Decide(Decision::RequestChanges), TEAM, NO_LEAD);
        assert_eq!(s, Ok(Status::ChangesRequested));
        assert_eq!(
            transition(Status::ChangesRequested, Step::Submit, AUTHOR, WITH_LEAD),
            Ok(Status::LeadReview)
        );
    }

    #[test]
    fn the_team_can_decide_at_the_lead_stage_and_its_approval_is_final() {
        assert_eq!(
            transition(Status::LeadReview, Step::Decide(Decision::Approve), TEAM, WITH_LEAD),
            Ok(Status::Approved)
        );
    }

    #[test]
    fn leads_cannot_decide_at_the_team_stage_and_others_never() {
        let lead = transition(Status::TeamReview, Step::Decide(Decision::Approve), LEAD, WITH_LEAD);
        assert!(matches!(lead, Err(Refusal::Forbidden(_))));
        let other = transition(Status::LeadReview, Step::Decide(Decision::Reject), OTHER, WITH_LEAD);
        assert!(matches!(other, Err(Refusal::Forbidden(_))));
        // Authors cannot approve their own work, even if they are on the team, through this
        // standing alone.
        let author = transition(Status::TeamReview, Step::Decide(Decision::Approve), AUTHOR, NO_LEAD);
        assert!(matches!(author, Err(Refusal::Forbidden(_))));
    }

    #[test]
    fn a_lead_never_reviews_their_own_work() {
        let lead_author = Standing { author: true, lead: true, team: false };
        let r = transition(Status::LeadReview, Step::Decide(Decision::Approve), lead_author, WITH_LEAD);
        assert!(matches!(r, Err(Refusal::Forbidden(_))), "{r:?}");
        assert!(!editable(Status::LeadReview, lead_author));
    }

    #[test]
    fn an_illegal_step_says_what_is_allowed() {
        let err = transition(Status::Approved, Step::Decide(Decision::Approve), TEAM, WITH_LEAD)
            .expect_err("already approved");
        assert_eq!(
            err,
            Refusal::Illegal { from: Status::Approved, step: "approve", allowed: vec!["archive"] }
        );
        assert_eq!(
            err.to_string(),
            "cannot approve a submission that is approved; allowed from approved: archive"
        );
        let err =
            transition(Status::Draft, Step::Decide(Decision::Reject), TEAM, WITH_LEAD).expect_err("draft");
        assert!(err.to_string().contains("allowed from draft: submit"), "{err}");
    }

    #[test]
    fn every_status_and_step_is_either_a_transition_or_an_illegal_refusal() {
        for from in Status::ALL {
            for step in STEPS {
                let all = Standing { author: true, lead: true, team: true };
                match transition(from, step, all, WITH_LEAD) {
                    Ok(to) => assert_eq!(Some(to), next(from, step, WITH_LEAD)),
                    Err(Refusal::Illegal { allowed, .. }) => assert!(!allowed.contains(&step.as_str())),
                    Err(Refusal::Forbidden(why)) => panic!("{from} {step:?} forbidden to everyone: {why}"),
                }
            }
        }
    }

    #[test]
    fn visibility() {
        assert!(!visible(Status::Draft, Kind::Photo, TEAM));
        assert!(visible(Status::Draft, Kind::Photo, AUTHOR));
        assert!(!visible(Status::TeamReview, Kind::Photo, OTHER));
        assert!(visible(Status::TeamReview, Kind::Idea, OTHER));
        assert!(visible(Status::Approved, Kind::Video, OTHER));
        assert!(!visible(Status::Rejected, Kind::Idea, OTHER));
        assert!(visible(Status::LeadReview, Kind::Photo, LEAD));
    }

    #[test]
    fn editing() {
        assert!(editable(Status::Draft, AUTHOR));
        assert!(!editable(Status::TeamReview, AUTHOR));
        assert!(editable(Status::TeamReview, TEAM));
        assert!(!editable(Status::TeamReview, LEAD));
        assert!(editable(Status::LeadReview, LEAD));
        assert!(!editable(Status::Published, TEAM));
    }

    #[test]
    fn parsing_round_trips() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        }
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>(), Ok(k));
        }
        for d in Decision::ALL {
            assert_eq!(d.as_str().parse::<Decision>(), Ok(d));
        }
        assert!("photograph".parse::<Kind>().is_err());
    }
}

/// Content rules: what a title, caption, link, tags and suggested channels may be.
pub mod content {
    use crate::Invalid;

    pub const TITLE_MAX: usize = 200;
    pub const BODY_MAX: usize = 100_000;
    pub const LINK_MAX: usize = 2_048;
    pub const TAG_MAX: usize = 40;
    pub const TAGS_MAX: usize = 20;
    /// Where a submission may be suggested for: the networks, and the company blog.
    pub const CHANNELS: [&str; 7] = ["x", "bluesky", "mastodon", "linkedin", "facebook", "threads", "blog"];

    /// Keeps line breaks and tabs, drops every other control character (they only ever hide
    /// things), and normalizes line endings.
    fn clean(s: &str) -> String {
        s.replace("\r\n", "\n").chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect()
    }

    pub fn title(s: &str) -> Result<String, Invalid> {
        let t = clean(s).split_whitespace().collect::<Vec<_>>().join(" ");
        if t.is_empty() {
            Err(Invalid::new("title", "is required"))
        } else if t.chars().count() > TITLE_MAX {
            Err(Invalid::new("title", format!("may be at most {TITLE_MAX} characters")))
        } else {
            Ok(t)
        }
    }

    pub fn body(s: &str) -> Result<String, Invalid> {
        let b = clean(s);
        let b = b.trim_end().to_owned();
        if b.chars().count() > BODY_MAX {
            Err(Invalid::new("body", format!("may be at most {BODY_MAX} characters")))
        } else {
            Ok(b)
        }
    }

    /// An absolute http(s) link without credentials in it; empty means none.
    pub fn link(s: &str) -> Result<Option<String>, Invalid> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        let bad = |m: &str| Invalid::new("link", m.to_owned());
        if s.len() > LINK_MAX {
            return Err(bad("is too long"));
        }
        let url = url::Url::parse(s)
            .map_err(|_| bad("must be a full web address, like https://example.com/page"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("must start with http:// or https://"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("must name a web site"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("must not contain a user name or password"));
        }
        Ok(Some(url.to_string()))
    }

    /// Tags are normalized: no leading '#', lower case, letters, digits, '-' and '_' only.
    pub fn tags<S: AsRef<str>>(items: &[S]) -> Result<Vec<String>, Invalid> {
        let mut out: Vec<String> = Vec::new();
        for raw in items.iter().flat_map(|s| s.as_ref().split([',', ' ']).collect::<Vec<_>>()) {
            let tag = raw.trim().trim_start_matches('#').to_lowercase();
            if tag.is_empty() {
                continue;
            }
            if !tag.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
                return Err(Invalid::new("tags", format!("{tag:?}: use letters, digits, - and _ only")));
            }
            if tag.chars().count() > TAG_MAX {
                return Err(Invalid::new("tags", format!("a tag may be at most {TAG_MAX} characters")));
            }
            if !out.contains(&tag) {
                out.push(tag);
            }
        }
        if out.len() > TAGS_MAX {
            return Err(Invalid::new("tags", format!("at most {TAGS_MAX} tags")));
        }
        Ok(out)
    }

    pub fn channels<S: AsRef<str>>(items: &[S]) -> Result<Vec<String>, Invalid> {
        let mut out: Vec<String> = Vec::new();
        for raw in items {
            let c = raw.as_ref().trim().to_lowercase();
            if c.is_empty() {
                continue;
            }
            if !CHANNELS.contains(&c.as_str()) {
                return Err(Invalid::new("channels", format!("{c:?} is not one of {}", CHANNELS.join(", "))));
            }
            if !out.contains(&c) {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// The handles mentioned in a text: `@jane.doe` (an e-mail's local part) or a whole
    /// address, `@jane.doe@example.com`. Lower case, each once, in order of appearance.
    pub fn mentions(text: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        for (i, &(pos, c)) in chars.iter().enumerate() {
            // A mention starts at '@' not preceded by a word character (so e-mail addresses
            // written in the text are not mentions of their local part).
            let preceded = i > 0 && chars[i - 1].1.is_alphanumeric();
            if c != '@' || preceded {
                continue;
            }
            let rest = &text[pos + 1..];
            let end = rest
                .char_indices()
                .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '@')))
                .map_or(rest.len(), |(i, _)| i);
            let handle = rest[..end].trim_end_matches(['.', '-', '@']).to_lowercase();
            if !handle.is_empty() && !out.contains(&handle) {
                out.push(handle);
            }
        }
        out
    }

    /// What a kind needs before it can be handed in. Drafts may be incomplete (they autosave).
    /// `media` lists the classes of the attached files: "image", "video", "audio", "pdf".
    pub fn complete(
        kind: super::Kind,
        body: &str,
        link: Option<&str>,
        media: &[&str],
    ) -> Result<(), Vec<Invalid>> {
        use super::Kind::*;
        let has = |class: &str| media.contains(&class);
        let problem = match kind {
            Photo if !has("image") => Some(("media", "add a photo")),
            Video if !has("video") => Some(("media", "add a video file")),
            Article if link.is_none() => Some(("link", "add the article's link")),
            BlogPost if body.trim().is_empty() => Some(("body", "write the post")),
            Podcast if !has("audio") && link.is_none() => {
                Some(("media", "add the audio file or a link to the episode"))
            }
            Infographic if !has("image") && !has("pdf") => {
                Some(("media", "add the infographic as an image or a PDF"))
            }
            _ => None,
        };
        match problem {
            Some((field, message)) => Err(vec![Invalid::new(field, message)]),
            None => Ok(()),
        }
    }

    /// One piece of a word-level difference between two texts.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct Change {
        /// "same", "added" or "removed".
        pub op: &'static str,
        pub text: String,
    }

    /// What changed from `old` to `new`, word by word (whitespace kept), adjacent pieces of the
    /// same kind merged.
    pub fn diff(old: &str, new: &str) -> Vec<Change> {
        use similar::{ChangeTag, TextDiff};
        let mut out: Vec<Change> = Vec::new();
        for change in TextDiff::from_words(old, new).iter_all_changes() {
            let op = match change.tag() {
                ChangeTag::Equal => "same",
                ChangeTag::Insert => "added",
                ChangeTag::Delete => "removed",
            };
            match out.last_mut() {
                Some(last) if last.op == op => last.text.push_str(change.value()),
                _ => out.push(Change { op, text: change.value().to_owned() }),
            }
        }
        out
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::submission::Kind;

        #[test]
        fn titles_are_trimmed_and_control_characters_dropped() {
            assert_eq!(title("  Field day\u{0} \n at the plant "), Ok("Field day at the plant".into()));
            assert!(title("   ").is_err());
            assert!(title(&"a".repeat(201)).is_err());
            assert_eq!(title(&"é".repeat(200)).map(|t| t.chars().count()), Ok(200));
        }

        #[test]
        fn links_must_be_http_without_credentials() {
            assert_eq!(link(""), Ok(None));
            assert_eq!(link("https://example.com"), Ok(Some("https://example.com/".into())));
            assert!(link("javascript:alert(1)").is_err());
            assert!(link("ftp://example.com/x").is_err());
            assert!(link("https://user:pw@example.com/").is_err());
            assert!(link("example.com").is_err());
        }

        #[test]
        fn tags_are_normalized_and_deduplicated() {
            assert_eq!(
                tags(&["#Solar, wind", "solar", " Straße "]),
                Ok(vec!["solar".into(), "wind".into(), "straße".into()])
            );
            assert!(tags(&["<script>"]).is_err());
        }

        #[test]
        fn channels_are_known_names() {
            assert_eq!(channels(&["LinkedIn", "x", "x"]), Ok(vec!["linkedin".into(), "x".into()]));
            assert!(channels(&["myspace"]).is_err());
        }

        #[test]
        fn mentions_are_handles_not_email_addresses_in_text() {
            assert_eq!(
                mentions("Thanks @Jane.Doe and @sam@acme.example! Mail ops@acme.example. @jane.doe again."),
                vec!["jane.doe".to_owned(), "sam@acme.example".to_owned()]
            );
            assert!(mentions("no one @ all").is_empty());
        }

        #[test]
        fn each_kind_says_what_it_needs() {
            assert!(complete(Kind::Photo, "", None, &[]).is_err());
            assert!(complete(Kind::Photo, "", None, &["image"]).is_ok());
            assert!(complete(Kind::Article, "", None, &[]).is_err());
            assert!(complete(Kind::Article, "", Some("https://x.example/"), &[]).is_ok());
            assert!(complete(Kind::Podcast, "", Some("https://x.example/"), &[]).is_ok());
            assert!(complete(Kind::Infographic, "", None, &["pdf"]).is_ok());
            assert!(complete(Kind::BlogPost, "  ", None, &[]).is_err());
            assert!(complete(Kind::Idea, "", None, &[]).is_ok());
        }

        #[test]
        fn diffs_are_word_level() {
            let d = diff("Our team at the plant", "Our great team at the new plant");
            let added: Vec<&str> = d.iter().filter(|c| c.op == "added").map(|c| c.text.as_str()).collect();
            assert_eq!(added, vec!["great ", "new "]);
            assert!(d.iter().all(|c| c.op != "removed"));
            let joined: String = d.iter().filter(|c| c.op != "removed").map(|c| c.text.as_str()).collect();
            assert_eq!(joined, "Our great team at the new plant");
        }
    }
}
