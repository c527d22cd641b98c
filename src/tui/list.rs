//! A selection in a list and the first row shown: the one scrolling rule
//! every pane and overlay uses. A leaf: no other console module.

/// A selection in a list and the first row shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScrollList {
    pub selected: usize,
    pub offset: usize,
}

impl ScrollList {
    pub fn move_by(&mut self, delta: isize, len: usize) {
        let last = len.saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    pub fn top(&mut self) {
        self.selected = 0;
    }

    pub fn bottom(&mut self, len: usize) {
        self.selected = len.saturating_sub(1);
    }

    /// Keep `selected` inside the list and `offset` such that it is visible.
    pub fn fit(&mut self, len: usize, height: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
        self.offset = self.window(len, height);
    }

    /// The first row to show so that the selection is visible (pure, for views).
    pub fn window(&self, len: usize, height: usize) -> usize {
        if height == 0 || len <= height {
            return 0;
        }
        let selected = self.selected.min(len - 1);
        let mut offset = self.offset.min(len - height);
        if selected < offset {
            offset = selected;
        } else if selected >= offset + height {
            offset = selected + 1 - height;
        }
        offset
    }

    /// Whether the selection is on the last row (a list that follows its
    /// newest row stays there as rows are added).
    pub fn at_bottom(&self, len: usize) -> bool {
        self.selected + 1 >= len
    }
}
