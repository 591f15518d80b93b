-- Which of the submission's images a post carries: a JSON array of media ids, or null for all of
-- them (what every post before this migration did).
alter table posts add column media text;
