//! The confirm dialog: deleting an entry.

use super::*;

#[test]
fn d_asks_and_only_y_deletes() {
    let mut model = model();
    select_entry(&mut model, 4);
    assert!(send(&mut model, char_key('d')).is_empty());
    let Overlay::Confirm(confirm) = &model.ui.overlay else {
        panic!("expected a confirmation, got {:?}", model.ui.overlay);
    };
    assert!(
        confirm.question.contains("Delete entry #4"),
        "{}",
        confirm.question
    );
    let text = screen(&model);
    assert!(text.contains("audit log. y = delete, n = keep"), "{text}");
    assert!(
        text.contains("n/q/N/esc no"),
        "BUG (src/tui/view/forms.rs modal): the box is sized by the number of lines, not \
         the rows they wrap to, so the wrapped question pushes the y/n hint out:\n{text}"
    );
    assert!(
        send(&mut model, char_key('n')).is_empty(),
        "n keeps the entry"
    );
    assert!(model.ui.overlay.is_none());

    send(&mut model, char_key('d'));
    let effects = send(&mut model, char_key('y'));
    assert_eq!(
        the_write(&effects).op,
        WriteOp::DeleteEntry {
            entry_id: 4,
            base_version: 1
        }
    );
    assert!(model.ui.overlay.is_none());
}
