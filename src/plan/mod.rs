//! See DESIGN.md's module map.
