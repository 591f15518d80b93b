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
    pub const ALL: [Kind; 7] =
        [Kind::Photo, Kind::Video, Kind::Article, Kind::BlogPost, Kind::Podcast, Kind::Infographic, Kind::Idea];

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
            Invalid::new("kind", "must be one of photo, video, article, blog_post, podcast, infographic, idea")
        })
    }
}
