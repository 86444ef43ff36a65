//! Render stage: `Hit`s and reports -> text or JSON, written to a `W: Write` it is handed.
//! The only stage that formats results; colour is decided by the caller's stream.

pub mod entities;
pub mod json;
pub mod text;

use anstyle::{AnsiColor, Style};

/// The styles of the text output; a stream that does not take colour strips them.
pub struct Theme {
    pub rank: Style,
    pub score: Style,
    pub date: Style,
    pub title: Style,
    pub path: Style,
    pub section: Style,
    pub highlight: Style,
    pub entity: Style,
    pub dim: Style,
}

impl Default for Theme {
    fn default() -> Theme {
        Theme {
            rank: Style::new().bold(),
            score: Style::new().dimmed(),
            date: AnsiColor::Green.on_default(),
            title: Style::new().bold(),
            path: AnsiColor::Magenta.on_default(),
            section: AnsiColor::Cyan.on_default(),
            highlight: AnsiColor::Red.on_default().bold(),
            entity: AnsiColor::Blue.on_default(),
            dim: Style::new().dimmed(),
        }
    }
}
