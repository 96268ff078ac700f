//! Undo and redo of one document's edits.
//!
//! An edit is taken into the history once it is finished: when the state differs from the last
//! one taken and no pointer button is held. So one slider drag, however many frames and samples
//! it spans, is one step, for every slider alike; a typed value or a click is one step. Nothing
//! time-based decides what a step is.

/// Most steps kept (the oldest are forgotten).
const MAX_STEPS: usize = 200;

/// The undo and redo stacks of a value `T`.
#[derive(Debug, Clone)]
pub struct History<T> {
    /// The state as last taken into the history.
    committed: T,
    undo: Vec<T>,
    redo: Vec<T>,
}

impl<T: Clone + PartialEq> History<T> {
    /// A history starting at `state`, with nothing to undo.
    pub fn new(state: T) -> Self {
        History {
            committed: state,
            undo: Vec::new(),
            redo: Vec::new(),
        }
    }

    /// Takes `current` as a step if it differs from the last one taken and the edit is over
    /// (`editing` is false: no pointer button held).
    pub fn observe(&mut self, current: &T, editing: bool) {
        if editing || *current == self.committed {
            return;
        }
        let before = std::mem::replace(&mut self.committed, current.clone());
        self.undo.push(before);
        if self.undo.len() > MAX_STEPS {
            self.undo.remove(0);
        }
        self.redo.clear();
    }

    /// The state before the last step (an edit still in progress counts as one), if any.
    pub fn undo(&mut self, current: &T) -> Option<T> {
        self.observe(current, false);
        let previous = self.undo.pop()?;
        let now = std::mem::replace(&mut self.committed, previous.clone());
        self.redo.push(now);
        Some(previous)
    }

    /// The state the last undo left, if nothing was edited since.
    pub fn redo(&mut self, current: &T) -> Option<T> {
        if *current != self.committed {
            return None;
        }
        let next = self.redo.pop()?;
        let now = std::mem::replace(&mut self.committed, next.clone());
        self.undo.push(now);
        Some(next)
    }

    pub fn has_undo(&self, current: &T) -> bool {
        !self.undo.is_empty() || *current != self.committed
    }

    pub fn has_redo(&self, current: &T) -> bool {
        !self.redo.is_empty() && *current == self.committed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drag_over_many_frames_is_one_step() {
        let mut h = History::new(0);
        // A drag: the value moves every frame while the button is held, then it is released.
        for x in 1..=30 {
            h.observe(&x, true);
        }
        h.observe(&30, false);
        assert_eq!(h.undo(&30), Some(0));
        assert!(!h.has_undo(&0));
        assert_eq!(h.redo(&0), Some(30));
        assert!(!h.has_redo(&30));
    }

    #[test]
    fn steps_undo_in_order_and_a_new_edit_clears_the_redo_stack() {
        let mut h = History::new('a');
        h.observe(&'b', false);
        h.observe(&'b', false);
        h.observe(&'c', false);
        assert_eq!(h.undo(&'c'), Some('b'));
        assert_eq!(h.undo(&'b'), Some('a'));
        assert_eq!(h.undo(&'a'), None);
        assert_eq!(h.redo(&'a'), Some('b'));
        h.observe(&'x', false);
        assert!(!h.has_redo(&'x'));
        assert_eq!(h.redo(&'x'), None);
        assert_eq!(h.undo(&'x'), Some('b'));
    }

    #[test]
    fn an_edit_not_yet_taken_is_undone_first() {
        let mut h = History::new(1);
        // Still dragging when undo is pressed: the drag itself is the step undone.
        h.observe(&5, true);
        assert!(h.has_undo(&5));
        assert_eq!(h.undo(&5), Some(1));
        assert_eq!(h.redo(&1), Some(5));
    }
}
