//! The step diagram as the editor shows it: `crate::layout` lays the process
//! out once per edit; each frame renders only the visible window of it
//! (`layout::render` with the viewport) and styles the cells by class. The
//! selected activity's box is reverse video with a `▶` beside it; a selected
//! transition's route is highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::layout::{self, CellClass, Direction, Glyphs, Layout, Owner};
use crate::model::TaskDefinition;

use super::theme::Theme;

pub use crate::layout::Direction as Dir;

/// What is selected in the diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Highlight {
    pub activity: Option<usize>,
    /// (activity, transition index) of a selected transition.
    pub transition: Option<(usize, usize)>,
}

#[derive(Debug, Clone, Default)]
pub struct Diagram {
    layout: Layout,
}

impl Diagram {
    pub fn build(def: &TaskDefinition) -> Diagram {
        Diagram {
            layout: layout::layout(&def.process),
        }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Size of the whole diagram in cells.
    pub fn size(&self) -> (u16, u16) {
        let b = self.layout.bounds();
        (to_u16(b.x + b.width), to_u16(b.y + b.height))
    }

    /// An activity's box in diagram cells.
    pub fn box_rect(&self, activity: usize) -> Option<Rect> {
        let r = self.layout.box_of(activity)?.rect;
        Some(Rect {
            x: to_u16(r.x),
            y: to_u16(r.y),
            width: to_u16(r.width),
            height: to_u16(r.height),
        })
    }

    /// The activity to go to in a direction. Up and down step to the nearest
    /// layer above or below (the box closest in x), left and right to the next
    /// box in the same layer; where there is none, the layout's nearest box in
    /// that direction.
    pub fn neighbour(&self, from: usize, dir: Direction) -> Option<usize> {
        let me = self.layout.box_of(from)?;
        let (cx, _) = me.rect.center();
        let boxes = self.layout.boxes.iter().filter(|b| b.activity != from);
        let pick = match dir {
            Direction::Down | Direction::Up => {
                let next_layer = boxes
                    .clone()
                    .map(|b| b.layer)
                    .filter(|&l| {
                        if dir == Direction::Down {
                            l > me.layer
                        } else {
                            l < me.layer
                        }
                    })
                    .min_by_key(|&l| l.abs_diff(me.layer));
                next_layer.and_then(|layer| {
                    boxes
                        .filter(|b| b.layer == layer)
                        .min_by_key(|b| ((b.rect.center().0 - cx).abs(), b.rect.x))
                        .map(|b| b.activity)
                })
            }
            Direction::Left | Direction::Right => boxes
                .filter(|b| b.layer == me.layer)
                .filter(|b| {
                    if dir == Direction::Right {
                        b.rect.x > me.rect.x
                    } else {
                        b.rect.x < me.rect.x
                    }
                })
                .min_by_key(|b| (b.rect.x - me.rect.x).abs())
                .map(|b| b.activity),
        };
        pick.or_else(|| self.layout.neighbour(from, dir))
    }

    /// Draw the window of the diagram starting at `scroll` into `area`.
    pub fn render(
        &self,
        buf: &mut Buffer,
        area: Rect,
        scroll: (u16, u16),
        sel: Highlight,
        theme: &Theme,
    ) {
        let viewport = layout::Rect::new(
            i32::from(scroll.0),
            i32::from(scroll.1),
            i32::from(area.width),
            i32::from(area.height),
        );
        let canvas = layout::render(&self.layout, viewport, Glyphs::Unicode);
        let selected_edge = sel.transition.and_then(|(a, t)| {
            self.layout
                .edges
                .iter()
                .position(|e| e.from == a && e.transition == t)
        });
        for (row, cells) in canvas.rows().enumerate() {
            for (col, cell) in cells.iter().enumerate() {
                if cell.class == CellClass::Empty {
                    continue;
                }
                let mut style = match cell.class {
                    CellClass::Empty | CellClass::Name => theme.normal(),
                    CellClass::Box => theme.border(),
                    CellClass::Edge | CellClass::Arrow => theme.edge(),
                    CellClass::BackEdge => theme.back_edge(),
                    CellClass::Label => theme.edge_label(),
                    CellClass::Marker => theme.marker(),
                };
                match cell.owner {
                    Owner::Activity(a) if Some(a) == sel.activity && sel.transition.is_none() => {
                        style = theme.selected();
                    }
                    Owner::Activity(a) if Some(a) == sel.activity => {
                        style = style.add_modifier(ratatui::style::Modifier::BOLD);
                    }
                    Owner::Edge(e) if Some(e) == selected_edge => style = theme.highlight(),
                    _ => {}
                }
                let pos = (area.x + col as u16, area.y + row as u16);
                if let Some(c) = buf.cell_mut(pos) {
                    c.set_char(cell.ch).set_style(style);
                }
            }
        }
        // The ▶ beside the selected box (when its left neighbour cell is in view).
        if let Some(r) = sel
            .activity
            .and_then(|a| self.layout.box_of(a))
            .map(|b| b.rect)
        {
            let (mx, my) = (r.x - 1, r.y + r.height / 2);
            if viewport.contains(mx, my) {
                let pos = (
                    area.x + to_u16(mx - viewport.x),
                    area.y + to_u16(my - viewport.y),
                );
                if let Some(c) = buf.cell_mut(pos) {
                    c.set_char('▶').set_style(theme.selected());
                }
            }
        }
    }

    /// Put `✗` in the top border of each listed activity's box (after `render`,
    /// same window), so a box with errors is marked by a sign, not colour alone.
    pub fn mark_errors(
        &self,
        buf: &mut Buffer,
        area: Rect,
        scroll: (u16, u16),
        activities: &[usize],
        theme: &Theme,
    ) {
        let marks: Vec<BoxMark> = activities
            .iter()
            .map(|&activity| BoxMark {
                activity,
                sign: '✗',
                sign_style: theme.error(),
                border: None,
                inside: None,
            })
            .collect();
        self.mark_boxes(buf, area, scroll, &marks);
    }

    /// Mark boxes (after `render`, same window): a sign in the top border
    /// (second cell), and optionally a style for the border and for the inside.
    pub fn mark_boxes(&self, buf: &mut Buffer, area: Rect, scroll: (u16, u16), marks: &[BoxMark]) {
        let viewport = layout::Rect::new(
            i32::from(scroll.0),
            i32::from(scroll.1),
            i32::from(area.width),
            i32::from(area.height),
        );
        let cell_at = |buf: &mut Buffer, x: i32, y: i32| -> Option<(u16, u16)> {
            if !viewport.contains(x, y) {
                return None;
            }
            let pos = (
                area.x + to_u16(x - viewport.x),
                area.y + to_u16(y - viewport.y),
            );
            buf.cell_mut(pos).map(|_| pos)
        };
        for m in marks {
            let Some(r) = self.layout.box_of(m.activity).map(|b| b.rect) else {
                continue;
            };
            for y in r.y..r.y + r.height {
                for x in r.x..r.x + r.width {
                    let edge =
                        y == r.y || y == r.y + r.height - 1 || x == r.x || x == r.x + r.width - 1;
                    let style = if edge { m.border } else { m.inside };
                    if let Some(style) = style
                        && let Some(pos) = cell_at(buf, x, y)
                        && let Some(c) = buf.cell_mut(pos)
                    {
                        c.set_style(style);
                    }
                }
            }
            if r.width >= 3
                && let Some(pos) = cell_at(buf, r.x + 1, r.y)
                && let Some(c) = buf.cell_mut(pos)
            {
                c.set_char(m.sign).set_style(m.sign_style);
            }
        }
    }
}

/// How [`Diagram::mark_boxes`] marks one activity's box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxMark {
    pub activity: usize,
    pub sign: char,
    pub sign_style: ratatui::style::Style,
    /// Style of the box's border cells (their glyphs are kept).
    pub border: Option<ratatui::style::Style>,
    /// Style of the cells inside the box (the name).
    pub inside: Option<ratatui::style::Style>,
}

fn to_u16(v: i32) -> u16 {
    u16::try_from(v.max(0)).unwrap_or(u16::MAX)
}
